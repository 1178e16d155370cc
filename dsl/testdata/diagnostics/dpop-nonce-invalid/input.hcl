scenario "s" {
  server "as" {
    kind       = "authorization_server"
    dpop_nonce = "two words"
  }
  server "mcp" {
    kind         = "mcp_server"
    dpop_enforce = "yes please"
  }
  check "c" {
    condition = true
  }
}
