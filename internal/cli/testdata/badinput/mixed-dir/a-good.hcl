scenario "s" {
  description = "fine"
}
