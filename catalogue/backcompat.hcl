# Servers of the 2025-03-26 authorization spec: the MCP server and the
# authorization server share one origin and there is no protected
# resource metadata; the client finds the authorization server at the
# MCP server's origin, by its metadata or, without one, at the default
# endpoints /authorize, /token and /register.

requirement "MCP-2025-03-26-discovery" {
  level = MUST
  text  = "Without protected resource metadata, the client takes the MCP server's origin as the authorization server: it reads its RFC 8414 metadata, or without one uses /authorize, /token and /register."
  ref   = "https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization#2-3-2-authorization-base-url"
}

scenario "auth/2025-03-26-oauth-metadata-backcompat" {
  description = "One origin, no protected resource metadata; the authorization server metadata at the origin names endpoints under /oauth"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    issuer_path           = "/oauth"
    metadata_at           = ["oauth-root"]
    metadata              = { issuer = server.as.origin }
    # The iss of the authorization response is the advertised issuer.
    authorization_response_iss = server.as.origin
  }
  server "mcp" {
    kind                 = "mcp_server"
    same_origin_as       = "as"
    resource_metadata_at = []
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.discovered]
  }

  case "code-refused" {
    description = "The token endpoint answers the code exchange with invalid_grant: the client must fail without a loop."
    server "as" {
      rule "refuse-code" {
        endpoint = "token"
        error    = "invalid_grant"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/2025-03-26-oauth-endpoint-fallback" {
  description = "One origin, no protected resource metadata and no authorization server metadata: the default endpoints"
  server "as" {
    kind                       = "authorization_server"
    grant_types_supported      = [grant.authorization_code, grant.refresh_token]
    registration               = true
    metadata_at                = []
    authorization_response_iss = null
  }
  server "mcp" {
    kind                 = "mcp_server"
    same_origin_as       = "as"
    resource_metadata_at = []
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.bearer]
    check "client-registration" {
      name          = "ClientRegistration"
      description   = "Client registered at the default /register"
      verifies      = requirement.MCP-2025-03-26-discovery
      condition     = anytrue([for r in requests : r.endpoint == "register" && r.status == 201])
      error_message = "Expected Check Missing: the client did not register at /register"
    }
    check "authorization-request" {
      name          = "AuthorizationRequest"
      description   = "Client made an authorization request at the default /authorize"
      verifies      = requirement.MCP-2025-03-26-discovery
      condition     = anytrue([for r in requests : r.endpoint == "authorize"])
      error_message = "Expected Check Missing: the client sent no authorization request to /authorize"
    }
    check "token-request" {
      name          = "TokenRequest"
      description   = "Client requested an access token at the default /token"
      verifies      = requirement.MCP-2025-03-26-discovery
      condition     = length(token_requests) > 0
      error_message = "Expected Check Missing: the client made no token request to /token"
    }
  }

  case "registration-refused" {
    description = "The default /register answers 400: the client must fail clearly."
    server "as" {
      rule "refuse-registration" {
        endpoint = "register"
        error    = "invalid_client_metadata"
      }
    }
    checks = [checkset.code_refused]
  }
}
