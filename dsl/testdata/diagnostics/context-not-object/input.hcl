scenario "s" {
  context = "client_id"
}
