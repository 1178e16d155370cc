scenario "s" {
  server "as" {
    kind = "authorization_server"
  }
  server "mcp" {
    kind        = "mcp_server"
    issuer_path = "/tenant1"
  }
  check "c" {
    condition = true
  }
}
