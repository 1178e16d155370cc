requirement "r" {
  level = MUST
  text  = "x"
}
scenario "s" {
  case "c" {
    check "k" {
      verifies  = requirement.r
      condition = length(
    }
  }
}
