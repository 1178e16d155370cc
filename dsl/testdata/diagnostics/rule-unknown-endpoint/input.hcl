scenario "s" {
  server "as" {
    kind = "authorization_server"
    rule "busy" {
      endpoint = "tokens"
      status   = 503
    }
  }
  server "mcp" {
    kind = "mcp_server"
  }
  check "c" {
    condition = true
  }
}
