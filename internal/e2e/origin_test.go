package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// TestServersShareAnOrigin runs the WIF flow against an authorization
// server and an MCP server on one origin (same_origin_as): the client
// discovers and uses both, each server records its own requests, and the
// checks see one origin.
func TestServersShareAnOrigin(t *testing.T) {
	const src = `
scenario "auth/wif-jwt-bearer" {
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.jwt_bearer]
  }
  server "mcp" {
    kind           = "mcp_server"
    same_origin_as = "as"
  }
  assertion "workload" {
    issuer   = "https://idp.test"
    subject  = "agent"
    audience = server.as.token_endpoint
  }
  context = { valid_jwt = assertion.workload.token }
  check "one-origin" {
    condition = server.mcp.origin == server.as.origin && startswith(server.mcp.url, server.as.origin)
  }
  check "served" {
    condition = client.exit_code == 0 && anytrue([for m in mcp_requests : m.issued_token && m.status == 200])
  }
  check "recorded-apart" {
    condition = alltrue([for r in requests : r.server == (r.endpoint == "mcp" || r.endpoint == "protected_resource_metadata" ? "mcp" : "as")])
  }
}`
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: "origin.hcl", Bytes: []byte(src)}}}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res, err := engine.Run(context.Background(), l.Plan, engine.Options{Command: testclient.Command(""), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Error != "" {
			t.Fatalf("harness error: %s", c.Error)
		}
		for _, ch := range c.Checks {
			if ch.Status != engine.StatusSuccess {
				t.Errorf("%s: %s %s %v", ch.ID, ch.Status, ch.ErrorMessage, ch.Values)
			}
		}
	}
}
