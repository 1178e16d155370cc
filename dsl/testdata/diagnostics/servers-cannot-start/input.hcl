scenario "s" {
  server "as" {
    kind = "authorization_server"
  }
  server "mcp" {
    kind                  = "mcp_server"
    authorization_servers = ["auth"]
  }
  check "c" {
    condition = true
  }
}
