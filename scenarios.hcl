# The built-in wifdsl suite: client conformance for Workload Identity
# Federation (SEP-1933), the RFC 7523 JWT-bearer grant.
#
# Every case starts its own stub authorization server and stub MCP server on
# 127.0.0.1, mints its own workload JWTs, and runs the client under test once.
# The rejection cases make the authorization server refuse a *correct*
# client, then judge what the client does next.
#
# Where a check judges what a check of the official harness's
# auth/wif-jwt-bearer judges, it has the official id (wif-grant-type,
# wif-no-retry, wif-grant-fallback, wif-assertion-*, token-request,
# authorization-server-metadata, prm-pathbased-requested,
# valid-bearer-token, invalid-bearer-token); wifdsl's stricter or
# additional checks have ids of their own.

# ---------------------------------------------------------------------------
# Requirements (see docs/checks.md for the catalogue)
# ---------------------------------------------------------------------------

requirement "token-request-post" {
  level = MUST
  text  = "The client sends the token request as an HTTP POST."
  ref   = "https://www.rfc-editor.org/rfc/rfc6749#section-3.2"
  tags  = ["R1"]
}

requirement "token-request-form" {
  level = MUST
  text  = "The token request body is application/x-www-form-urlencoded."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
  tags  = ["R2"]
}

requirement "jwt-bearer-grant" {
  level = MUST
  text  = "The token request uses grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, not client_credentials with a client_assertion."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
  tags  = ["R3"]
}

requirement "assertion-present" {
  level = MUST
  text  = "A JWT-bearer token request carries the workload JWT in the assertion parameter."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
  tags  = ["R4"]
}

requirement "assertion-valid" {
  level = MUST
  text  = "The assertion verifies at the authorization server: signed by the workload's identity provider, the authorization server as its audience, not expired."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-3"
  tags  = ["R4"]
}

requirement "assertion-verbatim" {
  level = MUST
  text  = "The assertion parameter carries the workload JWT exactly as issued; the client never makes its own."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
  tags  = ["R4"]
}

requirement "resource-indicator" {
  level = MUST
  text  = "The token request names the MCP server in the resource parameter, equal to the canonical URI in its protected resource metadata."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#resource-parameter-implementation"
  tags  = ["R5"]
}

requirement "discovery" {
  level = MUST
  text  = "The client finds the token endpoint by discovery: protected resource metadata (RFC 9728), then authorization server metadata (RFC 8414)."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-discovery"
  tags  = ["R6"]
}

requirement "bearer-header" {
  level = MUST
  text  = "The client sends the issued access token in the Authorization: Bearer header of every MCP request."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#token-requirements"
  tags  = ["R7"]
}

requirement "token-not-in-query" {
  level = MUST
  text  = "The access token is never sent in the URI query string."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#token-requirements"
  tags  = ["R7"]
}

requirement "no-repeated-params" {
  level = MUST
  text  = "No token request parameter is sent more than once."
  ref   = "https://www.rfc-editor.org/rfc/rfc6749#section-3.2"
  tags  = ["R8"]
}

requirement "no-registration" {
  level = SHOULD
  text  = "A workload client neither registers (RFC 7591) nor starts an authorization-code flow: federation needs no registration."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
  tags  = ["R9"]
}

requirement "mcp-access" {
  level = MUST
  text  = "The client uses the issued access token to call the MCP server successfully."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
}

requirement "exit-success" {
  level = SHOULD
  text  = "A client that completed the flow exits with status 0."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
}

requirement "no-retry" {
  level = SHOULD
  text  = "After invalid_grant, invalid_scope, invalid_request or unauthorized_client the client does not retry the token request: the error needs an operator."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
  tags  = ["R10"]
}

requirement "no-fallback" {
  level = SHOULD
  text  = "After a rejection the client does not fall back to another grant type, registration or an authorization-code flow."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
  tags  = ["R11"]
}

requirement "reauthentication" {
  level = SHOULD
  text  = "When its access token expires, the client gets a new one with a fresh JWT-bearer exchange of its current workload JWT, not with a refresh grant."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
}

requirement "retry-after" {
  level = SHOULD
  text  = "After temporarily_unavailable with Retry-After, the client tries at most once more, and not before the delay has passed."
  ref   = "https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3"
  tags  = ["R10"]
}

requirement "fail-fast" {
  level = SHOULD
  text  = "After a rejection the client exits promptly instead of hanging."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
  tags  = ["R12"]
}

requirement "fail-clearly" {
  level = SHOULD
  text  = "After a rejection the client exits with a non-zero status and an error that names the OAuth error code."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
  tags  = ["R13"]
}

