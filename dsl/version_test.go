package dsl_test

import (
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/zclconf/go-cty/cty"
)

const gated = `
checkset "registration" {
  check "application-type" {
    enabled   = version_at_least(protocol_version, "2026-07-28")
    condition = protocol_version == "2026-07-28"
  }
}
scenario "auth/dated" {
  checks = [checkset.registration]
  check "exits" { condition = client.exit_code == 0 }
  # The same id at the versions before: a disabled check is absent, so the
  # two never meet in one case.
  check "application-type" {
    enabled   = !version_at_least(protocol_version, "2026-07-28")
    condition = true
  }
  check "legacy-b" {
    enabled   = case == "b" && scenario == "auth/dated"
    condition = true
  }
  check "always" {
    enabled   = null
    condition = true
  }
  case "a" {}
  case "b" {}
}
scenario "auth/draft" {
  protocol_version = "2026-07-28"
  checks           = [checkset.registration]
  check "exits" { condition = client.exit_code == 0 }
}
`

func casesByID(p *engine.Plan) map[string]*engine.Case {
	out := map[string]*engine.Case{}
	for _, c := range p.Cases() {
		out[c.ID()] = c
	}
	return out
}

// A check whose enabled is false is not compiled into the case at all;
// enabled sees the protocol version of the case, and the scenario and
// case names.
func TestEnabledGatesChecksByVersion(t *testing.T) {
	cases := casesByID(compileSources(t, dsl.Options{}, gated))
	for id, want := range map[string]string{
		"auth/dated/a":       "exits,application-type,always",
		"auth/dated/b":       "exits,application-type,legacy-b,always",
		"auth/draft/default": "application-type,exits",
	} {
		if got := checkIDs(cases[id]); got != want {
			t.Errorf("%s at its own version: checks %s, want %s", id, got, want)
		}
	}
	if v := cases["auth/dated/a"].ProtocolVersion; v != engine.DefaultProtocolVersion {
		t.Errorf("a scenario without protocol_version runs at %q", v)
	}

	// Options.ProtocolVersion (--spec-version) replaces every scenario's.
	cases = casesByID(compileSources(t, dsl.Options{ProtocolVersion: "2026-07-28"}, gated))
	if got := checkIDs(cases["auth/dated/a"]); got != "application-type,exits,always" {
		t.Errorf("auth/dated/a at 2026-07-28: checks %s", got)
	}
	if got := cases["auth/dated/a"].Checks[0].Eval.String(); !strings.Contains(got, "protocol_version ==") {
		t.Errorf("auth/dated/a at 2026-07-28 has the application-type check of the versions before: %s", got)
	}
	cases = casesByID(compileSources(t, dsl.Options{ProtocolVersion: "2025-06-18"}, gated))
	if got := checkIDs(cases["auth/draft/default"]); got != "exits" {
		t.Errorf("auth/draft at 2025-06-18: checks %s, want exits", got)
	}
	for id, c := range cases {
		if c.ProtocolVersion != "2025-06-18" {
			t.Errorf("%s runs at %q, not the version given", id, c.ProtocolVersion)
		}
	}
}

// A case whose every check is disabled at the version has nothing to
// judge, which is an error as for any case without checks; an invalid
// version in the options is an error too.
func TestEnabledErrors(t *testing.T) {
	diags := loadDiags(t, dsl.Options{ProtocolVersion: "2025-06-18"}, `
scenario "s" {
  check "draft-only" {
    enabled   = version_at_least(protocol_version, "2026-07-28")
    condition = true
  }
}`)
	if !strings.Contains(diagText(diags), "Case without checks") {
		t.Errorf("got %v", diags)
	}
	diags = loadDiags(t, dsl.Options{ProtocolVersion: "draft"}, gated)
	if !strings.Contains(diagText(diags), `"draft" is not a protocol version`) {
		t.Errorf("got %v", diags)
	}
	// A disabled check's condition is still checked.
	diags = loadDiags(t, dsl.Options{}, `
scenario "s" {
  check "exits" { condition = client.exit_code == 0 }
  check "draft-only" {
    enabled   = false
    condition = client.exitcode == 0
  }
}`)
	if !strings.Contains(diagText(diags), `Did you mean "exit_code"?`) {
		t.Errorf("the condition of a disabled check was not checked: %v", diags)
	}
}

// Check conditions see protocol_version while the case runs: the one the
// case runs at, or the default.
func TestProtocolVersionInConditions(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, `
scenario "s" {
  check "at-draft" {
    condition     = protocol_version == "2026-07-28" && version_at_least(protocol_version, "2025-11-25")
    error_message = "ran at ${protocol_version}"
  }
}`)
	check := plan.Cases()[0].Checks[0]
	for pv, pass := range map[string]bool{"2026-07-28": true, "2025-11-25": false, "": false} {
		obs := &engine.Observations{
			Env:        &engine.Env{Scenario: "s", Case: "default", ProtocolVersion: pv, Assertions: map[string]*engine.Assertion{}},
			FirstError: -1, FirstTokenIssued: -1,
			Client: engine.ClientObservation{ExitCode: 0, ExitAfterError: -1},
		}
		out := check.Eval.Evaluate(obs)
		if out.Err != nil || out.Pass != pass {
			t.Errorf("at %q: pass %v, err %v; want pass %v", pv, out.Pass, out.Err, pass)
		}
		if !pass && !strings.Contains(out.Message, "ran at 20") {
			t.Errorf("at %q: message %q", pv, out.Message)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	f := dsl.Functions()["version_at_least"]
	for _, c := range []struct {
		v, min string
		want   bool
		err    bool
	}{
		{"2026-07-28", "2026-07-28", true, false},
		{"2026-07-28", "2025-11-25", true, false},
		{"2025-03-26", "2025-11-25", false, false},
		{"2025-11-25", "2026-01-01", false, false},
		{"draft", "2025-11-25", false, true},
		{"2025-11-25", "2025-11", false, true},
		{"2025-02-30", "2025-01-01", false, true},
	} {
		got, err := f.Call([]cty.Value{cty.StringVal(c.v), cty.StringVal(c.min)})
		if (err != nil) != c.err {
			t.Errorf("version_at_least(%q, %q): error %v", c.v, c.min, err)
			continue
		}
		if err == nil && got.True() != c.want {
			t.Errorf("version_at_least(%q, %q) = %v", c.v, c.min, got.True())
		}
	}
	if err := dsl.CheckProtocolVersion("2025-11-25"); err != nil {
		t.Error(err)
	}
}
