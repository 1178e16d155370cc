# The scope selection scenarios (SEP-835): which scope a client requests,
# and how it steps up when the MCP server asks for more.

requirement "MCP-Scope-step-up" {
  level = SHOULD
  text  = "On 403 insufficient_scope the client authorizes again with the scope of the challenge, a limited number of times."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling"
}

scenario "auth/scope-from-www-authenticate" {
  description = "The client requests the scope of the WWW-Authenticate challenge"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind            = "mcp_server"
    challenge_scope = "mcp:basic"
    required_scopes = ["mcp:basic"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "scope-from-www-authenticate" {
      name          = "ScopeFromWwwAuthenticate"
      description   = "Client used the scope of the WWW-Authenticate challenge"
      verifies      = requirement.MCP-Scope-selection
      condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && alltrue([for r in requests : contains(split(" ", lookup(r.query, "scope", "")), "mcp:basic") if r.endpoint == "authorize"])
      error_message = "the authorization requests asked for ${jsonencode([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"])}, not the challenge's mcp:basic"
    }
  }

  case "code-refused" {
    description = "The token endpoint answers the code exchange with invalid_grant: the client must fail without a loop."
    server "as" {
      rule "refuse-code" {
        endpoint          = "token"
        when              = lookup(form, "grant_type", "") == grant.authorization_code
        error             = "invalid_grant"
        error_description = "the authorization code is no longer valid"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/scope-from-scopes-supported" {
  description = "Without a challenge scope, the client requests the scopes_supported of the protected resource metadata"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind             = "mcp_server"
    scopes_supported = ["mcp:basic", "mcp:read", "mcp:write"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "scope-from-scopes-supported" {
      name          = "ScopeFromScopesSupported"
      description   = "Client requested all of scopes_supported"
      verifies      = requirement.MCP-Scope-selection
      condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && alltrue([for r in requests : length(setsubtract(["mcp:basic", "mcp:read", "mcp:write"], split(" ", lookup(r.query, "scope", "")))) == 0 if r.endpoint == "authorize"])
      error_message = "the authorization requests asked for ${jsonencode([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"])}, not all of mcp:basic mcp:read mcp:write"
    }
  }

  case "registration-refused" {
    description = "The registration endpoint answers 400 invalid_client_metadata: the client must fail clearly."
    server "as" {
      rule "refuse-registration" {
        endpoint          = "register"
        error             = "invalid_client_metadata"
        error_description = "registration is closed"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/scope-omitted-when-undefined" {
  description = "With no scope anywhere, the client requests none"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind = "mcp_server"
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "scope-omitted-when-undefined" {
      name          = "ScopeOmittedWhenUndefined"
      description   = "Client omitted scope when none is defined"
      verifies      = requirement.MCP-Scope-selection
      condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && alltrue([for r in requests : trimspace(lookup(r.query, "scope", "")) == "" if r.endpoint == "authorize"])
      error_message = "the authorization requests asked for ${jsonencode([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"])}"
    }
  }

  case "authorization-denied" {
    description = "The authorization endpoint redirects with error=access_denied: the client must stop, without a loop."
    server "as" {
      rule "deny" {
        endpoint = "authorize"
        status   = 302
        headers  = { Location = "${request.query.redirect_uri}?error=access_denied&state=${lookup(request.query, "state", "")}" }
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/scope-step-up" {
  description = "The client steps up to the scope of a 403 insufficient_scope challenge"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind             = "mcp_server"
    scopes_supported = ["mcp:profile"]
    required_scopes  = ["mcp:basic"]
    method_scopes    = { "tools/call" = ["mcp:write"] }
    open_methods     = ["initialize", "notifications/*"]
    # No event stream at GET, as the official stub (MCP transports: 405).
    rule "no-event-stream" {
      endpoint = "mcp"
      when     = request.method == "GET"
      status   = 405
    }
    # The step-up challenge names only the scope the call adds.
    rule "step-up" {
      endpoint = "mcp"
      when     = mcp.method == "tools/call" && token != null && !contains(split(" ", try(token.scope, "")), "mcp:write")
      status   = 403
      error    = "insufficient_scope"
      headers  = { "WWW-Authenticate" = "Bearer error=\"insufficient_scope\", scope=\"mcp:write\", resource_metadata=\"${server.mcp.metadata_url}\"" }
    }
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "scope-step-up-initial" {
      name          = "ScopeStepUpInitial"
      description   = "The first authorization request asks for the challenge's mcp:basic"
      verifies      = requirement.MCP-Scope-selection
      condition     = contains(split(" ", try([for r in requests : lookup(r.query, "scope", "") if r.endpoint == "authorize"][0], "")), "mcp:basic")
      error_message = "the first authorization request asked for ${jsonencode(try([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"][0], null))}"
    }
    check "scope-step-up-escalation" {
      name          = "ScopeStepUpEscalation"
      description   = "After 403 insufficient_scope the client authorizes again with mcp:write"
      verifies      = requirement.MCP-Scope-step-up
      condition     = contains(split(" ", try([for r in requests : lookup(r.query, "scope", "") if r.endpoint == "authorize"][1], "")), "mcp:write")
      error_message = length([for r in requests : r if r.endpoint == "authorize"]) < 2 ? "the client did not authorize again after the 403 insufficient_scope" : "the second authorization request asked for ${jsonencode([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"][1])}"
    }
    check "sep-2350-scope-union-on-reauth" {
      name          = "ScopeUnionOnReauth"
      description   = "The step-up authorization request keeps the scope already granted (mcp:basic) besides mcp:write"
      verifies      = requirement.MCP-Scope-step-up
      enabled       = version_at_least(protocol_version, "2026-07-28")
      condition     = length(setsubtract(["mcp:basic", "mcp:write"], split(" ", try([for r in requests : lookup(r.query, "scope", "") if r.endpoint == "authorize"][1], "")))) == 0
      error_message = "the second authorization request asked for ${jsonencode(try([for r in requests : try(r.query.scope, null) if r.endpoint == "authorize"][1], null))}, not the union mcp:basic mcp:write"
    }
  }

  case "step-up-refused" {
    description = "The MCP server answers 403 insufficient_scope again after the step-up: the client must stop without looping."
    server "mcp" {
      rule "still-insufficient" {
        endpoint = "mcp"
        when     = mcp.has_bearer && mcp.method == "tools/call"
        status   = 403
        error    = "insufficient_scope"
        headers  = { "WWW-Authenticate" = "Bearer error=\"insufficient_scope\", scope=\"mcp:basic mcp:write\", resource_metadata=\"${server.mcp.metadata_url}\"" }
      }
    }
    check "step-up-bounded" {
      name          = "Step-up attempts are bounded"
      verifies      = requirement.MCP-Scope-step-up
      condition     = length([for r in requests : r if r.endpoint == "authorize"]) <= 4
      error_message = "the client authorized ${length([for r in requests : r if r.endpoint == "authorize"])} times against a server that keeps refusing"
    }
    check "step-up-exit-nonzero" {
      name          = "Exits non-zero when the step-up is refused"
      verifies      = requirement.refused-fails-clearly
      condition     = client.exited && client.exit_code != 0
      error_message = client.exited ? "the client exited 0 although the tool call was refused" : "the client did not exit (${client.hung_in})"
    }
  }
}

