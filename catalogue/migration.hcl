# Authorization server migration (SEP-2352): the MCP server moves to
# another authorization server while the client runs. A client registers
# anew with the new one and never presents it the credentials of the old.

requirement "SEP-2352-as-change" {
  level = MUST
  text  = "When the protected resource metadata names another authorization server, the client registers with it and never presents it the client identifier or credentials obtained from the previous one."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/2352"
}

locals {
  as1_client_id = "as1-client-id-LEAKED-IF-SEEN-AT-AS2"
}

scenario "auth/authorization-server-migration" {
  description = "After the first authorized request the protected resource metadata names a second authorization server, and tokens of the first are refused"

  server "as1" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    # Registers every client under one identifier, so it can be recognized
    # if it is presented to the second server.
    rule "register" {
      endpoint = "register"
      status   = 201
      body     = jsonencode(merge(jsondecode(request.body), { client_id = local.as1_client_id, token_endpoint_auth_method = "none" }))
    }
  }
  server "as2" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind              = "mcp_server"
    required_scopes   = ["mcp:basic"]
    open_methods      = ["initialize", "notifications/*"]
    resource_metadata = { authorization_servers = [server.as1.issuer] }
    rule "no-event-stream" {
      endpoint = "mcp"
      when     = request.method == "GET"
      status   = 405
    }
    # Once a token of as1 was accepted, the metadata names as2 ...
    rule "migrated-metadata" {
      endpoint = "protected_resource_metadata"
      when     = anytrue([for p in previous : p.endpoint == "mcp" && p.token_issuer == "as1" && p.status >= 200 && p.status < 300])
      status   = 200
      body     = jsonencode({ resource = server.mcp.resource, authorization_servers = [server.as2.issuer], bearer_methods_supported = ["header"] })
    }
    # ... and tokens of as1 are refused.
    rule "as-changed" {
      endpoint = "mcp"
      when     = token != null && try(token.server, "") == "as1" && anytrue([for p in previous : p.endpoint == "mcp" && p.token_issuer == "as1" && p.status >= 200 && p.status < 300])
      status   = 401
      error    = "invalid_token"
      headers  = { "WWW-Authenticate" = "Bearer error=\"invalid_token\", error_description=\"authorization server has changed\", scope=\"mcp:basic\", resource_metadata=\"${server.mcp.metadata_url}\"" }
    }
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "sep-2352-reregister-on-as-change" {
      name          = "ReregisterOnASChange"
      description   = "Client registered with the new authorization server"
      verifies      = requirement.SEP-2352-as-change
      condition     = anytrue([for r in requests : r.server == "as2" && r.endpoint == "register" && r.status == 201])
      error_message = "the client did not register with the new authorization server"
    }
    check "sep-2352-no-reuse-on-as-change" {
      name          = "NoReuseOnASChange"
      description   = "Client did not present the old server's client_id in an authorization request to the new one"
      verifies      = requirement.SEP-2352-as-change
      condition     = anytrue([for r in requests : r.server == "as2" && r.endpoint == "authorize"]) && !anytrue([for r in requests : r.server == "as2" && r.endpoint == "authorize" && lookup(r.query, "client_id", "") == local.as1_client_id])
      error_message = anytrue([for r in requests : r.server == "as2" && r.endpoint == "authorize"]) ? "the client presented ${local.as1_client_id} to the new authorization server" : "the client sent no authorization request to the new authorization server"
    }
    check "sep-2352-no-cross-as-credential-reuse" {
      name          = "NoCrossASCredentialReuse"
      description   = "Client did not present the old server's client_id at the new one's token endpoint"
      verifies      = requirement.SEP-2352-as-change
      condition     = anytrue([for r in token_requests : r.server == "as2"]) && !anytrue([for r in token_requests : r.server == "as2" && (r.client_auth.client_id == local.as1_client_id || lookup(r.form, "client_id", "") == local.as1_client_id)])
      error_message = anytrue([for r in token_requests : r.server == "as2"]) ? "the client presented ${local.as1_client_id} at the new authorization server's token endpoint" : "the client made no token request to the new authorization server"
    }
  }

  case "new-server-refuses" {
    description = "The new authorization server refuses the registration: the client must fail clearly, without falling back to the old one's credentials."
    server "as2" {
      rule "refuse-registration" {
        endpoint          = "register"
        error             = "invalid_client_metadata"
        error_description = "registration is closed"
      }
    }
    checks = [checkset.code_refused]
    check "no-old-credentials-at-new-server" {
      name          = "No old credentials at the new server"
      verifies      = requirement.SEP-2352-as-change
      condition     = !anytrue([for r in requests : r.server == "as2" && r.endpoint == "authorize" && lookup(r.query, "client_id", "") == local.as1_client_id])
      error_message = "the client presented ${local.as1_client_id} to the new authorization server after it refused to register it"
    }
  }
}