requirement "scope-error-distinct" {
  level = SHOULD
  text  = "An invalid_scope rejection is reported as a scope problem, distinct from a JWT (invalid_grant) failure."
  ref   = "https://github.com/modelcontextprotocol/conformance/issues/223"
  tags  = ["R14"]
}

requirement "no-secret-logging" {
  level = SHOULD
  text  = "The client does not log the workload assertion or the access token."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
  tags  = ["R15"]
}

requirement "assertion-over-tls" {
  level = MUST
  text  = "The client sends the workload JWT only over TLS: offered a plain-HTTP token endpoint by metadata it fetched over HTTPS, it does not send the JWT there."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
  tags  = ["R16"]
}

requirement "jwt-file-assertion" {
  level = MUST
  text  = "A client handed the workload JWT as a file sends, verbatim, a JWT the platform wrote to that file."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
  tags  = ["R4"]
}

requirement "jwt-file-fresh" {
  level = SHOULD
  text  = "A client handed the workload JWT as a file reads the file when it needs a token, so it never sends a JWT the platform had already replaced."
  ref   = "https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken"
  tags  = ["R4"]
}

# What the official harness records in every client-auth scenario. The ids
# and levels are the official ones (as in catalogue/common.hcl; this file is
# loaded on its own, so it states them itself).

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

# ---------------------------------------------------------------------------
# Shared values
# ---------------------------------------------------------------------------

locals {
  idp            = "https://idp.conformance.test"
  agent          = "spiffe://conformance.test/ns/default/sa/agent"
  rogue          = "spiffe://conformance.test/ns/default/sa/rogue"
  other_audience = "https://wrong-audience.conformance.test/token"
  # Requests to these paths mean registration or an authorization-code flow.
  fallback_paths = ["/register", "/authorize"]
  metadata_paths = ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]

  # Why the stub authorization server refused a JWT-bearer assertion
  # (token_requests[*].response.reason), by the official check that judges
  # it: expired; not for this audience; any other failure to verify.
  expired_reasons   = ["expired"]
  audience_reasons  = ["audience", "missing aud"]
  malformed_reasons = ["signature", "malformed claim", "missing iss", "missing sub", "missing exp", "not yet valid", "issued in the future"]
  # Why it refused a token request before it verified the assertion.
  unverified_reasons = ["body read", "body too large", "method", "content type", "form", "repeated parameter", "missing grant_type", "unsupported grant_type", "client authentication", "missing assertion"]
}

# ---------------------------------------------------------------------------
# Check sets
# ---------------------------------------------------------------------------

# What every case checks, whatever the authorization server answered.
checkset "wif_always" {
  # The official id: the official MCP server fails any bearer token its
  # authorization server did not issue.
  check "invalid-bearer-token" {
    name          = "InvalidBearerToken"
    description   = "Client provided invalid bearer token"
    verifies      = requirement.MCP-Access-token-usage
    condition     = !anytrue([for m in mcp_requests : m.has_bearer && !m.issued_token])
    error_message = "an MCP request carried a bearer token the authorization server did not issue"
  }

  check "wif-no-secret-leak" {
    name     = "No secret in the client's output"
    verifies = requirement.no-secret-logging
    condition = !anytrue([
      for s in concat([for a in assertion : a.token], [for v in jwt_file.versions : v.token], issued_tokens) : strcontains(client.output, s)
    ])
    error_message = "the client printed a workload assertion or an access token to its stdout or stderr"
  }
}

# What the official harness records as it happens, under its ids, in a
# case in which the client should obtain a token: SUCCESS when observed,
# INFO when not (MAY: they never fail a run).
checkset "wif_observed" {
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

  check "prm-pathbased-requested" {
    name          = "PRMPathBasedRequested"
    description   = "Client requested PRM metadata at path-based location"
    verifies      = requirement.RFC-9728
    condition     = anytrue([for r in requests : r.endpoint == "protected_resource_metadata" && r.status == 200])
    error_message = "the client did not fetch the protected resource metadata"
  }

  check "valid-bearer-token" {
    name          = "ValidBearerToken"
    description   = "Client provided valid bearer token"
    verifies      = requirement.MCP-Access-token-usage
    level         = MAY
    condition     = anytrue([for m in mcp_requests : m.issued_token && m.status >= 200 && m.status < 300])
    error_message = "no MCP request carried an access token the authorization server issued"
  }
}

