senario "s" {
}
