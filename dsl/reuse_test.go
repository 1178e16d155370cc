package dsl_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

func compileSources(t *testing.T, opts dsl.Options, srcs ...string) *engine.Plan {
	t.Helper()
	p := dsl.NewParser()
	var files []*hcl.File
	for i, src := range srcs {
		name := "f" + string(rune('0'+i)) + ".hcl"
		if strings.HasPrefix(strings.TrimSpace(src), "{") {
			name += ".json"
		}
		f, diags := p.ParseSource(name, []byte(src))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		files = append(files, f)
	}
	cfg, diags := dsl.DecodeWith(files, opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := cfg.Compile()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return plan
}

func authSpec(c *engine.Case) *engine.AuthServerSpec { return c.Server("auth").Auth }

func checkIDs(c *engine.Case) string {
	var ids []string
	for _, ch := range c.Checks {
		ids = append(ids, ch.ID)
	}
	return strings.Join(ids, ",")
}

func TestDynamicCasesFromATable(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, `
locals {
  rejections = {
    "invalid-request"     = "invalid_request"
    "unauthorized-client" = "unauthorized_client"
  }
}
checkset "after_error" {
  check "one-request" { condition = token_request_count == 1 }
}
scenario "s" {
  dynamic "case" {
    for_each = local.rejections
    iterator = r
    labels   = [r.key]
    content {
      auth_server {
        reject "always" {
          when  = true
          error = r.value
        }
      }
      checks = [checkset.after_error]
    }
  }
}`)
	cases := plan.Cases()
	if len(cases) != 2 {
		t.Fatalf("%d cases, want 2", len(cases))
	}
	for _, c := range cases {
		rules := authSpec(c).Rules
		if len(rules) != 1 || rules[0].Error != strings.ReplaceAll(c.Name, "-", "_") {
			t.Errorf("case %s: rules %+v", c.Name, rules)
		}
		if got := checkIDs(c); got != "one-request" {
			t.Errorf("case %s: checks %s", c.Name, got)
		}
	}
}

func TestScenarioSpreadOverFiles(t *testing.T) {
	plan := compileSources(t, dsl.Options{},
		`scenario "s" {
  description = "first file"
  auth_server { registration = true }
  check "everywhere" { condition = true }
  case "a" {}
}`,
		`scenario "s" {
  auth_server {
    reject "r" { when = true }
  }
  case "b" {
    check "only-b" { condition = true }
  }
}`)
	if len(plan.Scenarios) != 1 || len(plan.Cases()) != 2 {
		t.Fatalf("want one scenario with two cases, got %d scenarios, %d cases", len(plan.Scenarios), len(plan.Cases()))
	}
	b := plan.Cases()[1]
	as := authSpec(b)
	if !as.Registration || len(as.Rules) != 1 {
		t.Errorf("auth server of b: %+v", as)
	}
	if got := checkIDs(b); got != "everywhere,only-b" {
		t.Errorf("checks of b: %s", got)
	}
	if plan.Scenarios[0].Description != "first file" {
		t.Errorf("description %q", plan.Scenarios[0].Description)
	}
}

func TestVariablesLocalsAndFunctions(t *testing.T) {
	src := `
variable "namespace" { default = "default" }
locals {
  subject = "spiffe://x/ns/${var.namespace}/sa/${local.sa}"
  sa      = "agent"
}
function "twice" {
  params = [s]
  result = "${s}${s}"
}
scenario "s" {
  assertion "workload" {
    subject = local.subject
    issuer  = twice("a")
  }
  check "c" {
    condition = true
  }
}`
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{nil, `"spiffe://x/ns/default/sa/agent"`},
		{map[string]string{"namespace": "prod"}, `"spiffe://x/ns/prod/sa/agent"`},
	} {
		plan := compileSources(t, dsl.Options{Vars: tc.vars}, src)
		preview := plan.Cases()[0].Assertions[0].Claims.Preview()
		if preview["subject"] != tc.want || preview["issuer"] != `"aa"` {
			t.Errorf("vars %v: preview %v", tc.vars, preview)
		}
	}
}