# The official harness's judgement of the workload JWT, under its ids. Each
# check reads why the stub authorization server refused a JWT-bearer
# assertion (token_requests[*].response.reason). They belong to the cases in
# which a correct client presents a JWT that verifies and the stub verifies
# it before it answers: not expired-assertion and wrong-audience, whose
# valid_jwt is bad on purpose, not temporarily-unavailable, whose 503 comes
# first, and not tls-downgrade, where a correct client sends no token
# request. The official harness emits the failure ids only when they fail;
# here they are SUCCESS otherwise.
checkset "assertion" {
  check "wif-assertion-verified" {
    name     = "Assertion verified"
    verifies = requirement.assertion-valid
    locals {
      jwt_bearer = [for r in token_requests : r if lookup(r.form, "grant_type", "") == grant.jwt_bearer]
    }
    condition     = length(local.jwt_bearer) > 0 && !contains(concat(local.unverified_reasons, local.expired_reasons, local.audience_reasons, local.malformed_reasons), local.jwt_bearer[0].response.reason)
    error_message = length(local.jwt_bearer) == 0 ? "the client made no JWT-bearer token request" : "the authorization server did not verify the assertion of the first JWT-bearer token request: ${local.jwt_bearer[0].response.error_description}"
  }

  check "wif-assertion-missing" {
    name          = "Assertion present"
    verifies      = requirement.assertion-present
    condition     = !anytrue([for r in token_requests : lookup(r.form, "grant_type", "") == grant.jwt_bearer && lookup(r.form, "assertion", "") == ""])
    error_message = "a JWT-bearer token request had no assertion parameter"
  }

  check "wif-assertion-expired" {
    name          = "Assertion not expired"
    verifies      = requirement.assertion-valid
    condition     = !anytrue([for r in token_requests : contains(local.expired_reasons, r.response.reason)])
    error_message = "the authorization server refused the assertion: ${join("; ", distinct([for r in token_requests : r.response.error_description if contains(local.expired_reasons, r.response.reason)]))}"
  }

  check "wif-assertion-audience" {
    name          = "Assertion for this authorization server"
    verifies      = requirement.assertion-valid
    condition     = !anytrue([for r in token_requests : contains(local.audience_reasons, r.response.reason)])
    error_message = "the authorization server refused the assertion: ${join("; ", distinct([for r in token_requests : r.response.error_description if contains(local.audience_reasons, r.response.reason)]))}"
  }

  check "wif-assertion-malformed" {
    name          = "Assertion well-formed and signed"
    verifies      = requirement.assertion-valid
    condition     = !anytrue([for r in token_requests : contains(local.malformed_reasons, r.response.reason)])
    error_message = "the authorization server refused the assertion: ${join("; ", distinct([for r in token_requests : r.response.error_description if contains(local.malformed_reasons, r.response.reason)]))}"
  }
}

# In happy-path a correct client is never refused. A client the
# authorization server refuses for a mistake of its own is judged as the
# official harness judges it: a token request after the refusal is a retry
# (the JWT-bearer grant again) or a fallback (another grant, or
# registration or an authorization-code flow).
checkset "after_own_refusal" {
  check "wif-no-retry" {
    name     = "No retry after a non-recoverable error"
    verifies = requirement.no-retry
    locals {
      first_refused = try([for i, r in token_requests : i if r.response.error != ""][0], length(token_requests))
      retries       = [for i, r in token_requests : r if i > local.first_refused && lookup(r.form, "grant_type", "") == grant.jwt_bearer]
    }
    condition     = length(local.retries) == 0
    error_message = "after the authorization server refused token request ${local.first_refused + 1} with ${try(token_requests[local.first_refused].response.error, "")}, the client sent ${length(local.retries)} more JWT-bearer token request(s)"
  }

  check "wif-grant-fallback" {
    name     = "No fallback to another grant or flow"
    verifies = requirement.no-fallback
    locals {
      refused_at = try([for r in token_requests : r.at_ms if r.response.error != ""][0], null)
      fallbacks = concat(
        [for r in token_requests : lookup(r.form, "grant_type", "(none)") if lookup(r.form, "grant_type", "") != grant.jwt_bearer && try(r.at_ms > local.refused_at, false)],
        [for r in requests : r.path if r.server == "auth" && contains(local.fallback_paths, r.path) && try(r.at_ms > local.refused_at, false)],
      )
    }
    condition     = length(local.fallbacks) == 0
    error_message = "after the authorization server refused it, the client tried ${jsonencode(distinct(local.fallbacks))}"
  }
}

