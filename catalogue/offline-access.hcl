# Refresh tokens (SEP-2207): a client that can keep a refresh token asks
# for offline_access where the authorization server offers it, registers
# for the refresh_token grant, and does not ask where it is not offered.

requirement "SEP-2207-offline-access" {
  level = SHOULD
  text  = "A client that stores refresh tokens requests offline_access when the authorization server's scopes_supported has it, includes refresh_token in its registered grant_types, and never requests offline_access otherwise."
  ref   = "https://modelcontextprotocol.io/seps/2207-oidc-refresh-token-guidance"
}

scenario "auth/offline-access-scope" {
  description = "The authorization server offers offline_access: the client asks for it and registers for refresh tokens"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    scopes_supported      = ["mcp:basic", "offline_access"]
    metadata              = { client_id_metadata_document_supported = true }
  }
  server "mcp" {
    kind             = "mcp_server"
    scopes_supported = ["mcp:basic"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorize]
    check "sep-2207-client-metadata-grant-types" {
      name          = "ClientMetadataGrantTypes"
      description   = "A registration asks for the refresh_token grant"
      verifies      = requirement.SEP-2207-offline-access
      condition     = alltrue([for r in requests : contains(try(jsondecode(r.body).grant_types, []), "refresh_token") if r.endpoint == "register"])
      error_message = "the client registered with grant_types ${jsonencode([for r in requests : try(jsondecode(r.body).grant_types, null) if r.endpoint == "register"])}"
    }
    check "sep-2207-offline-access-requested" {
      name          = "OfflineAccessRequested"
      description   = "Client requested offline_access"
      verifies      = requirement.SEP-2207-offline-access
      level         = MAY
      condition     = anytrue([for r in requests : contains(split(" ", lookup(r.query, "scope", "")), "offline_access") if r.endpoint == "authorize"])
      error_message = "the authorization requests asked for ${jsonencode([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"])}"
    }
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

scenario "auth/offline-access-not-supported" {
  description = "The authorization server does not offer offline_access: the client does not ask for it"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    scopes_supported      = ["mcp:basic", "mcp:read"]
  }
  server "mcp" {
    kind             = "mcp_server"
    scopes_supported = ["mcp:basic", "mcp:read"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "sep-2207-offline-access-not-requested" {
      name          = "OfflineAccessNotRequested"
      description   = "Client did not request offline_access, which the server does not offer"
      verifies      = requirement.SEP-2207-offline-access
      level         = MUST
      condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && !anytrue([for r in requests : contains(split(" ", lookup(r.query, "scope", "")), "offline_access") if r.endpoint == "authorize"])
      error_message = anytrue([for r in requests : r.endpoint == "authorize"]) ? "the client requested offline_access" : "the client sent no authorization request"
    }
  }

  case "registration-refused" {
    description = "The registration endpoint answers 400: the client must fail clearly."
    server "as" {
      rule "refuse-registration" {
        endpoint = "register"
        error    = "invalid_client_metadata"
      }
    }
    checks = [checkset.code_refused]
  }
}
