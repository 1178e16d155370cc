# The OAuth client credentials extension (io.modelcontextprotocol/
# oauth-client-credentials, SEP-1046): a machine client authenticates at
# the token endpoint with its own credentials, a client secret over HTTP
# Basic or a JWT signed with its private key (RFC 7523 §2.2).

requirement "OAUTH-2-1-client-credentials-grant" {
  level = MUST
  text  = "The client uses grant_type=client_credentials."
  ref   = "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-4.2"
}

requirement "SEP-1046-Client-Credentials" {
  level = MUST
  text  = "The client authenticates at the token endpoint with the method the authorization server advertises."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1046"
}

requirement "RFC-7523-JWT-Client-Auth" {
  level = MUST
  text  = "A private_key_jwt client sends client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer and a JWT signed with its key, with iss and sub its client_id and the authorization server as audience."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-3"
}

locals {
  cc_client_id     = "conformance-test-client"
  cc_client_secret = "conformance-test-secret"
  client_assertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
  cc_requests      = "token requests with grant_type=client_credentials"
}

checkset "client_credentials" {
  check "client-credentials-grant-type" {
    name          = "ClientCredentialsGrantType"
    description   = "Expected grant_type=client_credentials"
    verifies      = [requirement.OAUTH-2-1-client-credentials-grant, requirement.SEP-1046-Client-Credentials]
    condition     = alltrue([for r in token_requests : lookup(r.form, "grant_type", "") == grant.client_credentials])
    error_message = "grant_type was ${jsonencode([for r in token_requests : try(r.form.grant_type, null)])}"
  }
}

scenario "auth/client-credentials-basic" {
  description = "Tests OAuth client_credentials flow with client_secret_basic authentication"
  extension   = "io.modelcontextprotocol/oauth-client-credentials"

  server "as" {
    kind                        = "authorization_server"
    grant_types_supported       = [grant.client_credentials]
    token_endpoint_auth_methods = ["client_secret_basic"]
    registration                = true
    clients                     = [{ id = local.cc_client_id, secret = local.cc_client_secret }]
  }

  server "mcp" {
    kind = "mcp_server"
  }

  context = {
    client_id     = local.cc_client_id
    client_secret = local.cc_client_secret
  }

  checks = [checkset.always]

  case "happy-path" {
    description = "The client authenticates with HTTP Basic and uses the token at the MCP server."
    checks      = [checkset.observed, checkset.client_credentials]

    check "client-credentials-basic-auth" {
      name     = "ClientCredentialsBasicAuth"
      verifies = requirement.SEP-1046-Client-Credentials
      condition = anytrue([
        for r in token_requests : lookup(r.form, "grant_type", "") == grant.client_credentials && r.client_auth.method == "client_secret_basic" && r.client_auth.verified
      ])
      error_message = length(token_requests) == 0 ? "Client did not make a client_credentials token request" : "no client_credentials token request authenticated with correct client_secret_basic credentials: ${jsonencode([for r in token_requests : r.client_auth])}"
    }
  }

  case "credentials-refused" {
    description = "The authorization server answers correct credentials with 401 invalid_client: the client must fail clearly, without a retry loop."
    server "as" {
      rule "refuse" {
        endpoint          = "token"
        status            = 401
        error             = "invalid_client"
        error_description = "client authentication failed"
        headers           = { "WWW-Authenticate" = "Basic realm=\"${server.as.issuer}\"" }
      }
    }
    checks = [checkset.refused]
  }
}

scenario "auth/client-credentials-jwt" {
  description = "Tests OAuth client_credentials flow with private_key_jwt authentication (SEP-1046)"
  extension   = "io.modelcontextprotocol/oauth-client-credentials"

  key "client" {
    alg = "ES256"
  }

  server "as" {
    kind                        = "authorization_server"
    grant_types_supported       = [grant.client_credentials]
    token_endpoint_auth_methods = ["private_key_jwt"]
    registration                = true
    clients                     = [{ id = local.cc_client_id, key = "client" }]
    metadata                    = { token_endpoint_auth_signing_alg_values_supported = ["ES256"] }
  }

  server "mcp" {
    kind = "mcp_server"
  }

  context = {
    client_id         = local.cc_client_id
    private_key_pem   = key.client.private_key_pem
    signing_algorithm = "ES256"
  }

  checks = [checkset.always]

  case "happy-path" {
    description = "The client authenticates with a JWT signed by its key and uses the token at the MCP server."
    checks      = [checkset.observed, checkset.client_credentials]

    check "client-credentials-jwt-verified" {
      name     = "ClientCredentialsJwtVerified"
      verifies = [requirement.SEP-1046-Client-Credentials, requirement.RFC-7523-JWT-Client-Auth]
      condition = anytrue([
        for r in token_requests : lookup(r.form, "grant_type", "") == grant.client_credentials && r.client_auth.method == "private_key_jwt" && r.client_auth.verified
      ])
      error_message = length(token_requests) == 0 ? "Client did not make a client_credentials token request" : "JWT verification failed: ${join("; ", [for r in token_requests : r.client_auth.failure])}"
    }

    check "client-credentials-assertion-type" {
      name          = "ClientCredentialsAssertionType"
      verifies      = requirement.RFC-7523-JWT-Client-Auth
      condition     = alltrue([for r in token_requests : lookup(r.form, "client_assertion_type", "") == local.client_assertion])
      error_message = "Invalid client_assertion_type: ${jsonencode([for r in token_requests : try(r.form.client_assertion_type, null)])}"
    }

    check "client-credentials-jwt-iss" {
      name          = "ClientCredentialsJwtIss"
      verifies      = requirement.RFC-7523-JWT-Client-Auth
      condition     = alltrue([for r in token_requests : try(r.claims.iss, "") == local.cc_client_id if r.claims != null])
      error_message = "JWT iss claim ${jsonencode([for r in token_requests : try(r.claims.iss, null)])} does not match expected client_id '${local.cc_client_id}'"
    }

    check "client-credentials-jwt-sub" {
      name          = "ClientCredentialsJwtSub"
      verifies      = requirement.RFC-7523-JWT-Client-Auth
      condition     = alltrue([for r in token_requests : try(r.claims.sub, "") == local.cc_client_id if r.claims != null])
      error_message = "JWT sub claim ${jsonencode([for r in token_requests : try(r.claims.sub, null)])} does not match expected client_id '${local.cc_client_id}'"
    }
  }

  case "assertion-refused" {
    description = "The authorization server answers a correct client assertion with 401 invalid_client: the client must fail clearly, without a retry loop."
    server "as" {
      rule "refuse" {
        endpoint          = "token"
        status            = 401
        error             = "invalid_client"
        error_description = "client assertion rejected"
      }
    }
    checks = [checkset.refused]
  }
}