# What a correct client does when the flow succeeds.
checkset "happy_path" {
  check "wif-token-request-post" {
    name          = "Token request is a POST"
    verifies      = requirement.token-request-post
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : r.method == "POST"])
    error_message = length(token_requests) == 0 ? "the client made no token request" : "token request methods were ${join(", ", [for r in token_requests : r.method])}"
  }

  check "wif-token-request-form" {
    name          = "Token request body is form-encoded"
    verifies      = requirement.token-request-form
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : r.content_type == "application/x-www-form-urlencoded" && r.form_error == ""])
    error_message = length(token_requests) == 0 ? "the client made no token request" : "token request content types were ${join(", ", [for r in token_requests : r.content_type == "" ? "(none)" : r.content_type])}"
  }

  check "wif-grant-type" {
    name     = "Token request uses the JWT-bearer grant"
    verifies = requirement.jwt-bearer-grant
    condition = length(token_requests) > 0 && alltrue([
      for r in token_requests : lookup(r.form, "grant_type", "") == grant.jwt_bearer && !contains(keys(r.form), "client_assertion")
    ])
    error_message = length(token_requests) == 0 ? "the client made no token request" : "grant_type was ${join(", ", [for r in token_requests : lookup(r.form, "grant_type", "(missing)")])}"
  }

  check "wif-assertion-verbatim" {
    name          = "Assertion is the workload JWT, verbatim"
    verifies      = requirement.assertion-verbatim
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : lookup(r.form, "assertion", "") == assertion.workload.token])
    error_message = "the assertion parameter was not the JWT from the context's valid_jwt"
  }

  check "wif-resource-indicator" {
    name          = "Token request names the MCP server as resource"
    verifies      = requirement.resource-indicator
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : lookup(r.form, "resource", "") == mcp_server.resource])
    error_message = "resource was ${jsonencode([for r in token_requests : lookup(r.form, "resource", null)])}, expected ${jsonencode(mcp_server.resource)}"
  }

  check "wif-discovery" {
    name     = "Token endpoint found by discovery"
    verifies = requirement.discovery
    condition = length(token_requests) > 0 && anytrue([
      for r in requests : r.server == "mcp" && startswith(r.path, "/.well-known/oauth-protected-resource") && r.status == 200 && r.at_ms < token_requests[0].at_ms
      ]) && anytrue([
      for r in requests : r.server == "auth" && contains(local.metadata_paths, r.path) && r.status == 200 && r.at_ms < token_requests[0].at_ms
    ])
    error_message = "before its first token request the client did not fetch both the protected resource metadata and the authorization server metadata"
  }

  check "wif-bearer-header" {
    name     = "Access token sent as a Bearer header"
    verifies = requirement.bearer-header
    condition = length([for r in mcp_requests : r if r.after_token]) > 0 && alltrue([
      for r in mcp_requests : r.has_bearer && r.issued_token if r.after_token
    ])
    error_message = "MCP requests after the token was issued: ${jsonencode([for r in mcp_requests : { method = r.method, scheme = r.auth_scheme, issued_token = r.issued_token } if r.after_token])}"
  }

  check "wif-token-not-in-query" {
    name          = "Access token never in the query string"
    verifies      = requirement.token-not-in-query
    condition     = alltrue([for r in requests : !contains(keys(r.query), "access_token")])
    error_message = "a request carried access_token in its URI query"
  }

  check "wif-no-repeated-params" {
    name          = "No repeated token request parameters"
    verifies      = requirement.no-repeated-params
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : length(r.repeated_keys) == 0])
    error_message = "repeated parameters: ${join(", ", flatten([for r in token_requests : r.repeated_keys]))}"
  }

  check "wif-no-registration" {
    name          = "No registration or authorization-code flow"
    verifies      = requirement.no-registration
    condition     = !anytrue([for r in requests : r.server == "auth" && contains(local.fallback_paths, r.path)])
    error_message = "the client called ${join(", ", distinct([for r in requests : r.path if r.server == "auth" && contains(local.fallback_paths, r.path)]))}"
  }

  check "wif-mcp-access" {
    name          = "MCP server called with the issued token"
    verifies      = requirement.mcp-access
    condition     = anytrue([for r in mcp_requests : r.issued_token && r.status >= 200 && r.status < 300 && r.method == "initialize"])
    error_message = "no MCP initialize request with the issued access token succeeded"
  }

  check "wif-client-exit-success" {
    name          = "Client exits 0 after success"
    verifies      = requirement.exit-success
    condition     = client.exited && client.exit_code == 0
    error_message = client.exited ? "the client exited with status ${client.exit_code}" : "the client did not exit by itself (${client.hung_in})"
  }
}

# What a correct client does when the authorization server rejects it with
# an error that only an operator can fix: no retry, and the failure done
# right.
checkset "non_recoverable" {
  checks = [checkset.fails_clearly]

  check "wif-no-retry" {
    name     = "No retry after a non-recoverable error"
    verifies = requirement.no-retry
    # Requests with another grant type are fallbacks, judged by wif-grant-fallback.
    condition     = length(token_requests) > 0 && token_request_count - length([for r in token_requests : r if lookup(r.form, "grant_type", "") != lookup(token_requests[0].form, "grant_type", "")]) == 1
    error_message = "expected exactly one token request, saw ${token_request_count}"
  }
}

