scenario "s" {
  case "c" {
    check "a" { condition = true }
