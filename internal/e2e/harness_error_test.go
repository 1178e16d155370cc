package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// TestUnevaluableRuleIsAHarnessError: a rule whose condition cannot be
// evaluated while the case runs (form.scope when the client sends no
// scope) ends the case as an error of the scenario, naming the expression
// and the values it saw; it is never a silent 500 with a green run, and
// never blamed on the client.
func TestUnevaluableRuleIsAHarnessError(t *testing.T) {
	const src = `
scenario "auth/wif-jwt-bearer" {
  auth_server {
    reject "scope" {
      when  = form.scope == "x"
      error = "invalid_scope"
    }
  }
  server "mcp" {
    kind = "mcp_server"
    rule "broken" {
      endpoint = "protected_resource_metadata"
      when     = request.nothing_here
      status   = 503
    }
  }
  assertion "workload" {
    issuer   = "https://idp.test"
    subject  = "agent"
    audience = auth_server.token_endpoint
  }
  context = { valid_jwt = assertion.workload.token }
  case "token-rule" {
    server "mcp" {
      rule "broken" {
        endpoint = "protected_resource_metadata"
        when     = false
        status   = 503
      }
    }
    check "exits" {
      condition = client.exit_code == 0
    }
  }
  case "metadata-rule" {
    check "exits" {
      condition = client.exit_code == 0
    }
  }
}`
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: "broken.hcl", Bytes: []byte(src)}}}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res, err := engine.Run(context.Background(), l.Plan, engine.Options{Command: testclient.Command(""), Parallel: 2, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"token-rule":    `rule "scope" could not be evaluated`,
		"metadata-rule": `rule "broken" could not be evaluated`,
	}
	for _, c := range res.Cases {
		if !strings.Contains(c.Error, want[c.Case]) || !strings.Contains(c.Error, "broken.hcl:") {
			t.Errorf("%s: error %q, want it to name %s and where it is written", c.Case, c.Error, want[c.Case])
		}
		if c.Case == "token-rule" && !strings.Contains(c.Error, "with form = ") {
			t.Errorf("%s: the error does not show the values the condition saw: %q", c.Case, c.Error)
		}
		for _, ch := range c.Checks {
			if ch.Status != engine.StatusSkipped {
				t.Errorf("%s: check %s is %s; a scenario error judges no check", c.Case, ch.ID, ch.Status)
			}
		}
		if c.Observations.Client.Exited && c.Observations.Client.ExitCode == 0 {
			t.Errorf("%s: the client ran to success although the case was void", c.Case)
		}
	}
	if s := res.Summarize(); s.Errors != 2 || res.OK() {
		t.Errorf("summary %+v, OK %v: the run must not pass", s, res.OK())
	}
}
