# What the authorization code scenarios share: the requirements of the
# MCP authorization flow (OAuth 2.1 §4.1 with PKCE, RFC 7591 dynamic
# registration, RFC 9728 and RFC 8414 discovery) and the check sets the
# official harness emits in every one of them.

requirement "OAUTH-2-1-authorization-request" {
  level = MAY
  text  = "The client sends an authorization request to the authorization endpoint."
  ref   = "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-4.1.1"
}

requirement "OAUTH-2-1-PKCE" {
  level = MUST
  text  = "The client uses PKCE with the S256 method: a code_challenge in the authorization request, and the matching code_verifier in the token request."
  ref   = "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-4.1.1"
}

requirement "RFC-7591-registration" {
  level = MAY
  text  = "The client registers with the authorization server (RFC 7591)."
  ref   = "https://www.rfc-editor.org/rfc/rfc7591#section-3"
}

requirement "MCP-Scope-selection" {
  level = SHOULD
  text  = "The client requests the scope of the WWW-Authenticate challenge, else the scopes_supported of the protected resource metadata, else no scope."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy"
}

requirement "SEP-837-application-type" {
  level = MUST
  text  = "A client that registers dynamically states its application_type, native or web (draft specification)."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/837"
}

requirement "RFC-8707-resource" {
  level = MUST
  text  = "The client names the MCP server in the resource parameter of the authorization and token requests (RFC 8707): the same absolute URI without a fragment."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#resource-parameter-implementation"
}

locals {
  # The client ID metadata document URL the official clients use.
  cimd_url = "https://conformance-test.local/client-metadata.json"
}

# The authorization code flow as the official harness records it: SUCCESS
# when observed, INFO when not; PKCE is judged on every request.
checkset "authorization_code" {
  checks = [checkset.authorize, checkset.application_type]

  check "client-registration" {
    name          = "ClientRegistration"
    description   = "Client registered with the authorization server"
    verifies      = requirement.RFC-7591-registration
    condition     = anytrue([for r in requests : r.endpoint == "register" && r.status == 201])
    error_message = "the client did not register"
  }
}

# At the draft specification and later, a registration states the
# client's application_type.
checkset "application_type" {
  check "sep-837-application-type-present" {
    name          = "ApplicationTypePresent"
    description   = "The registration request has application_type native or web"
    verifies      = requirement.SEP-837-application-type
    enabled       = version_at_least(protocol_version, "2026-07-28")
    condition     = alltrue([for r in requests : contains(["native", "web"], try(jsondecode(r.body).application_type, "")) if r.endpoint == "register"])
    error_message = "the registration requests had application_type ${jsonencode([for r in requests : try(jsondecode(r.body).application_type, null) if r.endpoint == "register"])}"
  }
}

# The flow of a client that does not register.
checkset "authorize" {
  checks = [checkset.pkce]

  check "authorization-request" {
    name          = "AuthorizationRequest"
    description   = "Client made authorization request"
    verifies      = requirement.OAUTH-2-1-authorization-request
    condition     = anytrue([for r in requests : r.endpoint == "authorize"])
    error_message = "the client sent no authorization request"
  }
}

checkset "pkce" {
  check "pkce-code-challenge-sent" {
    name          = "PKCECodeChallengeSent"
    description   = "Client sent code_challenge in authorization request"
    verifies      = requirement.OAUTH-2-1-PKCE
    condition     = alltrue([for r in requests : lookup(r.query, "code_challenge", "") != "" if r.endpoint == "authorize"])
    error_message = "an authorization request had no code_challenge"
  }

  check "pkce-s256-method-used" {
    name          = "PKCES256MethodUsed"
    description   = "Client used S256 code challenge method"
    verifies      = requirement.OAUTH-2-1-PKCE
    condition     = alltrue([for r in requests : lookup(r.query, "code_challenge_method", "") == "S256" if r.endpoint == "authorize"])
    error_message = "code_challenge_method was ${jsonencode([for r in requests : try(r.query.code_challenge_method, null) if r.endpoint == "authorize"])}, not S256"
  }

  check "pkce-code-verifier-sent" {
    name          = "PKCECodeVerifierSent"
    description   = "Client sent code_verifier in token request"
    verifies      = requirement.OAUTH-2-1-PKCE
    condition     = alltrue([for r in token_requests : lookup(r.form, "code_verifier", "") != "" if r.code != null])
    error_message = "an authorization_code token request had no code_verifier"
  }

  check "pkce-verifier-matches-challenge" {
    name          = "PKCEVerifierMatchesChallenge"
    description   = "code_verifier matches the code_challenge of the authorization request"
    verifies      = requirement.OAUTH-2-1-PKCE
    condition     = alltrue([for r in token_requests : r.code.pkce == "verified" if r.code != null])
    error_message = "PKCE verification: ${jsonencode([for r in token_requests : r.code.pkce if r.code != null])}"
  }
}