# How a correct client fails once the authorization server has refused it.
checkset "fails_clearly" {
  check "wif-grant-fallback" {
    name     = "No fallback to another grant or flow"
    verifies = requirement.no-fallback
    condition = length(token_requests) == 0 || alltrue([
      for r in token_requests : lookup(r.form, "grant_type", "") == lookup(token_requests[0].form, "grant_type", "")
      ]) && !anytrue([
      for r in requests : r.server == "auth" && contains(local.fallback_paths, r.path) && try(r.at_ms > first_error_ms, false)
    ])
    error_message = "after the rejection the client tried ${jsonencode(distinct(concat([for r in token_requests : lookup(r.form, "grant_type", "(none)") if lookup(r.form, "grant_type", "") != lookup(token_requests[0].form, "grant_type", "")], [for r in requests : r.path if r.server == "auth" && contains(local.fallback_paths, r.path) && try(r.at_ms > first_error_ms, false)])))}"
  }

  check "wif-fails-fast" {
    name          = "Fails fast after the rejection"
    verifies      = requirement.fail-fast
    condition     = client.exited && client.exit_after_error_ms != null
    error_message = client.hung_after_error ? "the client was still running ${client.exit_after_error_ms} ms after the error response and was killed (${client.hung_in})" : (client.timed_out ? "the client was killed at the case timeout (${client.hung_in})" : "the client never received an error response")
  }

  check "wif-exit-nonzero" {
    name     = "Exits non-zero after the rejection"
    verifies = requirement.fail-clearly
    # A client the harness had to kill did not claim success; wif-fails-fast judges it.
    condition     = !(client.exited && client.exit_code == 0)
    error_message = "the client exited with status 0 after the authorization server refused it"
  }

  check "wif-error-surfaced" {
    name          = "Names the OAuth error"
    verifies      = requirement.fail-clearly
    condition     = length(token_requests) > 0 && mentions_error(client.output, token_requests[0].response.error)
    error_message = length(token_requests) == 0 ? "the client made no token request" : "the client's output does not name ${token_requests[0].response.error}"
  }
}

# What a correct client does with a workload JWT that arrives as a file the
# platform rewrites (jwt_file).
checkset "jwt_file" {
  check "wif-jwt-file-assertion" {
    name     = "Assertion is a JWT written to the file"
    verifies = requirement.jwt-file-assertion
    condition = length(token_requests) > 0 && alltrue([
      for r in token_requests : contains([for v in jwt_file.versions : v.token], lookup(r.form, "assertion", ""))
    ])
    error_message = length(token_requests) == 0 ? "the client made no token request" : "the assertion parameter was not one of the ${jwt_file.version_count} JWTs written to ${jwt_file.path}"
  }

  # "When it needs a token" is observable: the MCP server's 401 tells the
  # client so. The JWT sent must still have been in the file when the last
  # 401 before the token request arrived: its successor, if any, was
  # written later. A client that reads the file after the challenge always
  # passes, whatever the scheduling; one that kept a copy from before the
  # file was rewritten does not.
  check "wif-jwt-file-fresh" {
    name     = "Assertion read from the file when needed"
    verifies = requirement.jwt-file-fresh
    condition = length(token_requests) > 0 && alltrue([
      for r in token_requests : alltrue(flatten([
        for v in jwt_file.versions : [
          for w in jwt_file.versions : w.at_ms > try(max([for q in requests : q.at_ms if q.server == "mcp" && q.status == 401 && q.at_ms < r.at_ms]...), 0) if w.seq == v.seq + 1
        ] if v.token == lookup(r.form, "assertion", "")
      ]))
    ])
    error_message = "the client sent JWT file version(s) ${jsonencode(flatten([for r in token_requests : [for v in jwt_file.versions : v.seq if v.token == lookup(r.form, "assertion", "")]]))}, already replaced before the MCP server's challenge (versions written at ${jsonencode([for v in jwt_file.versions : v.at_ms])} ms; challenges at ${jsonencode([for q in requests : q.at_ms if q.server == "mcp" && q.status == 401])} ms; token requests at ${jsonencode([for r in token_requests : r.at_ms])} ms)"
  }
}

# ---------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------

