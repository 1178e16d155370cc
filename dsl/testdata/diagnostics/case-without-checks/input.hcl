scenario "s" {
  auth_server {}
  case "nothing-to-judge" {
    description = "A case with no check would pass whatever the client does."
  }
}
