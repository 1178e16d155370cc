package dsl_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

const suiteScenarios = `
checkset "exits" {
  check "exits" { condition = client.exit_code == 0 }
}
scenario "auth/metadata-default" { checks = [checkset.exits] }
scenario "auth/metadata-var1" { checks = [checkset.exits] }
scenario "auth/basic-cimd" { checks = [checkset.exits] }
scenario "auth/scope-step-up" { checks = [checkset.exits] }
scenario "auth/metadata/nested" { checks = [checkset.exits] }
`

// loadDiags loads srcs as one configuration and returns every diagnostic.
func loadDiags(t *testing.T, opts dsl.Options, srcs ...string) hcl.Diagnostics {
	t.Helper()
	var src dsl.Source
	for i, s := range srcs {
		name := fmt.Sprintf("f%d.hcl", i)
		if strings.HasPrefix(strings.TrimSpace(s), "{") {
			name += ".json"
		}
		src.Inline = append(src.Inline, dsl.InlineFile{Name: name, Bytes: []byte(s)})
	}
	_, diags := dsl.Load(src, opts)
	return diags
}

// diagText is every diagnostic's summary and detail.
func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s\n", d.Summary, d.Detail)
	}
	return b.String()
}

func suiteSummary(p *engine.Plan) string {
	var out []string
	for _, s := range p.Suites {
		out = append(out, s.Name+"="+strings.Join(s.Scenarios, ","))
	}
	return strings.Join(out, " ")
}

// A suite's scenarios are those its names and patterns match, once each,
// in the order of the plan; "all" comes first and holds every scenario.
func TestSuitesInThePlan(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, suiteScenarios, `
locals {
  scope = ["auth/scope-*"]
}
suite "core" {
  description = "The core scenarios."
  scenarios   = ["auth/scope-step-up", "auth/metadata-*", "auth/basic-cimd", "auth/metadata-default", "auth/not-yet-*"]
}
suite "sep-835" {
  scenarios = local.scope
}
`)
	want := "all=auth/metadata-default,auth/metadata-var1,auth/basic-cimd,auth/scope-step-up,auth/metadata/nested" +
		" core=auth/metadata-default,auth/metadata-var1,auth/basic-cimd,auth/scope-step-up" +
		" sep-835=auth/scope-step-up"
	if got := suiteSummary(plan); got != want {
		t.Errorf("suites:\n got %s\nwant %s", got, want)
	}
	if d := plan.Suite("core").Description; d != "The core scenarios." {
		t.Errorf("description %q", d)
	}
	if plan.Suite("all").Description == "" {
		t.Error("the implicit suite all has no description")
	}
	for _, name := range []string{"CORE", "Sep-835", "ALL"} {
		if plan.Suite(name) == nil {
			t.Errorf("Plan.Suite(%q) found nothing: suite names are matched ignoring case", name)
		}
	}
	if plan.Suite("cor") != nil {
		t.Error("Plan.Suite matched a prefix")
	}
}

// Without suite blocks the plan still has "all"; suites are read from the
// JSON form too, and a suite may be in another file than its scenarios.
func TestSuitesImplicitAndJSON(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, suiteScenarios)
	if got := suiteSummary(plan); !strings.HasPrefix(got, "all=auth/metadata-default,") || strings.Contains(got, " ") {
		t.Errorf("suites of files that declare none: %s", got)
	}
	plan = compileSources(t, dsl.Options{}, suiteScenarios, `{"suite": {"metadata": {"description": "d", "scenarios": ["auth/metadata-*"]}}}`)
	if got := plan.Suite("metadata"); got == nil || strings.Join(got.Scenarios, ",") != "auth/metadata-default,auth/metadata-var1" {
		t.Errorf("suite from the JSON form: %+v", got)
	}
}

