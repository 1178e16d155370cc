scenario "s" {
  server "as" {
    kind = "authorisation_server"
  }
  check "c" {
    condition = true
  }
}
