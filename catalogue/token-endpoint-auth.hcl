# Client authentication at the token endpoint after the authorization code
# flow: the method the authorization server advertises, and a
# pre-registered client's credentials.

requirement "OAUTH-2-1-client-authentication" {
  level = MUST
  text  = "The client authenticates at the token endpoint with the method the authorization server advertises (token_endpoint_auth_methods_supported) and that its registration returned."
  ref   = "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-2.4"
}

requirement "MCP-Pre-registration" {
  level = MUST
  text  = "Where the authorization server offers no registration, the client uses the credentials it was pre-registered with."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#preregistration"
}

locals {
  auth_methods = {
    "auth/token-endpoint-auth-basic" = "client_secret_basic"
    "auth/token-endpoint-auth-post"  = "client_secret_post"
    "auth/token-endpoint-auth-none"  = "none"
  }
}

scenario "auth/token-endpoint-auth-basic" {
  description = "The client authenticates with client_secret_basic, the one method the authorization server supports"
}
scenario "auth/token-endpoint-auth-post" {
  description = "The client authenticates with client_secret_post, the one method the authorization server supports"
}
scenario "auth/token-endpoint-auth-none" {
  description = "The client is public: token_endpoint_auth_method none, the one method the authorization server supports"
}

# The three scenarios differ only in the method.
dynamic "scenario" {
  for_each = local.auth_methods
  labels   = [scenario.key]
  content {
    server "as" {
      kind                        = "authorization_server"
      grant_types_supported       = [grant.authorization_code, grant.refresh_token]
      registration                = true
      metadata_at                 = ["oauth"]
      token_endpoint_auth_methods = [scenario.value]
    }
    server "mcp" {
      kind = "mcp_server"
    }
    checks = [checkset.always]

    case "happy-path" {
      checks = [checkset.observed, checkset.authorization_code, checkset.resource_parameter]
      check "token-endpoint-auth-method" {
        name          = "TokenEndpointAuthMethod"
        description   = "Client authenticated with ${scenario.value}"
        verifies      = requirement.OAUTH-2-1-client-authentication
        condition     = length(token_requests) > 0 && alltrue([for r in token_requests : r.client_auth.method == scenario.value && (r.client_auth.verified || scenario.value == "none")])
        error_message = "the token requests authenticated with ${jsonencode([for r in token_requests : r.client_auth])}, not ${scenario.value}"
      }
    }

    case "client-refused" {
      description = "The token endpoint answers the correct credentials with 401 invalid_client: the client must fail clearly."
      server "as" {
        rule "refuse-client" {
          endpoint          = "token"
          error             = "invalid_client"
          error_description = "client authentication failed"
        }
      }
      checks = [checkset.code_refused]
    }
  }
}

scenario "auth/pre-registration" {
  description = "The client uses its pre-registered credentials where the authorization server offers no registration"
  server "as" {
    kind                        = "authorization_server"
    grant_types_supported       = [grant.authorization_code, grant.refresh_token]
    metadata_at                 = ["oauth"]
    token_endpoint_auth_methods = ["client_secret_basic"]
    clients                     = [{ id = "pre-registered-client", secret = "pre-registered-secret" }]
  }
  server "mcp" {
    kind = "mcp_server"
  }
  context = {
    client_id     = "pre-registered-client"
    client_secret = "pre-registered-secret"
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorize]
    check "pre-registration-auth" {
      name          = "PreRegistrationAuth"
      description   = "Client authenticated with its pre-registered credentials"
      verifies      = requirement.MCP-Pre-registration
      condition     = length(token_requests) > 0 && alltrue([for r in token_requests : r.client_auth.method == "client_secret_basic" && r.client_auth.client_id == context.client_id && r.client_auth.verified])
      error_message = length(token_requests) == 0 ? "the client made no token request" : "the token requests authenticated with ${jsonencode([for r in token_requests : r.client_auth])}"
    }
  }

  case "client-refused" {
    description = "The token endpoint answers the pre-registered credentials with 401 invalid_client: the client must fail clearly."
    server "as" {
      rule "refuse-client" {
        endpoint          = "token"
        error             = "invalid_client"
        error_description = "the client is disabled"
      }
    }
    checks = [checkset.code_refused]
  }
}
