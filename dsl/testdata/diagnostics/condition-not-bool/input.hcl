scenario "s" {
  assertion "workload" {
    issuer   = "https://idp.test"
    subject  = "agent"
    audience = auth_server.token_endpoint
  }
  context = { valid_jwt = assertion.workload.token }
  check "a" {
    condition = "yes"
  }
}
