# A check the built-in suite lacks, written only in HCL: the client stops
# using an access token once its expires_in has passed. The stub servers
# do not enforce token_ttl, so the check judges it from the observations,
# naming its intermediate values in check locals.
#
#   wifdsl run examples/scenarios/token-lifetime.hcl --client "node my-client.js"
#   wifdsl prove examples/scenarios/token-lifetime.hcl

requirement "token-lifetime" {
  level = SHOULD
  text  = "The client does not use an access token after its expires_in has passed; it gets a new one first."
  ref   = "https://www.rfc-editor.org/rfc/rfc6749#section-5.1"
  tags  = ["example"]
}

scenario "examples/token-lifetime" {
  description = "Access tokens live one second; no MCP request may carry an expired one."

  auth_server {
    token_ttl = "1s"
  }

  assertion "workload" {
    issuer   = "https://idp.conformance.test"
    subject  = "spiffe://conformance.test/ns/default/sa/agent"
    audience = auth_server.token_endpoint
  }

  context = {
    client_id = "conformance-wif-workload"
    valid_jwt = assertion.workload.token
  }

  case "short-lived-token" {
    check "token-not-used-after-expiry" {
      name     = "No MCP request with an expired access token"
      verifies = requirement.token-lifetime
      locals {
        ttl_ms = duration_ms("1s")
        # issued_tokens follows the order of the successful token
        # requests: zipped, they say when each token was issued.
        issued_at = zipmap(issued_tokens, [for r in token_requests : r.at_ms if r.response.access_token_issued])
        stale     = [for m in mcp_requests : "${m.method} at ${m.at_ms} ms" if m.issued_token && m.at_ms - lookup(local.issued_at, m.bearer, m.at_ms) > local.ttl_ms]
      }
      condition     = length(local.stale) == 0
      error_message = "expired token used by: ${join(", ", local.stale)}"
    }
  }
}

# The bundled client, broken as data: it waits past the token's lifetime
# and keeps using it.
variant "stale-token" {
  description   = "waits 1.5 s before calling whoami and ignores expires_in"
  pause         = "1500ms"
  ignore_expiry = true
}
