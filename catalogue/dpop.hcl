# DPoP sender-constrained tokens (SEP-1932, RFC 9449): the client asks for
# an access token bound to its key, with a proof at the token endpoint, and
# presents it with the DPoP scheme and a fresh proof on every MCP request.
# In auth/dpop-nonce both servers also require a nonce of their own, which
# the client learns from a use_dpop_nonce challenge.
#
# The servers check every proof and record what they found
# (token_requests[*].dpop, mcp_requests[*].dpop); as in the official
# harness, the MCP server lets every request with an issued token through,
# and the checks below judge. The happy paths check what the official
# scenarios emit: the flow as observed (flow_observed: its stub MCP server
# verifies no bearer token here, so no valid-bearer-token), the
# authorization code flow and the sep-1932 checks.

requirement "SEP-1932-token-request-proof" {
  level = MUST
  text  = "The client sends a valid DPoP proof with its token request, to obtain an access token bound to its key."
  ref   = "https://www.rfc-editor.org/rfc/rfc9449#section-5"
}

requirement "SEP-1932-dpop-scheme" {
  level = MUST
  text  = "The client presents a DPoP-bound access token with the DPoP authorization scheme, not Bearer."
  ref   = "https://www.rfc-editor.org/rfc/rfc9449#section-7.1"
}

requirement "SEP-1932-fresh-proof" {
  level = MUST
  text  = "Every request that carries the access token carries a fresh, valid DPoP proof: a jti of its own, the request's method and URI, the hash of the token, signed by the key the token is bound to."
  ref   = "https://www.rfc-editor.org/rfc/rfc9449#section-4.3"
}

requirement "SEP-1932-as-nonce" {
  level = MUST
  text  = "On a use_dpop_nonce challenge from the token endpoint, the client retries the token request with the server's nonce."
  ref   = "https://www.rfc-editor.org/rfc/rfc9449#section-8"
}

requirement "SEP-1932-rs-nonce" {
  level = MUST
  text  = "On a use_dpop_nonce challenge from the MCP server, the client retries the request with the server's nonce."
  ref   = "https://www.rfc-editor.org/rfc/rfc9449#section-9"
}

locals {
  # The nonces of the official scenario.
  as_dpop_nonce = "conformance-as-dpop-nonce"
  rs_dpop_nonce = "conformance-rs-dpop-nonce"
}

# What both scenarios judge.
checkset "dpop" {
  check "sep-1932-client-token-request-proof" {
    name        = "DpopTokenRequestProof"
    description = "Client includes a valid DPoP proof in the DPoP header of its token request, to obtain a DPoP-bound access token"
    verifies    = requirement.SEP-1932-token-request-proof
    locals {
      exchanges = [for r in token_requests : r if lookup(r.form, "grant_type", "") == grant.authorization_code]
    }
    condition     = length(local.exchanges) > 0 && alltrue([for r in local.exchanges : r.dpop.valid])
    error_message = length(local.exchanges) == 0 ? "the client never sent an authorization_code token request, so it obtained no DPoP-bound token" : "token requests without a valid DPoP proof: ${jsonencode([for r in local.exchanges : r.dpop.present ? r.dpop.error : "no DPoP proof" if !r.dpop.valid])}"
  }

  check "sep-1932-client-dpop-auth-scheme" {
    name        = "DpopAuthScheme"
    description = "Client presents the access token with the DPoP Authorization scheme (not Bearer)"
    verifies    = requirement.SEP-1932-dpop-scheme
    locals {
      presented = [for m in mcp_requests : m if m.auth_scheme != ""]
    }
    condition     = length(local.presented) > 0 && alltrue([for m in local.presented : lower(m.auth_scheme) == "dpop"])
    error_message = length(local.presented) == 0 ? "the client never presented an access token to the MCP server" : "the client presented the token with the scheme ${join(", ", distinct([for m in local.presented : m.auth_scheme if lower(m.auth_scheme) != "dpop"]))}, not DPoP"
  }

  check "sep-1932-client-fresh-proof" {
    name        = "DpopFreshProof"
    description = "Client includes a fresh, well-formed DPoP proof in the DPoP header of each MCP request"
    verifies    = requirement.SEP-1932-fresh-proof
    locals {
      presented = [for m in mcp_requests : m if m.auth_scheme != ""]
      bad       = [for m in local.presented : { seq = m.seq, proof = m.dpop.replayed ? "jti ${m.dpop.jti} used before" : m.dpop.error } if !m.dpop.valid || m.dpop.replayed]
    }
    condition     = length(local.presented) > 0 && length(local.bad) == 0
    error_message = length(local.presented) == 0 ? "the client never presented an access token to the MCP server" : "MCP requests whose DPoP proof was missing, not valid or reused: ${jsonencode(local.bad)}"
  }
}

