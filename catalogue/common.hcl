# What the scenarios of the official client-auth catalogue share: the
# requirements their checks verify, and the check sets of what every
# scenario observes and of how a client must fail when a server refuses it.
#
# Check ids that judge what the official harness judges are the official
# ids, so a baseline file written for it works unchanged; the checks of
# refused cases are wifdsl's own.

requirement "OAUTH-2-1-token-request" {
  level = MAY
  text  = "The client requests an access token at the token endpoint."
  ref   = "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-3.2"
}

requirement "RFC-8414-metadata-request" {
  level = MAY
  text  = "The client fetches the authorization server metadata (RFC 8414)."
  ref   = "https://www.rfc-editor.org/rfc/rfc8414#section-3"
}

requirement "RFC-9728" {
  level = MAY
  text  = "The client fetches the protected resource metadata (RFC 9728)."
  ref   = "https://www.rfc-editor.org/rfc/rfc9728#section-3.1"
}

requirement "MCP-Access-token-usage" {
  level = MUST
  text  = "The client sends an access token the authorization server issued, in the Authorization: Bearer header of MCP requests."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#access-token-usage"
}

requirement "refused-fails-clearly" {
  level = SHOULD
  text  = "When a server refuses it, the client stops without a retry loop, exits promptly with a non-zero status, names the OAuth error and prints no secret."
  ref   = "https://www.rfc-editor.org/rfc/rfc6749#section-5.2"
}

locals {
  # Secrets a client must never print: every token a server issued and
  # the credentials of the context.
  secret_fields = ["client_secret", "private_key_pem", "idp_id_token"]
}

# What the official harness records as it happens, as checks of a case in
# which the client should obtain a token: SUCCESS when observed, INFO when
# not (they never fail a run).
checkset "observed" {
  checks = [checkset.bearer, checkset.flow_observed]
}

# The same without the bearer token check, which the official harness
# emits only where its stub MCP server verifies bearer tokens (not in the
# DPoP scenarios).
checkset "flow_observed" {
  checks = [checkset.prm_observed]

  check "token-request" {
    name          = "TokenRequest"
    description   = "Client requested access token"
    verifies      = requirement.OAUTH-2-1-token-request
    condition     = length(token_requests) > 0
    error_message = "the client made no token request"
  }

  check "authorization-server-metadata" {
    name          = "AuthorizationServerMetadata"
    description   = "Client requested authorization server metadata"
    verifies      = requirement.RFC-8414-metadata-request
    condition     = anytrue([for r in requests : r.endpoint == "metadata" && r.status == 200])
    error_message = "the client did not fetch the authorization server metadata"
  }

}

checkset "prm_observed" {
  check "prm-pathbased-requested" {
    name          = "PRMPathBasedRequested"
    description   = "Client requested PRM metadata at path-based location"
    verifies      = requirement.RFC-9728
    condition     = anytrue([for r in requests : r.endpoint == "protected_resource_metadata" && r.status == 200])
    error_message = "the client did not fetch the protected resource metadata"
  }
}

checkset "bearer" {
  check "valid-bearer-token" {
    name          = "ValidBearerToken"
    description   = "Client provided valid bearer token"
    verifies      = requirement.MCP-Access-token-usage
    level         = MAY
    condition     = anytrue([for r in mcp_requests : r.issued_token && r.status >= 200 && r.status < 300])
    error_message = "no MCP request carried an access token the authorization server issued"
  }
}

# What every case checks, whatever the servers answer: no bearer token that
# no server issued (the official harness fails it too), no secret printed.
checkset "always" {
  check "invalid-bearer-token" {
    name          = "InvalidBearerToken"
    description   = "Client provided invalid bearer token"
    verifies      = requirement.MCP-Access-token-usage
    condition     = !anytrue([for r in mcp_requests : r.has_bearer && !r.issued_token])
    error_message = "an MCP request carried a bearer token no authorization server of the case issued"
  }

  check "no-secret-leak" {
    name     = "No secret in the client's output"
    verifies = requirement.refused-fails-clearly
    condition = !anytrue([
      for s in concat([for t in issued : t.token], [for k in local.secret_fields : lookup(context, k, "") if lookup(context, k, "") != ""]) : strcontains(client.output, s)
    ])
    error_message = "the client printed a token, a client secret or a private key"
  }
}

# How a correct client fails when a server refuses it on purpose.
checkset "refused" {
  check "refused-no-retry-loop" {
    name     = "No retry loop after the refusal"
    verifies = requirement.refused-fails-clearly
    # One retry is tolerated (the TypeScript SDK's auth() retries once after
    # invalid_client and invalid_grant); a loop is not.
    condition     = length([for r in requests : r if r.rule != ""]) <= 2
    error_message = "the client sent ${length([for r in requests : r if r.rule != ""])} requests that the refusing rule answered"
  }

  check "refused-exit-nonzero" {
    name          = "Exits non-zero after the refusal"
    verifies      = requirement.refused-fails-clearly
    condition     = !(client.exited && client.exit_code == 0)
    error_message = "the client exited with status 0 although a server refused it"
  }

  check "refused-fails-fast" {
    name          = "Fails fast after the refusal"
    verifies      = requirement.refused-fails-clearly
    condition     = client.exited && client.exit_after_error_ms != null
    error_message = client.hung_after_error ? "the client was still running ${client.exit_after_error_ms} ms after the refusal and was killed (${client.hung_in})" : "the client did not exit after the refusal (${client.hung_in})"
  }

  check "refused-error-surfaced" {
    name     = "Names the OAuth error"
    verifies = requirement.refused-fails-clearly
    condition = anytrue([
      for r in token_requests : r.response.rule != "" && mentions_error(client.output, r.response.error)
    ])
    error_message = "the client's output does not name the OAuth error of the refusal"
  }
}
