requirement "r" {
  level = 5
  text  = "t"
}
