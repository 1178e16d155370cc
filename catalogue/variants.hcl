# Broken variants of the bundled reference client that prove the checks of
# the catalogue: `wifdsl prove` runs every case with the conformant client
# and with each of them, and requires that every check passes the first
# and is tripped by at least one variant. `wifdsl run` ignores them.

variant "wrong-secret" {
  description   = "client credentials: sends a wrong client secret"
  client_secret = "not-the-secret"
}

variant "secret-post" {
  description = "client credentials: sends the secret in the body (client_secret_post) where Basic is required"
  client_auth = "post"
}

variant "wrong-grant" {
  description = "sends grant_type=password"
  grant_type  = "password"
}

variant "assertion-type" {
  description           = "client credentials: sends a wrong client_assertion_type"
  client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
}

variant "assertion-audience" {
  description               = "client credentials: signs its client assertion for another audience"
  client_assertion_audience = "https://wrong.example"
}

variant "assertion-issuer" {
  description             = "client credentials: signs its client assertion with another iss"
  client_assertion_issuer = "someone-else"
}

variant "assertion-subject" {
  description              = "client credentials: signs its client assertion with another sub"
  client_assertion_subject = "someone-else"
}

variant "no-client-auth" {
  description = "enterprise-managed: presents the ID-JAG without client authentication"
  client_auth = "none"
}

variant "no-resource" {
  description = "omits the resource parameter (RFC 8707)"
  omit_params = ["resource"]
}

variant "forged-token" {
  description  = "sends the MCP server a token no server issued"
  forged_token = true
}

variant "grant-without-id-jag" {
  description           = "enterprise-managed: when the token exchange fails, presents the ID token itself to the authorization server"
  ignore_exchange_error = true
}

variant "no-discovery" {
  description    = "skips all discovery and posts to the MCP server's origin followed by /token"
  skip_discovery = true
}

variant "retry" {
  description = "on a token error, repeats the token request 3 more times about 50 ms apart"
  retries     = 3
}

variant "hang" {
  description = "on a token error, prints the error then blocks forever"
  hang        = "after_error"
}

variant "exit-zero" {
  description = "prints the proper error but exits 0"
  exit_code   = 0
}

variant "vague" {
  description  = "on an error, prints only \"authorization failed\""
  error_output = "authorization failed"
}

variant "leak" {
  description   = "prints the secrets of the context and the access token to stdout"
  print_secrets = true
}
