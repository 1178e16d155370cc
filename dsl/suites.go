package dsl

import (
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// AllSuite names the implicit suite of every scenario of the loaded files;
// it may not be declared.
const AllSuite = "all"

// Suite is a suite block: a named set of scenarios, selected by name or
// glob pattern, that `wifdsl run --suite NAME` runs.
type Suite struct {
	Name        string
	Description string
	// Patterns are the scenarios attribute's elements, as written.
	Patterns []SuitePattern
	// Scenarios are the names of the scenarios the patterns match, in
	// the order of the configuration's scenarios; set by Decode.
	Scenarios []string
	DeclRange hcl.Range
	NameRange hcl.Range

	broken bool // its attributes had errors: matching is not checked
}

// SuitePattern is one element of a suite's scenarios list.
type SuitePattern struct {
	Pattern string
	Range   hcl.Range
}

// MatchName reports whether name is pattern or matches it as a glob
// pattern (path.Match: * and ? do not cross a "/"). Suite blocks and the
// --scenario, --case and --variant flags all select names this way.
func MatchName(pattern, name string) bool {
	ok, _ := path.Match(pattern, name)
	return ok || pattern == name
}

// IsGlob reports whether pattern holds a glob character (*, ?, [ or \).
func IsGlob(pattern string) bool {
	return strings.ContainsAny(pattern, `*?[\`)
}

// ClosestName is the name of known closest to given, for "Did you mean"
// hints: one a few edits away, or else the one name that contains given or
// is contained in it; "" when there is none.
func ClosestName(given string, known []string) string {
	return closestName(given, known)
}

// validSuiteName reports whether name is a plain word: letters, digits,
// '-' and '_', as a --suite flag takes it.
func validSuiteName(name string) bool {
	for _, r := range name {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return name != ""
}

func (cfg *Config) decodeSuite(b *hcl.Block) (*Suite, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["suite"])
	s := &Suite{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	switch {
	case !validSuiteName(s.Name):
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid suite name",
			Detail:   fmt.Sprintf("A suite is chosen with --suite NAME, so its name is a plain word of letters, digits, '-' and '_'; %q is not.", s.Name),
			Subject:  s.NameRange.Ptr(),
		})
	case strings.EqualFold(s.Name, AllSuite):
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reserved suite name",
			Detail:   fmt.Sprintf("The suite %q is implicit: it holds every scenario of the loaded files, so it cannot be declared. Choose another name.", AllSuite),
			Subject:  s.NameRange.Ptr(),
		})
	}
	var attrs SuiteAttrs
	bindAttrs(content.Attributes, &attrs)
	readAttr(&diags, attrs.Description, cfg.ctx, evalString, &s.Description)
	if a := attrs.Scenarios; a != nil {
		pats, ds := suitePatterns(a, cfg.ctx)
		diags = append(diags, ds...)
		s.Patterns = pats
		if !ds.HasErrors() && len(pats) == 0 {
			diags = append(diags, invalidValue(a, "Empty suite",
				fmt.Sprintf("The suite %q lists no scenario. List scenario names or glob patterns, such as [\"auth/metadata-*\", \"auth/basic-cimd\"].", s.Name)))
		}
	}
	s.broken = diags.HasErrors()
	return s, diags
}

// suitePatterns reads a suite's scenarios attribute: a list of strings,
// each a scenario name or a glob pattern. Each element of a list written
// out keeps its own range, so a diagnostic points at it.
func suitePatterns(a *hcl.Attribute, ctx *hcl.EvalContext) ([]SuitePattern, hcl.Diagnostics) {
	var out []SuitePattern
	var diags hcl.Diagnostics
	add := func(p string, rng hcl.Range) {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid scenario pattern",
				Detail:   fmt.Sprintf("%q is not a scenario name or a glob pattern: patterns use * and ? (which do not match a \"/\") and [...] classes, as --scenario does.", p),
				Subject:  rng.Ptr(),
			})
			return
		}
		out = append(out, SuitePattern{Pattern: p, Range: rng})
	}
	elems, ds := hcl.ExprList(a.Expr)
	if ds.HasErrors() {
		// Not a list written out, such as local.core_scenarios: the whole
		// expression is the place to point at.
		list, ds := evalStringList(a, ctx)
		for _, p := range list {
			add(p, a.Expr.Range())
		}
		return out, append(diags, ds...)
	}
	for _, e := range elems {
		v, ds := evalValue(&hcl.Attribute{Name: a.Name, Expr: e, Range: e.Range(), NameRange: a.NameRange}, ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		sv, err := convert.Convert(v, cty.String)
		if err != nil || sv.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Incorrect value type",
				Detail:   fmt.Sprintf("Each element of %q is a scenario name or a glob pattern, a string; this one is %s.", a.Name, valueKind(v)),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		add(sv.AsString(), e.Range())
	}
	return out, diags
}

// valueKind names the type of v for a diagnostic, or "null".
func valueKind(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// checkSuites resolves every suite's patterns against the scenarios of
// the configuration. A name without glob characters must name a scenario;
// a glob pattern may match none (its scenarios may not exist yet), but a
// suite must match some scenario.
func (cfg *Config) checkSuites() hcl.Diagnostics {
	var diags hcl.Diagnostics
	var names []string
	for _, s := range cfg.Scenarios {
		names = append(names, s.Name)
	}
	for _, su := range cfg.Suites {
		if su.broken {
			continue
		}
		unknown := false
		for _, p := range su.Patterns {
			if IsGlob(p.Pattern) || anyMatch(p.Pattern, names) {
				continue
			}
			unknown = true
			detail := fmt.Sprintf("No scenario of the loaded files is named %q, and a name without *, ? or [ must name a scenario.", p.Pattern)
			if s := closestName(p.Pattern, names); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown scenario in suite",
				Detail:   detail,
				Subject:  p.Range.Ptr(),
			})
		}
		su.Scenarios = nil
		for _, n := range names {
			for _, p := range su.Patterns {
				if MatchName(p.Pattern, n) {
					su.Scenarios = append(su.Scenarios, n)
					break
				}
			}
		}
		if len(su.Scenarios) == 0 && !unknown {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Suite without scenarios",
				Detail:   fmt.Sprintf("No pattern of the suite %q matches a scenario of the loaded files, so it would run nothing. Load the files that declare its scenarios, or correct the patterns.", su.Name),
				Subject:  su.NameRange.Ptr(),
			})
		}
	}
	return diags
}

func anyMatch(pattern string, names []string) bool {
	for _, n := range names {
		if MatchName(pattern, n) {
			return true
		}
	}
	return false
}

// planSuites are the plan's suites: the implicit suite of every scenario,
// then the declared ones.
func (cfg *Config) planSuites() []*engine.Suite {
	all := &engine.Suite{Name: AllSuite, Description: "Every scenario of the loaded files.", Scenarios: []string{}}
	for _, s := range cfg.Scenarios {
		all.Scenarios = append(all.Scenarios, s.Name)
	}
	out := []*engine.Suite{all}
	for _, su := range cfg.Suites {
		out = append(out, &engine.Suite{Name: su.Name, Description: su.Description, Scenarios: append([]string{}, su.Scenarios...)})
	}
	return out
}
