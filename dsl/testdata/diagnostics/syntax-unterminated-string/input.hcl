requirement "r" {
  level = MUST
  text  = "never closed
}
