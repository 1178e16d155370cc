scenario "s" {
  check "exits" {
    condition = client.exit_code == 0
  }
  check "after-token" {
    enabled   = token_request_count > 0
    condition = client.exit_code == 0
  }
}
