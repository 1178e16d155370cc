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
  description    = "omits the resource parameter (RFC 8707) from token and authorization requests"
  omit_params    = ["resource"]
  authorize_omit = ["resource"]
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
  description    = "skips discovery and posts to the issuer (or the MCP server's origin) followed by /token"
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
  description   = "prints its secrets (the assertion, the context's secrets) and the access token to stdout"
  print_secrets = true
}

# The authorization code flow.

variant "no-pkce" {
  description    = "authorization code: sends no PKCE challenge and no verifier"
  authorize_omit = ["code_challenge", "code_challenge_method"]
  omit_params    = ["code_verifier"]
}

variant "pkce-plain" {
  description      = "authorization code: declares the plain PKCE method"
  authorize_params = { code_challenge_method = "plain" }
}

variant "quit" {
  description   = "exits 1 at once, before any request"
  quit_at_start = true
}

variant "partial-scopes" {
  description      = "authorization code: always asks for scope mcp:basic"
  authorize_params = { scope = "mcp:basic" }
}

variant "asks-offline" {
  description      = "authorization code: always asks for mcp:basic offline_access"
  authorize_params = { scope = "mcp:basic offline_access" }
}

variant "ignore-scope" {
  description            = "ignores the scope of the WWW-Authenticate challenge"
  ignore_challenge_scope = true
}

variant "no-cimd" {
  description = "authorization code: never uses a client ID metadata document"
  no_cimd     = true
}

variant "no-refresh-registration" {
  description   = "authorization code: registers without grant_types, and never with a metadata document"
  register_omit = ["grant_types"]
  no_cimd       = true
}

variant "ignore-iss" {
  description = "authorization code: accepts any iss in the authorization response (RFC 9207 unchecked)"
  ignore_iss  = true
}

variant "trust-metadata-issuer" {
  description           = "authorization code: uses authorization server metadata whatever issuer it names"
  trust_metadata_issuer = true
}

variant "trust-prm-resource" {
  description        = "authorization code: authorizes for whatever resource the protected resource metadata names"
  trust_prm_resource = true
}

variant "root-prm-first" {
  description    = "authorization code: fetches the root protected resource metadata first"
  probe_root_prm = true
}

variant "root-metadata" {
  description         = "authorization code: also fetches the authorization server metadata at the root of its origin"
  probe_root_metadata = true
}

variant "secret-basic" {
  description = "authorization code: sends the client secret with HTTP Basic where the body is expected"
  client_auth = "basic"
}

variant "sends-secret" {
  description  = "authorization code: sends a client_secret in the body although it is a public client"
  extra_params = { client_secret = "guessed-secret" }
}

variant "bad-resource" {
  description      = "authorization code: names a relative resource in the authorization request"
  authorize_params = { resource = "relative/mcp" }
}

# The scenarios in which a correct client gets no token prove what every
# case checks with clients that wrongly go on.

variant "trusting-forged" {
  description           = "accepts any iss, metadata issuer and resource, then sends a token no server issued"
  ignore_iss            = true
  trust_metadata_issuer = true
  trust_prm_resource    = true
  forged_token          = true
}

variant "trusting-leak" {
  description           = "accepts any iss, metadata issuer and resource, then prints its secrets"
  ignore_iss            = true
  trust_metadata_issuer = true
  trust_prm_resource    = true
  print_secrets         = true
}

variant "no-application-type" {
  description   = "authorization code: registers without application_type, and never with a metadata document"
  register_omit = ["application_type"]
  no_cimd       = true
}

variant "echo-scope" {
  description        = "authorization code: steps up with the new scope only, dropping mcp:basic"
  reauth_drop_scopes = ["mcp:basic"]
}

variant "reuse-credentials" {
  description        = "authorization code: registers once and presents that client_id to every authorization server"
  reuse_registration = true
}

# DPoP (catalogue/dpop.hcl), as the official broken DPoP clients.

variant "dpop-bearer" {
  description = "DPoP: presents the DPoP-bound token with the Bearer scheme, its proofs still attached"
  dpop_bearer = true
}

variant "dpop-replay" {
  description = "DPoP: sends the MCP server one proof (one jti) with every request"
  dpop_replay = true
}

variant "dpop-no-token-proof" {
  description         = "DPoP: sends no proof with its token requests, so it gets an unbound token, and proofs to the MCP server all the same"
  dpop_no_token_proof = true
}

variant "dpop-no-as-nonce" {
  description          = "DPoP: does not retry a token request with the nonce of a use_dpop_nonce challenge"
  dpop_ignore_as_nonce = true
}

variant "dpop-no-rs-nonce" {
  description          = "DPoP: does not retry an MCP request with the nonce of a use_dpop_nonce challenge"
  dpop_ignore_rs_nonce = true
}
