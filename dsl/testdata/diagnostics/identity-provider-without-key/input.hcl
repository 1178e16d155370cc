scenario "s" {
  server "idp" {
    kind = "identity_provider"
  }
  server "mcp" {
    kind = "mcp_server"
  }
  check "c" {
    condition = true
  }
}
