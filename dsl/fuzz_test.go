package dsl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

var suggestionRE = regexp.MustCompile(`Did you mean "[^"]*"\?`)

// compileSource parses and compiles one source as the command line does,
// and renders the diagnostics as it does, in a canonical order.
func compileSource(t *testing.T, name string, src []byte) (*engine.Plan, hcl.Diagnostics, string) {
	t.Helper()
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: name, Bytes: src}}}, dsl.Options{})
	plan := l.Plan
	// Rendered one by one and sorted: hcl reports the unsupported
	// arguments of one body in map order, so the order of diagnostics
	// varies from run to run while the set does not. Likewise, among
	// equally close names hcl suggests the first it meets in a map.
	var each []string
	for _, d := range diags {
		var out bytes.Buffer
		if err := dsl.WriteDiagnostics(&out, l.Files, hcl.Diagnostics{d}); err != nil {
			t.Fatalf("rendering the diagnostics: %v", err)
		}
		each = append(each, suggestionRE.ReplaceAllString(out.String(), "Did you mean …?"))
	}
	sort.Strings(each)
	return plan, diags, strings.Join(each, "")
}

// FuzzCompile feeds arbitrary source text, as native syntax or as the JSON
// form, through the scenario compiler (parse, decode, static checks,
// compile to a plan) and the diagnostics renderer: no panic, a plan exactly
// when there is no error, diagnostics that point into the file, and the
// same outcome every time.
func FuzzCompile(f *testing.F) {
	f.Add(wifdsl.BuiltinSuite, false)
	for _, pattern := range []string{"../examples/scenarios/*.hcl", "testdata/diagnostics/*/input.hcl", "testdata/diagnostics/*/input.hcl.json"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			src, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, strings.HasSuffix(name, ".json"))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, asJSON bool) {
		name := "fuzz.hcl"
		if asJSON {
			name = "fuzz.hcl.json"
		}
		plan, diags, rendered := compileSource(t, name, src)
		if diags.HasErrors() != (plan == nil) {
			t.Fatalf("errors %v but plan %v", diags.HasErrors(), plan != nil)
		}
		for _, d := range diags {
			if d.Severity != hcl.DiagError && d.Severity != hcl.DiagWarning {
				t.Fatalf("diagnostic of severity %v: %s", d.Severity, d.Summary)
			}
			if strings.TrimSpace(d.Summary) == "" {
				t.Fatalf("diagnostic without a summary: %+v", d)
			}
			if r := d.Subject; r != nil {
				if r.Filename != name {
					t.Fatalf("diagnostic %q names file %q, not %q", d.Summary, r.Filename, name)
				}
				// hcl's JSON parser may end a range one byte past the end
				// of the source (an unterminated string): the start is what
				// must lie in the file.
				if r.Start.Line < 1 || r.Start.Byte < 0 || r.Start.Byte > len(src) || r.Start.Byte > r.End.Byte {
					t.Fatalf("diagnostic %q has range %v outside the %d-byte source", d.Summary, r, len(src))
				}
			}
		}
		if plan != nil {
			seen := map[string]bool{}
			for _, c := range plan.Cases() {
				if c.Scenario == "" || c.Name == "" || seen[c.ID()] {
					t.Fatalf("case %q: duplicate %v", c.ID(), seen[c.ID()])
				}
				seen[c.ID()] = true
				if err := engine.CheckServers(c); err != nil {
					t.Fatalf("case %q: %v", c.ID(), err)
				}
				for _, a := range c.Assertions {
					if a == nil || a.Claims == nil {
						t.Fatalf("case %q has an incomplete assertion", c.ID())
					}
				}
			}
		}
		// The compiler is a function of its input.
		plan2, _, rendered2 := compileSource(t, name, src)
		if rendered != rendered2 || (plan == nil) != (plan2 == nil) {
			t.Fatalf("a second compile differs:\n%s\n---\n%s", rendered, rendered2)
		}
		if plan != nil && caseIDs(plan) != caseIDs(plan2) {
			t.Fatalf("a second compile has other cases: %s / %s", caseIDs(plan), caseIDs(plan2))
		}
	})
}

func caseIDs(p *engine.Plan) string {
	var ids []string
	for _, c := range p.Cases() {
		ids = append(ids, c.ID())
	}
	return strings.Join(ids, " ")
}
