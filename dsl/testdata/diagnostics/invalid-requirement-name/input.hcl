requirement "has space" {
  level = MUST
  text  = "t"
}
