# A check the built-in suite lacks, written only in HCL: after
# initialization, every HTTP request to the MCP endpoint carries the
# MCP-Protocol-Version header.
#
#   wifdsl run examples/scenarios/protocol-version.hcl --client "node my-client.js"

requirement "protocol-version-header" {
  level = MUST
  text  = "After initialization, the client includes the MCP-Protocol-Version header on every HTTP request to the MCP server."
  ref   = "https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#protocol-version-header"
  tags  = ["example"]
}

locals {
  # Requests that come before the protocol version is agreed.
  negotiation = ["initialize", "server/discover"]
}

scenario "examples/protocol-version" {
  description = "The client sends MCP-Protocol-Version on every request after initialize."

  assertion "workload" {
    issuer   = "https://idp.conformance.test"
    subject  = "spiffe://conformance.test/ns/default/sa/agent"
    audience = auth_server.token_endpoint
  }

  context = {
    client_id = "conformance-wif-workload"
    valid_jwt = assertion.workload.token
  }

  case "header-after-initialize" {
    check "mcp-protocol-version-header" {
      name     = "MCP-Protocol-Version on every request after initialize"
      verifies = requirement.protocol-version-header
      condition = length([for r in mcp_requests : r if r.issued_token && !contains(local.negotiation, r.method)]) > 0 && alltrue([
        for r in mcp_requests : r.protocol_version != "" if r.issued_token && !contains(local.negotiation, r.method)
      ])
      error_message = "requests without the header: ${jsonencode([for r in mcp_requests : "${r.http_method} ${r.method}" if r.issued_token && !contains(local.negotiation, r.method) && r.protocol_version == ""])}"
    }
  }
}

# The bundled client, broken as data: `wifdsl prove` shows the check above
# fails when the client drops the header.
variant "no-protocol-version" {
  description  = "strips the MCP-Protocol-Version header from MCP requests"
  omit_headers = ["MCP-Protocol-Version"]
}
