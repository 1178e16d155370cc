scenario "s" {
  assertion "workload" {
    audience = auth_server.token_endpont
  }
  check "a" {
    condition = mcp_server.resorce != ""
  }
}
