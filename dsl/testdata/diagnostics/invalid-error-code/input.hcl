scenario "s" {
  assertion "workload" {
    issuer   = "https://idp.test"
    subject  = "agent"
    audience = auth_server.token_endpoint
  }
  context = { valid_jwt = assertion.workload.token }
  auth_server {
    reject "r" {
      when  = true
      error = "invalid grant"
    }
  }
}
