scenario "s" {
  server "as" {
    kind        = "authorization_server"
    metadata_at = ["oauth", "oidc"]
  }
  server "mcp" {
    kind = "mcp_server"
  }
  check "c" {
    condition = true
  }
}
