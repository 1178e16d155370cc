package dsl_test

import (
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

// The DPoP attributes reach the server descriptions, a case overriding its
// scenario's, and the plan says what the servers will do.
func TestDPoPAttributesCompile(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, `
scenario "s" {
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code]
    dpop                  = true
  }
  server "mcp" {
    kind = "mcp_server"
    dpop = true
  }
  check "c" {
    condition = alltrue([for m in mcp_requests : m.dpop.valid && !m.dpop.replayed && m.error != "use_dpop_nonce"]) && alltrue([for r in token_requests : r.dpop.jkt != "" && r.response.token_type == "DPoP"])
  }
  case "plain" {}
  case "nonces" {
    server "as" {
      dpop_nonce = "as-1"
    }
    server "mcp" {
      dpop_nonce   = "rs-1"
      dpop_enforce = true
    }
  }
}`)
	cases := plan.Cases()
	plain, nonces := cases[0], cases[1]
	if a, m := plain.Server("as").Auth, plain.Server("mcp").MCP; !a.DPoP || a.DPoPNonce != "" || !m.DPoP || m.DPoPNonce != "" || m.DPoPEnforce {
		t.Errorf("plain case: %+v %+v", a, m)
	}
	if a, m := nonces.Server("as").Auth, nonces.Server("mcp").MCP; !a.DPoP || a.DPoPNonce != "as-1" || !m.DPoP || m.DPoPNonce != "rs-1" || !m.DPoPEnforce {
		t.Errorf("nonces case: %+v %+v", a, m)
	}
	settings := map[string]string{}
	for _, d := range engine.Describe(nonces) {
		for k, v := range d.Settings {
			settings[d.Name+"."+k] = v
		}
	}
	for _, k := range []string{"as.dpop", "as.dpop_nonce", "mcp.dpop", "mcp.dpop_nonce", "mcp.dpop_enforce"} {
		if settings[k] == "" {
			t.Errorf("the plan does not describe %s: %v", k, settings)
		}
	}
	if !strings.Contains(settings["mcp.dpop_nonce"], "rs-1") {
		t.Errorf("mcp.dpop_nonce %q", settings["mcp.dpop_nonce"])
	}
}
