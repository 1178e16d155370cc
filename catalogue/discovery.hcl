# Discovery: where a client finds the protected resource metadata (RFC
# 9728) and the authorization server metadata (RFC 8414, OpenID Connect
# Discovery), and what it must not trust.

requirement "RFC-9728-discovery-order" {
  level = MUST
  text  = "The client uses the resource_metadata URL of the WWW-Authenticate challenge when there is one, else tries the path-based well-known URL before the root one."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#protected-resource-metadata-discovery-requirements"
}

requirement "RFC-8414-discovery-order" {
  level = MUST
  text  = "For an issuer with a path, the client tries the RFC 8414 path-insertion URL, then OpenID Connect path insertion, then path appending, never the root of the origin."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-metadata-discovery"
}

requirement "RFC-8414-issuer-validation" {
  level = MUST
  text  = "The client verifies that the issuer of the authorization server metadata is the issuer it fetched the metadata for, and does not use a document that names another (RFC 8414 §3.3)."
  ref   = "https://www.rfc-editor.org/rfc/rfc8414#section-3.3"
}

requirement "RFC-8707-resource-validation" {
  level = MUST
  text  = "The client verifies that the resource of the protected resource metadata is the server it is connecting to, and does not authorize for another (RFC 9728 §3.3)."
  ref   = "https://www.rfc-editor.org/rfc/rfc9728#section-3.3"
}

requirement "MCP-CIMD" {
  level = SHOULD
  text  = "Where the authorization server supports client ID metadata documents, the client uses its metadata document URL as its client_id."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-id-metadata-documents"
}

locals {
  oidc_fields = {
    jwks_uri                              = "https://idp.invalid/jwks"
    subject_types_supported               = ["public"]
    id_token_signing_alg_values_supported = ["RS256"]
  }
}

