# A scenario to start from, written by `wifdsl new`. It validates and
# proves as it is:
#
#   wifdsl validate FILE       static checks, nothing runs
#   wifdsl plan FILE           what each case will do
#   wifdsl prove FILE          every check passes the bundled conformant
#                              client and is tripped by a variant below
#   wifdsl run FILE --client "node my-client.js"
#
# The language reference is docs/dsl.md.

# A requirement is one normative sentence; checks verify it, and reports
# cite its ref.
requirement "no-client-secret" {
  level = MUST
  text  = "A workload client authenticates with its JWT alone: no token request carries a client secret."
  ref   = "https://www.rfc-editor.org/rfc/rfc7523#section-2.1"
}

requirement "no-refresh-grant" {
  level = SHOULD
  text  = "A workload client gets a new token with a new JWT, never with the refresh grant."
  ref   = "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/1933"
}

requirement "fails-clearly" {
  level = SHOULD
  text  = "After a rejection the client exits non-zero."
}

scenario "%[1]s" {
  description = "What this scenario is about, in one sentence."

  # The stub authorization server. It also advertises the refresh grant,
  # so that a client that wants to use it can.
  auth_server {
    grant_types_supported = [grant.jwt_bearer, grant.refresh_token]
  }

  # The workload JWT the harness mints for every case.
  assertion "workload" {
    issuer   = "https://idp.example.test"
    subject  = "spiffe://example.test/ns/default/sa/agent"
    audience = auth_server.token_endpoint
  }

  # What the client receives in MCP_CONFORMANCE_CONTEXT.
  context = {
    client_id = "example-workload"
    valid_jwt = assertion.workload.token
  }

  case "happy-path" {
    description = "The authorization server accepts the JWT."

    check "no-client-secret" {
      verifies = requirement.no-client-secret
      # Named values over the observations, for condition and error_message.
      locals {
        with_secret = [
          for r in token_requests : r.seq
          if contains(keys(r.form), "client_secret") || startswith(lower(lookup(r.headers, "authorization", "")), "basic ")
        ]
      }
      condition     = length(local.with_secret) == 0
      error_message = "token requests ${jsonencode(local.with_secret)} carried a client secret or Basic credentials"
    }

    check "no-refresh-grant" {
      verifies      = requirement.no-refresh-grant
      condition     = !anytrue([for r in token_requests : lookup(r.form, "grant_type", "") == grant.refresh_token])
      error_message = "the client used the refresh grant"
    }
  }

  case "rejected" {
    description = "The authorization server refuses the JWT."
    auth_server {
      reject "always" {
        when  = true
        error = "invalid_grant"
      }
    }

    check "exits-non-zero" {
      verifies      = requirement.fails-clearly
      condition     = client.exited && client.exit_code != 0
      error_message = "the client exited with status ${client.exit_code}"
    }
  }
}

# Variants of the bundled reference client, described as data: `wifdsl
# prove` runs each one and shows which checks it trips. A check that no
# variant trips is unproven.

variant "client-secret" {
  description  = "sends a client_secret form parameter"
  extra_params = { client_secret = "s3cret" }
}

variant "basic-credentials" {
  description = "authenticates with HTTP Basic credentials"
  basic_auth  = "example-workload:s3cret"
}

variant "refresh" {
  description = "uses the refresh grant after getting a token"
  then_grant  = grant.refresh_token
}

variant "exit-zero" {
  description = "exits 0 whatever happened"
  exit_code   = 0
}