// Scenario selection has one meaning everywhere: the name itself, or a
// glob pattern whose * and ? stop at a "/".
func TestMatchName(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"auth/metadata-*", "auth/metadata-var1", true},
		{"auth/metadata-*", "auth/metadata-", true},
		{"auth/metadata-*", "auth/metadata/nested", false},
		{"auth/*", "auth/metadata/nested", false},
		{"auth/*/*", "auth/metadata/nested", true},
		{"auth/metadata-var?", "auth/metadata-var3", true},
		{"auth/metadata-var[12]", "auth/metadata-var3", false},
		{"auth/basic-cimd", "auth/basic-cimd", true},
		{"auth/basic-cimd", "auth/basic-cimd-x", false},
		{"auth/[weird", "auth/[weird", true}, // a malformed pattern still names itself
	} {
		if got := dsl.MatchName(c.pattern, c.name); got != c.want {
			t.Errorf("MatchName(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
	for p, want := range map[string]bool{"auth/dpop*": true, "auth/a?": true, "auth/[ab]": true, `auth/\*`: true, "auth/dpop": false, "auth/2025-03-26-x": false} {
		if dsl.IsGlob(p) != want {
			t.Errorf("IsGlob(%q) = %v", p, !want)
		}
	}
}

// The static errors of suite blocks; their rendering is in the golden
// corpus (testdata/diagnostics/suite-*).
func TestSuiteErrors(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"reserved", `suite "All" { scenarios = ["auth/*"] }`, "Reserved suite name"},
		{"not a word", `suite "a.b" { scenarios = ["auth/*"] }`, "Invalid suite name"},
		{"empty", `suite "x" { scenarios = [] }`, "Empty suite"},
		{"missing scenarios", `suite "x" { description = "d" }`, `The argument "scenarios" is required`},
		{"duplicate ignoring case", `
suite "core" { scenarios = ["auth/*"] }
suite "CORE" { scenarios = ["auth/*"] }`, `Duplicate suite "CORE"`},
		{"plain name matching nothing", `suite "x" { scenarios = ["auth/*", "auth/basic-cmid"] }`, `Did you mean "auth/basic-cimd"?`},
		{"globs matching nothing", `suite "x" { scenarios = ["auth/dpop*", "auth/wif-*"] }`, "Suite without scenarios"},
		{"bad pattern", `suite "x" { scenarios = ["auth/[x"] }`, "Invalid scenario pattern"},
		{"not a string", `suite "x" { scenarios = [["auth/*"]] }`, "Incorrect value type"},
		{"unknown attribute", `suite "x" { scenario = ["auth/*"] }`, `Did you mean "scenarios"?`},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := loadDiags(t, dsl.Options{}, suiteScenarios, c.src)
			if !diags.HasErrors() || !strings.Contains(diagText(diags), c.want) {
				t.Errorf("want an error with %q, got %v", c.want, diags)
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Subject == nil {
					t.Errorf("error without a source range: %s", d.Summary)
				}
			}
		})
	}
}

// The embedded catalogue declares the official suites it has scenarios
// for, and each is valid.
func TestCatalogueSuites(t *testing.T) {
	src, err := dsl.SourceFS(wifdsl.Catalogue, "catalogue")
	if err != nil {
		t.Fatal(err)
	}
	l, diags := dsl.Load(src, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ext := l.Plan.Suite("extensions")
	if ext == nil {
		t.Fatalf("the catalogue has no extensions suite: %s", suiteSummary(l.Plan))
	}
	for _, want := range []string{"auth/client-credentials-basic", "auth/client-credentials-jwt", "auth/enterprise-managed-authorization"} {
		if !strings.Contains(","+strings.Join(ext.Scenarios, ",")+",", ","+want+",") {
			t.Errorf("the extensions suite lacks %s: %v", want, ext.Scenarios)
		}
	}
	if ext.Description == "" {
		t.Error("the extensions suite has no description")
	}
}

// SourceFS of a folder with a suites file alone: its suites match nothing.
func TestSuitesWithoutTheirScenarios(t *testing.T) {
	fsys := fstest.MapFS{"c/suites.hcl": {Data: []byte(`suite "core" { scenarios = ["auth/metadata-*"] }`)}}
	src, err := dsl.SourceFS(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, diags := dsl.Load(src, dsl.Options{})
	if !strings.Contains(diagText(diags), "Suite without scenarios") {
		t.Errorf("got %v", diags)
	}
}