scenario "auth/metadata-default" {
  description = "Path-based protected resource metadata named in the challenge; authorization server metadata at the RFC 8414 location"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind                 = "mcp_server"
    resource_metadata_at = ["path"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.discovered]
    check "prm-pathbased-requested" {
      name          = "PRMPathBasedRequested"
      description   = "Client requested PRM metadata at path-based location"
      verifies      = requirement.RFC-9728
      level         = MUST
      condition     = anytrue([for r in requests : r.endpoint == "protected_resource_metadata" && r.status == 200])
      error_message = "Expected Check Missing: the client did not fetch the protected resource metadata"
    }
    check "prm-priority-order" {
      name          = "PRMPriorityOrder"
      description   = "Client did not fall back to the root protected resource metadata"
      verifies      = requirement.RFC-9728-discovery-order
      condition     = !anytrue([for r in requests : r.server == "mcp" && r.path == "/.well-known/oauth-protected-resource"])
      error_message = "the client fetched the root /.well-known/oauth-protected-resource although the challenge named the path-based one"
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

scenario "auth/metadata-var1" {
  description = "No resource_metadata in the challenge; authorization server metadata only as OpenID Connect discovery at the root"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["openid-root"]
    metadata              = local.oidc_fields
  }
  server "mcp" {
    kind                           = "mcp_server"
    resource_metadata_at           = ["path"]
    resource_metadata_in_challenge = false
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.discovered]
    check "prm-pathbased-requested" {
      name          = "PRMPathBasedRequested"
      description   = "Client requested PRM metadata at path-based location"
      verifies      = requirement.RFC-9728
      level         = MUST
      condition     = anytrue([for r in requests : r.endpoint == "protected_resource_metadata" && r.status == 200])
      error_message = "Expected Check Missing: the client did not fetch the protected resource metadata"
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

scenario "auth/metadata-var2" {
  description = "Protected resource metadata only at the root; an issuer with a path, its metadata at the RFC 8414 path-insertion location"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    issuer_path           = "/tenant1"
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind                           = "mcp_server"
    resource_metadata_at           = ["root"]
    resource_metadata_in_challenge = false
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.discovered, checkset.prm_observed]
    check "authorization-server-metadata-wrong-path" {
      name          = "AuthorizationServerMetadataWrongPath"
      description   = "Client did not drop the issuer's path when discovering its metadata"
      verifies      = requirement.RFC-8414-discovery-order
      condition     = !anytrue([for r in requests : r.server == "as" && contains(["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"], r.path)])
      error_message = "the client fetched metadata at the root of the origin, dropping the issuer path /tenant1"
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

scenario "auth/metadata-var3" {
  description = "Protected resource metadata at a custom URL named in the challenge; an issuer with a path, its metadata only by OpenID Connect path appending"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    issuer_path           = "/tenant1"
    metadata_at           = ["openid"]
    metadata              = local.oidc_fields
  }
  server "mcp" {
    kind                 = "mcp_server"
    resource_metadata_at = ["/custom/metadata/location.json"]
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.discovered, checkset.prm_observed]
    check "authorization-server-metadata-wrong-path" {
      name          = "AuthorizationServerMetadataWrongPath"
      description   = "Client did not drop the issuer's path when discovering its metadata"
      verifies      = requirement.RFC-8414-discovery-order
      condition     = !anytrue([for r in requests : r.server == "as" && contains(["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"], r.path)])
      error_message = "the client fetched metadata at the root of the origin, dropping the issuer path /tenant1"
    }
  }

  case "registration-refused" {
    description = "The registration endpoint answers 400 invalid_client_metadata: the client must fail clearly."
    server "as" {
      rule "refuse-registration" {
        endpoint = "register"
        error    = "invalid_client_metadata"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/basic-cimd" {
  description = "The authorization server supports client ID metadata documents: the client uses its document URL as client_id"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    metadata              = { client_id_metadata_document_supported = true }
  }
  server "mcp" {
    kind = "mcp_server"
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorize]
    check "cimd-client-id-used" {
      name          = "CIMDClientIdUsed"
      description   = "Client used its client ID metadata document URL as client_id"
      verifies      = requirement.MCP-CIMD
      condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && alltrue([for r in requests : lookup(r.query, "client_id", "") == local.cimd_url if r.endpoint == "authorize"])
      error_message = "the authorization requests used client_id ${jsonencode([for r in requests : try(r.query.client_id, null) if r.endpoint == "authorize"])}, not ${local.cimd_url}"
    }
  }

  case "authorization-denied" {
    description = "The authorization endpoint redirects with error=unauthorized_client: the client must stop, without a loop."
    server "as" {
      rule "deny" {
        endpoint = "authorize"
        status   = 302
        headers  = { Location = "${request.query.redirect_uri}?error=unauthorized_client&state=${lookup(request.query, "state", "")}" }
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/resource-mismatch" {
  description = "The protected resource metadata names another resource: the client must not authorize"
  server "as" {
    kind                        = "authorization_server"
    grant_types_supported       = [grant.authorization_code, grant.refresh_token]
    registration                = true
    metadata_at                 = ["oauth"]
    token_endpoint_auth_methods = ["none"]
  }
  server "mcp" {
    kind              = "mcp_server"
    resource_metadata = { resource = "https://evil.example.com/mcp" }
  }
  checks = [checkset.always]

  case "rejects-mismatch" {
    checks = [checkset.prm_observed]
    check "resource-mismatch-rejected" {
      name          = "ResourceMismatchRejected"
      description   = "Client did not authorize for a resource that is not the server it connects to"
      verifies      = requirement.RFC-8707-resource-validation
      condition     = !anytrue([for r in requests : r.endpoint == "authorize"])
      error_message = "the client sent an authorization request for the resource https://evil.example.com/mcp"
    }
    check "resource-mismatch-exit-nonzero" {
      name          = "Exits non-zero on the mismatch"
      verifies      = requirement.refused-fails-clearly
      condition     = client.exited && client.exit_code != 0
      error_message = client.exited ? "the client exited 0" : "the client did not exit (${client.hung_in})"
    }
  }
}

scenario "auth/metadata-issuer-mismatch" {
  description = "The authorization server metadata names another issuer: the client must not use it"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    issuer_path           = "/mismatched-as"
    metadata_at           = ["oauth-root"]
    metadata              = { issuer = "https://attacker.example.com" }
  }
  server "mcp" {
    kind = "mcp_server"
    # The protected resource names the bare origin, whose metadata names
    # another issuer; the endpoints are only in that document.
    resource_metadata = { authorization_servers = [server.as.origin] }
  }
  checks = [checkset.always]

  case "rejects-mismatch" {
    checks = [checkset.prm_observed]
    check "sep-2468-client-validate-metadata-issuer" {
      name          = "ClientValidateMetadataIssuer"
      description   = "Client fetched the metadata and then used none of its endpoints"
      verifies      = requirement.RFC-8414-issuer-validation
      condition     = anytrue([for r in requests : r.endpoint == "metadata"]) && !anytrue([for r in requests : contains(["register", "authorize", "token"], r.endpoint)])
      error_message = anytrue([for r in requests : r.endpoint == "metadata"]) ? "the client used ${jsonencode(distinct([for r in requests : r.endpoint if contains(["register", "authorize", "token"], r.endpoint)]))} of a metadata document whose issuer is https://attacker.example.com" : "the client did not fetch the authorization server metadata"
    }
  }
}
