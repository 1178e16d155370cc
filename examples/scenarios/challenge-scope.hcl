# A check the built-in suite lacks, written only in HCL: when the MCP
# server's 401 challenge names a scope, the client asks for exactly that
# scope in its token request.
#
#   wifdsl run examples/scenarios/challenge-scope.hcl --client "node my-client.js"

requirement "challenge-scope" {
  level = SHOULD
  text  = "When the 401 challenge from the MCP server carries scope=\"…\", the client requests that scope in its token request."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy"
  tags  = ["example"]
}

locals {
  challenge = "mcp:tools mcp:read"
}

# scopes(s) splits a space-delimited scope string (RFC 6749 §3.3) into a
# sorted list of distinct scope tokens, so the order does not matter.
function "scopes" {
  params = [s]
  result = sort(distinct(compact(split(" ", s))))
}

scenario "examples/challenge-scope" {
  description = "The client requests the scope named in the WWW-Authenticate challenge."

  mcp_server {
    scopes_supported = ["mcp:tools", "mcp:read"]
    challenge_scope  = local.challenge
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

  case "scope-from-challenge" {
    check "wif-challenge-scope-requested" {
      name          = "Token request asks for the challenge's scope"
      verifies      = requirement.challenge-scope
      condition     = length(token_requests) > 0 && alltrue([for r in token_requests : scopes(lookup(r.form, "scope", "")) == scopes(local.challenge)])
      error_message = "the token request asked for scope ${jsonencode([for r in token_requests : lookup(r.form, "scope", "(none)")])}; the challenge named ${jsonencode(local.challenge)}"
    }
  }
}

# The bundled client, broken as data: `wifdsl prove` shows the check above
# fails when the client ignores the challenge's scope.
variant "ignore-scope" {
  description            = "ignores the scope of the WWW-Authenticate challenge"
  ignore_challenge_scope = true
}
