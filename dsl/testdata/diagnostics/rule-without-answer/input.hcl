scenario "s" {
  server "as" {
    kind = "authorization_server"
  }
  server "mcp" {
    kind = "mcp_server"
    rule "silent" {
      endpoint = "mcp"
      when     = attempt > 1
    }
  }
  check "c" {
    condition = true
  }
}
