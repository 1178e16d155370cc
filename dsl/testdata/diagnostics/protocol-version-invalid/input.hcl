scenario "s" {
  protocol_version = "2025-6-18"
  check "exits" {
    condition = client.exit_code == 0
  }
}
