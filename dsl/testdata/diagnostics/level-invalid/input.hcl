requirement "r" {
  level = "MUSTY"
  text  = "t"
}