scenario "auth/scope-retry-limit" {
  description = "The client limits how often it authorizes again after 403 insufficient_scope"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind             = "mcp_server"
    scopes_supported = ["mcp:admin"]
    required_scopes  = ["mcp:admin"]
    open_methods     = ["initialize", "notifications/*"]
    rule "no-event-stream" {
      endpoint = "mcp"
      when     = request.method == "GET"
      status   = 405
    }
    # Every token-bearing request: 403 three times, then 410.
    rule "complete" {
      endpoint = "mcp"
      when     = mcp.has_bearer && length([for p in previous : p if p.rule == "insufficient"]) >= 3
      status   = 410
      body     = jsonencode({ error = "test_complete" })
    }
    rule "insufficient" {
      endpoint = "mcp"
      when     = mcp.has_bearer
      status   = 403
      error    = "insufficient_scope"
      headers  = { "WWW-Authenticate" = "Bearer error=\"insufficient_scope\", scope=\"mcp:admin\", resource_metadata=\"${server.mcp.metadata_url}\"" }
    }
  }
  checks = [checkset.always]

  case "happy-path" {
    check "scope-retry-limit" {
      name          = "ScopeRetryLimit"
      description   = "The client authorized between one and three times against a server that always answers 403"
      verifies      = requirement.MCP-Scope-step-up
      level         = MUST
      condition     = length([for r in requests : r if r.endpoint == "authorize"]) >= 1 && length([for r in requests : r if r.endpoint == "authorize"]) <= 3
      error_message = "the client sent ${length([for r in requests : r if r.endpoint == "authorize"])} authorization requests"
    }
  }
}
