requirement "r" {
  level = MUST
  text  = "a"
}
requirement "r" {
  level = MUST
  text  = "b"
}