# The discovery scenarios require what the others only record: a check
# that is never observed fails ("Expected Check Missing" in the official
# harness).
checkset "discovered" {
  checks = [checkset.bearer, checkset.pkce, checkset.application_type]

  check "authorization-server-metadata" {
    name          = "AuthorizationServerMetadata"
    description   = "Client requested authorization server metadata"
    verifies      = requirement.RFC-8414-metadata-request
    level         = MUST
    condition     = anytrue([for r in requests : r.endpoint == "metadata" && r.status == 200])
    error_message = "Expected Check Missing: the client did not fetch the authorization server metadata"
  }

  check "client-registration" {
    name          = "ClientRegistration"
    description   = "Client registered with the authorization server"
    verifies      = requirement.RFC-7591-registration
    level         = MUST
    condition     = anytrue([for r in requests : r.endpoint == "register" && r.status == 201])
    error_message = "Expected Check Missing: the client did not register"
  }

  check "authorization-request" {
    name          = "AuthorizationRequest"
    description   = "Client made authorization request"
    verifies      = requirement.OAUTH-2-1-authorization-request
    level         = MUST
    condition     = anytrue([for r in requests : r.endpoint == "authorize"])
    error_message = "Expected Check Missing: the client sent no authorization request"
  }

  check "token-request" {
    name          = "TokenRequest"
    description   = "Client requested access token"
    verifies      = requirement.OAUTH-2-1-token-request
    level         = MUST
    condition     = length(token_requests) > 0
    error_message = "Expected Check Missing: the client made no token request"
  }
}

# The RFC 8707 resource parameter, as the token-endpoint-auth scenarios
# judge it.
checkset "resource_parameter" {
  check "resource-parameter-in-authorization" {
    name          = "ResourceParameterInAuthorization"
    verifies      = requirement.RFC-8707-resource
    condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && alltrue([for r in requests : lookup(r.query, "resource", "") != "" if r.endpoint == "authorize"])
    error_message = "an authorization request had no resource parameter"
  }

  check "resource-parameter-in-token" {
    name          = "ResourceParameterInToken"
    verifies      = requirement.RFC-8707-resource
    condition     = length(token_requests) > 0 && alltrue([for r in token_requests : lookup(r.form, "resource", "") != ""])
    error_message = "a token request had no resource parameter"
  }

  check "resource-parameter-valid-uri" {
    name     = "ResourceParameterValidURI"
    verifies = requirement.RFC-8707-resource
    condition = alltrue([for v in concat([for r in requests : lookup(r.query, "resource", "") if r.endpoint == "authorize"], [for r in token_requests : lookup(r.form, "resource", "")]) :
    can(regex("^[a-zA-Z][a-zA-Z0-9+.-]*://[^#]+$", v)) if v != ""])
    error_message = "a resource parameter is not an absolute URI without a fragment"
  }

  check "resource-parameter-consistency" {
    name          = "ResourceParameterConsistency"
    verifies      = requirement.RFC-8707-resource
    condition     = length(distinct(concat([for r in requests : lookup(r.query, "resource", "") if r.endpoint == "authorize"], [for r in token_requests : lookup(r.form, "resource", "")]))) <= 1
    error_message = "the resource parameters differ: ${jsonencode(distinct(concat([for r in requests : lookup(r.query, "resource", "") if r.endpoint == "authorize"], [for r in token_requests : lookup(r.form, "resource", "")])))}"
  }
}

# A server refuses the code exchange: how a correct client fails.
checkset "code_refused" {
  check "refused-no-retry-loop" {
    name     = "No retry loop after the refusal"
    verifies = requirement.refused-fails-clearly
    # A client may start the flow again once; a loop is not allowed.
    condition     = length([for r in requests : r if r.rule != "" && r.error != ""]) <= 2
    error_message = "the client sent ${length([for r in requests : r if r.rule != "" && r.error != ""])} requests that the refusing rule answered"
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
    condition     = client.exited && !client.hung_after_error
    error_message = "the client was still running after the refusal and was killed (${client.hung_in})"
  }

  check "refused-error-surfaced" {
    name          = "Names the OAuth error"
    verifies      = requirement.refused-fails-clearly
    condition     = anytrue([for r in requests : r.rule != "" && r.error != "" && mentions_error(client.output, r.error)])
    error_message = "the client's output does not name the OAuth error of the refusal (${join(", ", distinct([for r in requests : r.error if r.rule != "" && r.error != ""]))})"
  }
}