scenario "auth/wif-jwt-bearer" {
  description = "RFC 7523 JWT-bearer grant for Workload Identity Federation (SEP-1933)"
  extension   = "io.modelcontextprotocol/auth/wif"

  auth_server {
    grant_types_supported = [grant.jwt_bearer]
    registration          = false
  }

  mcp_server {
    scopes_supported = ["mcp:tools"]
  }

  # Minted by the harness, never by the client.
  assertion "workload" {
    issuer     = local.idp
    subject    = local.agent
    audience   = auth_server.token_endpoint
    expires_in = "5m"
  }

  assertion "wrong_audience" {
    issuer   = local.idp
    subject  = local.agent
    audience = local.other_audience
  }

  assertion "expired" {
    issuer     = local.idp
    subject    = local.agent
    audience   = auth_server.token_endpoint
    issued_at  = "-20m"
    expires_in = "-10m"
  }

  # What the client receives in MCP_CONFORMANCE_CONTEXT (plus "name").
  context = {
    client_id          = "conformance-wif-workload"
    valid_jwt          = assertion.workload.token
    wrong_audience_jwt = assertion.wrong_audience.token
    expired_jwt        = assertion.expired.token
  }

  checks = [checkset.wif_always]

  case "happy-path" {
    description = "A valid workload JWT is exchanged for an access token that works at the MCP server."
    checks      = [checkset.happy_path, checkset.assertion, checkset.after_own_refusal, checkset.wif_observed]
  }

  case "expired-assertion" {
    description = "The workload JWT has expired: invalid_grant."
    assertion "workload" {
      issued_at  = "-20m"
      expires_in = "-10m"
    }
    checks = [checkset.non_recoverable]
  }

  case "wrong-audience" {
    description = "The workload JWT names another audience: invalid_grant."
    assertion "workload" {
      audience = local.other_audience
    }
    checks = [checkset.non_recoverable]
  }

  case "rejected-subject" {
    description = "The authorization server does not accept the workload's subject: invalid_grant."
    assertion "workload" {
      subject = local.rogue
    }
    auth_server {
      reject "subject-not-allowed" {
        when              = claims.sub == local.rogue
        error             = "invalid_grant"
        error_description = "subject is not allowed to access this resource"
      }
    }
    checks = [checkset.non_recoverable, checkset.assertion]
  }

  case "replayed-jti" {
    description = "The workload JWT's jti was already used: invalid_grant."
    auth_server {
      seen_jtis = [assertion.workload.claims.jti]
    }
    checks = [checkset.non_recoverable, checkset.assertion]
  }

  case "invalid-client" {
    description = "The authorization server does not accept the workload as a client: 401 invalid_client (RFC 6749 §5.2)."
    auth_server {
      reject "client-not-trusted" {
        when              = true
        error             = "invalid_client"
        error_description = "the workload is not a trusted client of this authorization server"
      }
    }
    checks = [checkset.non_recoverable, checkset.assertion]
  }

  case "temporarily-unavailable" {
    description = "The authorization server is overloaded: 503 temporarily_unavailable with Retry-After: 1 (RFC 6749 §5.2, RFC 9110 §10.2.3). The client may try once more after the delay; then it must fail clearly."
    auth_server {
      rule "overloaded" {
        endpoint          = "token"
        status            = 503
        error             = "temporarily_unavailable"
        error_description = "the authorization server is overloaded; try again later"
        headers           = { "Retry-After" = "1" }
      }
    }
    checks = [checkset.fails_clearly]

    check "wif-retry-after" {
      name     = "At most one retry, after Retry-After"
      verifies = requirement.retry-after
      # Requests with another grant type are fallbacks, judged by wif-grant-fallback.
      condition = length(token_requests) == 0 || (
        token_request_count - length([for r in token_requests : r if lookup(r.form, "grant_type", "") != lookup(token_requests[0].form, "grant_type", "")]) <= 2 &&
        alltrue([for i, r in token_requests : r.at_ms - token_requests[0].at_ms >= 1000 if i > 0 && lookup(r.form, "grant_type", "") == lookup(token_requests[0].form, "grant_type", "")])
      )
      error_message = "the client sent ${token_request_count} token requests, at ${jsonencode([for r in token_requests : floor(r.at_ms)])} ms; at most one more is due, at least 1 s after the 503"
    }
  }

  case "rejected-scope" {
    description = "The JWT is valid but the scope is not accepted: invalid_scope, whether or not the client sent a scope."
    mcp_server {
      challenge_scope = "mcp:tools"
    }
    auth_server {
      reject "scope-not-accepted" {
        when              = true
        error             = "invalid_scope"
        error_description = "the requested scope is not accepted for this workload"
      }
    }
    checks = [checkset.non_recoverable, checkset.assertion]

    check "wif-scope-error-distinct" {
      name          = "Scope error reported as such"
      verifies      = requirement.scope-error-distinct
      condition     = mentions_error(client.output, "invalid_scope") && !mentions_error(client.output, "invalid_grant")
      error_message = mentions_error(client.output, "invalid_grant") ? "the client reported the scope rejection as invalid_grant (a JWT failure)" : "the client's output does not name invalid_scope"
    }
  }

  case "invalid-request" {
    description = "The authorization server answers invalid_request: a misconfiguration to report, not to retry."
    auth_server {
      reject "malformed" {
        when              = true
        error             = "invalid_request"
        error_description = "the request is missing a required parameter or is otherwise malformed"
      }
    }
    checks = [checkset.non_recoverable, checkset.assertion]
  }

  case "unauthorized-client" {
    description = "The client may not use this grant: unauthorized_client. Another grant is advertised to tempt a fallback."
    auth_server {
      grant_types_supported = [grant.jwt_bearer, grant.client_credentials]
      reject "not-authorized" {
        when              = true
        error             = "unauthorized_client"
        error_description = "this client is not authorized to use the jwt-bearer grant"
      }
    }
    checks = [checkset.non_recoverable, checkset.assertion]
  }

  # R16. The servers speak HTTPS (tls = true) with a CA the client is handed
  # through SSL_CERT_FILE, NODE_EXTRA_CA_CERTS and WIFDSL_CA_FILE, but the
  # authorization server metadata, fetched over HTTPS, advertises an
  # http:// token endpoint: a plain listener of the same server that
  # answers like the real one and records every request with its scheme.
  # A client that sends its token request there has put the workload JWT
  # on the wire in clear. The check passes only when the client did fetch
  # that metadata over TLS (so it was offered the downgrade: trusting the
  # run's CA is part of passing) and sent no token request without TLS.
  case "tls-downgrade" {
    description = "TLS mode; the authorization server metadata, served over HTTPS, advertises a plain-HTTP token endpoint."
    tls         = true
    auth_server {
      plain_token_endpoint = true
    }

    check "wif-assertion-over-tls" {
      name     = "Workload JWT sent only over TLS"
      verifies = requirement.assertion-over-tls
      condition = anytrue([
        for r in requests : r.server == "auth" && contains(local.metadata_paths, r.path) && r.scheme == "https" && r.status == 200
      ]) && !anytrue([for r in token_requests : r.scheme != "https"])
      error_message = anytrue([for r in token_requests : r.scheme != "https"]) ? "the client sent ${length([for r in token_requests : r if r.scheme != "https"])} token request(s) with the workload JWT over plain HTTP to the downgraded token endpoint" : "the client never fetched the authorization server metadata over TLS, so it was never offered the downgrade (does it trust the CA in ${tls.ca_file}?)"
    }
  }

  # The workload JWT arrives as a file (WIFDSL_JWT_FILE,
  # AWS_WEB_IDENTITY_TOKEN_FILE, context key jwt_file) that the harness
  # rewrites every 250 ms with a new JWT, as platforms rotate projected
  # tokens; valid_jwt is not given, so the file is the only source.
  case "jwt-file" {
    description = "The workload JWT is a file the harness rewrites every 250 ms; the context has no valid_jwt."
    jwt_file {
      assertion     = "workload"
      rewrite_every = "250ms"
    }
    context = {
      valid_jwt = null
    }
    checks = [checkset.jwt_file, checkset.assertion]
  }
}