# The nonces of auth/dpop-nonce: a challenge was issued, and honoured.
checkset "dpop_nonce" {
  check "sep-1932-client-as-nonce" {
    name        = "DpopAsNonce"
    description = "On a use_dpop_nonce challenge from the token endpoint, the client retries the token request with the server-supplied nonce"
    verifies    = requirement.SEP-1932-as-nonce
    locals {
      exchanges  = [for r in token_requests : r if lookup(r.form, "grant_type", "") == grant.authorization_code]
      challenged = anytrue([for r in local.exchanges : r.response.error == "use_dpop_nonce"])
    }
    condition     = local.challenged && anytrue([for r in local.exchanges : r.dpop.valid && r.dpop.nonce == local.as_dpop_nonce])
    error_message = local.challenged ? "the client did not send the token request again with the nonce of the use_dpop_nonce challenge" : "no valid DPoP proof of the client reached the token endpoint to be challenged"
  }

  check "sep-1932-client-rs-nonce" {
    name        = "DpopRsNonce"
    description = "On a use_dpop_nonce challenge from the MCP server, the client retries the request with the server-supplied nonce"
    verifies    = requirement.SEP-1932-rs-nonce
    locals {
      challenged = anytrue([for m in mcp_requests : m.error == "use_dpop_nonce"])
    }
    condition     = local.challenged && anytrue([for m in mcp_requests : m.dpop.valid && m.dpop.nonce == local.rs_dpop_nonce])
    error_message = local.challenged ? "the client did not send the MCP request again with the nonce of the use_dpop_nonce challenge" : "no MCP request of the client had a valid DPoP proof to be challenged"
  }
}

scenario "auth/dpop" {
  description = "The client requests a DPoP-bound access token and presents it with the DPoP scheme and a fresh proof per request (SEP-1932, RFC 9449); no server requires a nonce"
  extension   = "io.modelcontextprotocol/auth/dpop"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    dpop                  = true
  }
  server "mcp" {
    kind = "mcp_server"
    dpop = true
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.flow_observed, checkset.authorization_code, checkset.dpop]
  }

  case "proof-refused" {
    description = "The token endpoint answers a valid DPoP proof with 400 invalid_dpop_proof: the client must fail clearly, without a loop."
    server "as" {
      rule "refuse-proof" {
        endpoint          = "token"
        when              = request.dpop.valid
        error             = "invalid_dpop_proof"
        error_description = "the DPoP proof is not accepted"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/dpop-nonce" {
  description = "Both servers require a DPoP nonce (RFC 9449 §8, §9): the client retries the token request and the MCP request with the nonce of the use_dpop_nonce challenge"
  extension   = "io.modelcontextprotocol/auth/dpop"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
    dpop_nonce            = local.as_dpop_nonce
  }
  server "mcp" {
    kind       = "mcp_server"
    dpop_nonce = local.rs_dpop_nonce
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.flow_observed, checkset.authorization_code, checkset.dpop, checkset.dpop_nonce]
  }

  case "proof-refused" {
    description = "The token endpoint challenges for its nonce, then answers the retry that carries it with 400 invalid_dpop_proof: the client must fail clearly, without a loop."
    server "as" {
      rule "refuse-proof" {
        endpoint          = "token"
        when              = request.dpop.valid && request.dpop.nonce == local.as_dpop_nonce
        error             = "invalid_dpop_proof"
        error_description = "the DPoP proof is not accepted"
      }
    }
    checks = [checkset.code_refused]
  }
}
