# Enterprise-managed authorization (SEP-990): the client exchanges the
# user's ID token from the enterprise identity provider for an Identity
# Assertion JWT Authorization Grant (ID-JAG, RFC 8693 token exchange), then
# presents the ID-JAG to the MCP server's authorization server with the
# JWT-bearer grant (RFC 7523), authenticating with its client secret.

requirement "RFC-8693-Token-Exchange" {
  level = MUST
  text  = "The client exchanges the ID token at the identity provider with grant_type token-exchange, subject_token_type id_token, requested_token_type id-jag, the authorization server as audience and the MCP server as resource."
  ref   = "https://www.rfc-editor.org/rfc/rfc8693#section-2.1"
}

requirement "RFC-7523-JWT-Bearer-Grant" {
  level = MUST
  text  = "The client presents the ID-JAG as the assertion of a JWT-bearer grant at the authorization server, authenticated with client_secret_basic."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
}

requirement "SEP-990-Enterprise-Managed-OAuth" {
  level = MUST
  text  = "The ID-JAG the client presents names the client and the MCP server the authorization server protects."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/990"
}

locals {
  xaa_client_id     = "conformance-test-xaa-client"
  xaa_client_secret = "conformance-test-xaa-secret"
  idp_client_id     = "conformance-test-idp-client"
  ema_user          = "demo-user@example.com"
  id_jag_type       = "oauth-id-jag+jwt"
}

scenario "auth/enterprise-managed-authorization" {
  description = "Tests complete SEP-990 flow: token exchange + JWT bearer grant (Enterprise-Managed Authorization)"
  extension   = "io.modelcontextprotocol/enterprise-managed-authorization"

  # The identity provider's key: it signs the user's ID token and the
  # ID-JAGs; the authorization server trusts it.
  key "idp" {
    alg = "ES256"
  }

  server "idp" {
    kind          = "identity_provider"
    metadata_at   = ["openid"]
    signing_key   = "idp"
    trusted_keys  = ["idp"]
    id_jag_claims = { client_id = local.xaa_client_id }

    reject "id-token-audience" {
      when              = !contains(try(tolist(claims.aud), [claims.aud]), local.idp_client_id)
      error             = "invalid_grant"
      error_description = "Invalid ID token: wrong audience"
    }
    reject "id-token-issuer" {
      when              = try(claims.iss, "") != server.idp.issuer
      error             = "invalid_grant"
      error_description = "Invalid ID token: wrong issuer"
    }
  }

  server "as" {
    kind                        = "authorization_server"
    grant_types_supported       = [grant.jwt_bearer]
    token_endpoint_auth_methods = ["client_secret_basic"]
    registration                = true
    trusted_keys                = ["idp"]
    clients                     = [{ id = local.xaa_client_id, secret = local.xaa_client_secret }]

    reject "id-jag-typ" {
      when              = lookup(jwt_header, "typ", "") != local.id_jag_type
      error             = "invalid_grant"
      error_description = "Invalid ID-JAG typ header"
    }
    reject "id-jag-client" {
      when              = lookup(claims, "client_id", "") != request.client_auth.client_id
      error             = "invalid_grant"
      error_description = "ID-JAG client_id does not match the authenticating client"
    }
    reject "id-jag-resource" {
      when              = lookup(claims, "resource", "") != server.mcp.resource
      error             = "invalid_grant"
      error_description = "ID-JAG resource does not match the MCP server"
    }
  }

  server "mcp" {
    kind                  = "mcp_server"
    authorization_servers = ["as"]
  }

  # The user's ID token, issued by the identity provider to its client.
  assertion "id_token" {
    key        = "idp"
    issuer     = server.idp.issuer
    subject    = local.ema_user
    audience   = local.idp_client_id
    expires_in = "1h"
    claims     = { email = local.ema_user }
  }

  context = {
    client_id          = local.xaa_client_id
    client_secret      = local.xaa_client_secret
    idp_client_id      = local.idp_client_id
    idp_id_token       = assertion.id_token.token
    idp_issuer         = server.idp.issuer
    idp_token_endpoint = server.idp.token_endpoint
  }

  checks = [checkset.always]

  case "happy-path" {
    description = "The client exchanges the ID token for an ID-JAG and the ID-JAG for an access token that works at the MCP server."
    checks      = [checkset.observed]

    check "complete-flow-token-exchange" {
      name     = "CompleteFlowTokenExchange"
      verifies = [requirement.RFC-8693-Token-Exchange, requirement.SEP-990-Enterprise-Managed-OAuth]
      condition = anytrue([
        for r in token_requests : r.server == "idp" && r.response.issued_token_type == "urn:ietf:params:oauth:token-type:id-jag"
      ])
      error_message = length([for r in token_requests : r if r.server == "idp"]) == 0 ? "Client did not perform token exchange" : "Token exchange failed: ${jsonencode([for r in token_requests : { error = r.response.error, description = r.response.error_description } if r.server == "idp"])}"
    }

    check "complete-flow-jwt-bearer" {
      name     = "CompleteFlowJwtBearer"
      verifies = [requirement.RFC-7523-JWT-Bearer-Grant, requirement.SEP-990-Enterprise-Managed-OAuth]
      condition = anytrue([
        for r in token_requests : r.server == "as" && lookup(r.form, "grant_type", "") == grant.jwt_bearer && r.response.access_token_issued
      ])
      error_message = length([for r in token_requests : r if r.server == "as"]) == 0 ? "Client did not perform JWT bearer grant exchange" : "JWT bearer grant failed: ${jsonencode([for r in token_requests : { error = r.response.error, description = r.response.error_description, client_auth = r.client_auth.method } if r.server == "as"])}"
    }
  }

  case "exchange-refused" {
    description = "The identity provider refuses a correct token exchange (invalid_grant): the client must fail clearly and must not go on to the authorization server."
    server "idp" {
      rule "refuse" {
        endpoint          = "token"
        error             = "invalid_grant"
        error_description = "the user's session was revoked"
      }
    }
    checks = [checkset.refused]

    check "no-grant-without-id-jag" {
      name          = "No JWT-bearer grant without an ID-JAG"
      verifies      = requirement.refused-fails-clearly
      condition     = length([for r in token_requests : r if r.server == "as"]) == 0
      error_message = "the client went on to the authorization server although the token exchange failed"
    }
  }

  case "grant-refused" {
    description = "The authorization server refuses a correct ID-JAG (invalid_grant): the client must fail clearly, without a retry loop."
    server "as" {
      rule "refuse" {
        endpoint          = "token"
        error             = "invalid_grant"
        error_description = "the ID-JAG was not accepted"
      }
    }
    checks = [checkset.refused]
  }
}