scenario "auth/wif-jwt-bearer" {
  # The MCP server refuses the access token as expired at the first
  # tools/list. A workload has no refresh token to fall back on by design:
  # it gets a new access token the way it got the first, with a fresh
  # JWT-bearer exchange of the JWT its platform keeps rotating in the file.
  # Refresh tokens are offered, to tempt a client into the refresh grant;
  # jti reuse is allowed, so that a client re-reading the file within one
  # rotation is not refused for it.
  case "token-expired" {
    description = "The access token is refused as expired (401 invalid_token) at the first tools/list: the client must get a new one with a fresh JWT-bearer exchange, re-reading its JWT file rather than using a refresh grant, and carry on."
    jwt_file {
      assertion     = "workload"
      rewrite_every = "250ms"
    }
    context = {
      valid_jwt = null
    }
    auth_server {
      grant_types_supported = [grant.jwt_bearer, grant.refresh_token]
      refresh_tokens        = true
      jti_replay            = false
    }
    mcp_server {
      rule "token-expired" {
        endpoint          = "mcp"
        when              = try(mcp.method == "tools/list", false) && token != null && length([for p in previous : p if p.rule == "token-expired"]) == 0
        status            = 401
        error             = "invalid_token"
        error_description = "the access token expired"
        headers           = { "WWW-Authenticate" = "Bearer error=\"invalid_token\", error_description=\"the access token expired\", resource_metadata=\"${server.mcp.metadata_url}\"" }
      }
    }
    checks = [checkset.jwt_file, checkset.assertion]

    check "wif-reauthenticates" {
      name     = "New access token by a JWT-bearer exchange"
      verifies = requirement.reauthentication
      condition = length([
        for r in token_requests : r if lookup(r.form, "grant_type", "") == grant.jwt_bearer && r.response.access_token_issued
      ]) >= 2 && anytrue([for m in mcp_requests : m.method == "tools/list" && m.issued_token && m.status == 200])
      error_message = "after the MCP server refused the expired token the client ${length([for r in token_requests : r if lookup(r.form, "grant_type", "") == grant.jwt_bearer]) < 2 ? "made no new JWT-bearer token request" : "did not list the tools with a new token"}"
    }

    check "wif-no-refresh-grant" {
      name          = "No refresh grant"
      verifies      = requirement.reauthentication
      condition     = !anytrue([for r in token_requests : lookup(r.form, "grant_type", "") == grant.refresh_token])
      error_message = "the client used grant_type=refresh_token instead of a new JWT-bearer exchange"
    }
  }
}

