requirement "rÿ" {
  level = MUST
  text = "t"
}