func TestJSONFormEquivalent(t *testing.T) {
	native := compileSources(t, dsl.Options{}, `
requirement "r" {
  level = SHOULD
  text  = "t"
}
scenario "s" {
  case "c" {
    check "k" {
      verifies  = requirement.r
      condition = client.exit_code == 0
    }
  }
}`)
	jsonForm := compileSources(t, dsl.Options{}, `{
  "requirement": {"r": {"level": "SHOULD", "text": "t"}},
  "scenario": {"s": {"case": {"c": {"check": {"k": {
    "verifies": "requirement.r",
    "condition": "${client.exit_code == 0}"
  }}}}}}
}`)
	for _, p := range []*engine.Plan{native, jsonForm} {
		c := p.Cases()[0]
		ch := c.Checks[0]
		if c.ID() != "s/c" || ch.ID != "k" || ch.Level != engine.SHOULD || ch.SpecReferences[0].ID != "r" {
			t.Errorf("plan %+v check %+v", c, ch)
		}
	}
}

func TestCaseOverridesScenario(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, `
scenario "s" {
  timeout = "9s"
  auth_server {
    leeway = "10s"
    scopes_supported = ["a"]
    reject "shared" { when = true }
    reject "other" { when = false }
  }
  assertion "workload" {
    issuer  = "https://one"
    subject = "x"
  }
  context = { a = "1", b = "2" }
  check "k" {
    condition = true
  }
  case "c" {
    timeout = "3s"
    auth_server {
      leeway = "0s"
      reject "shared" {
        when  = false
        error = "invalid_scope"
      }
      reject "first" { when = true }
    }
    assertion "workload" { subject = "y" }
    context = { b = "3" }
  }
}`)
	c := plan.Cases()[0]
	if c.Timeout.String() != "3s" {
		t.Errorf("timeout %v", c.Timeout)
	}
	as := authSpec(c)
	if as.Leeway != 0 || len(as.ScopesSupported) != 1 {
		t.Errorf("auth server %+v", as)
	}
	var rules []string
	for _, r := range as.Rules {
		rules = append(rules, r.Name+"="+r.Error)
	}
	if got := strings.Join(rules, ","); got != "shared=invalid_scope,first=invalid_grant,other=invalid_grant" {
		t.Errorf("rules %s", got)
	}
	preview := c.Assertions[0].Claims.Preview()
	if preview["issuer"] != `"https://one"` || preview["subject"] != `"y"` {
		t.Errorf("assertion %v", preview)
	}
	ctx := c.Client.Context.(engine.Previewer).Preview()
	if ctx["a"] != `"1"` || ctx["b"] != `"3"` {
		t.Errorf("context %v", ctx)
	}
}

// A function and a dynamic block in the same configuration: in the same
// file or in two, the function is declared once and the dynamic block
// expanded.
func TestFunctionsBesideDynamicBlocks(t *testing.T) {
	fn := `
function "twice" {
  params = [s]
  result = "${s}${s}"
}
`
	dyn := `
scenario "s" {
  assertion "workload" { issuer = twice("a") }
  dynamic "case" {
    for_each = ["x", "y"]
    labels   = [case.value]
    content {}
  }
  check "c" { condition = true }
}
`
	for name, srcs := range map[string][]string{
		"one file":  {fn + dyn},
		"two files": {fn, dyn},
	} {
		plan := compileSources(t, dsl.Options{}, srcs...)
		cases := plan.Cases()
		if len(cases) != 2 || cases[0].Name != "x" || cases[1].Name != "y" {
			t.Fatalf("%s: %d cases", name, len(cases))
		}
		if got := cases[0].Assertions[0].Claims.Preview()["issuer"]; got != `"aa"` {
			t.Errorf("%s: issuer %s", name, got)
		}
	}
}