# ---------------------------------------------------------------------------
# Client variants
# ---------------------------------------------------------------------------

# Broken variants of the bundled reference client, described as data.
# `wifdsl prove` runs the suite with the conformant client and with each of
# them, and shows that every check passes the first and is tripped by at
# least one variant (docs/variants.md is its output). `wifdsl run` ignores
# them.

variant "retry" {
  description = "on a token error, repeats the token request 3 more times about 50 ms apart"
  retries     = 3
}

variant "grant-fallback" {
  description    = "on a token error, tries grant_type=client_credentials with the context client_id"
  fallback_grant = grant.client_credentials
}

variant "hang" {
  description = "on a token error, prints the error then blocks forever"
  hang        = "after_error"
}

variant "hang-success" {
  description = "after a successful MCP call, blocks forever instead of exiting"
  hang        = "after_success"
}

variant "exit-zero" {
  description = "prints the proper error but exits 0"
  exit_code   = 0
}

variant "vague" {
  description  = "on an error, prints only \"authorization failed\""
  error_output = "authorization failed"
}

variant "scope-as-grant" {
  description     = "reports every token error as invalid_grant"
  report_error_as = "invalid_grant"
}

variant "no-resource" {
  description    = "omits the resource parameter (RFC 8707) from token and authorization requests"
  omit_params    = ["resource"]
  authorize_omit = ["resource"]
}

variant "token-in-query" {
  description    = "also sends the access token as ?access_token= on MCP requests"
  token_in_query = true
}

variant "leak" {
  description   = "prints its secrets (the assertion, the context's secrets) and the access token to stdout"
  print_secrets = true
}

variant "self-assertion" {
  description           = "signs its own JWT instead of using valid_jwt"
  self_signed_assertion = true
}

variant "json-body" {
  description = "sends the token request as application/json"
  token_body  = "json"
}

variant "get-request" {
  description  = "sends the token request as GET with a query string"
  token_method = "GET"
}

variant "client-credentials" {
  description     = "uses client_credentials with a client_assertion, the RFC 7523 §2.2 mix-up"
  grant_type      = grant.client_credentials
  assertion_param = "client_assertion"
  extra_params    = { client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" }
}

variant "repeated-params" {
  description   = "sends grant_type twice"
  repeat_params = ["grant_type"]
}

variant "no-discovery" {
  description    = "skips discovery and posts to the issuer (or the MCP server's origin) followed by /token"
  skip_discovery = true
}

variant "register" {
  description = "POSTs an RFC 7591 registration to <issuer>/register first"
  register    = true
}

variant "no-bearer" {
  description = "sends the access token with the scheme Token instead of Bearer"
  auth_scheme = "Token"
}

variant "tls-downgrade" {
  description      = "sends the assertion to an http:// token endpoint advertised over HTTPS"
  follow_downgrade = true
}

variant "stale-jwt-file" {
  description    = "reads the JWT file once at start, waits until it was rewritten twice, then sends that first copy"
  stale_jwt_file = true
}

variant "no-renewal" {
  description = "gives up when the MCP server calls its access token invalid instead of getting a new one"
  no_renewal  = true
}

variant "refresh-grant" {
  description = "after each successful token request, also tries the refresh grant"
  then_grant  = grant.refresh_token
}

# The assertions of the official harness's broken WIF clients
# (auth-test-wif-expired-assertion, -wrong-audience, -no-assertion).

variant "expired-jwt" {
  description    = "presents the context's expired_jwt instead of valid_jwt"
  assertion_from = "expired_jwt"
}

variant "wrong-audience-jwt" {
  description    = "presents the context's wrong_audience_jwt instead of valid_jwt"
  assertion_from = "wrong_audience_jwt"
}

variant "no-assertion" {
  description = "omits the assertion parameter from the token request"
  omit_params = ["assertion"]
}

# What the official observations need to fail: a token no server issued,
# and no request at all.

variant "forged-token" {
  description  = "sends the MCP server a token no server issued"
  forged_token = true
}

variant "quit" {
  description   = "exits 1 at once, before any request"
  quit_at_start = true
}
