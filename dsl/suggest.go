package dsl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// unsupportedAttr matches hcl's detail for an attribute an object lacks.
var unsupportedAttr = regexp.MustCompile(`^This object does not have an attribute named "([^"]*)"\.$`)

// suggestAttributes adds "Did you mean …?" to hcl's "Unsupported
// attribute" errors, naming the closest attribute of the object the
// traversal reached (client.exitcode → "exit_code").
func suggestAttributes(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary != "Unsupported attribute" {
			continue
		}
		m := unsupportedAttr.FindStringSubmatch(d.Detail)
		if m == nil {
			continue
		}
		known := attributesBefore(d, m[1])
		if s := nameSuggestion(m[1], known); s != "" {
			d.Detail = strings.TrimSuffix(d.Detail, ".") + fmt.Sprintf(". Did you mean %q?", s)
		} else if len(known) > 0 && len(known) <= 12 {
			d.Detail += " It has " + strings.Join(quoted(known), ", ") + "."
		}
	}
	return diags
}

// attributesBefore returns the attribute names of the object the
// diagnostic's traversal reached just before the attribute name.
func attributesBefore(d *hcl.Diagnostic, name string) []string {
	if d.EvalContext == nil || d.Subject == nil {
		return nil
	}
	var trav hcl.Traversal
	switch e := d.Expression.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		trav = e.Traversal
	default:
		return nil
	}
	for i, step := range trav {
		a, ok := step.(hcl.TraverseAttr)
		if !ok || a.Name != name || i == 0 || a.SrcRange != *d.Subject {
			continue
		}
		v, diags := trav[:i].TraverseAbs(d.EvalContext)
		if diags.HasErrors() || !v.Type().IsObjectType() {
			return nil
		}
		return objectAttributes(v.Type())
	}
	return nil
}

func objectAttributes(t cty.Type) []string {
	var out []string
	for k := range t.AttributeTypes() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// hintUnverified adds to each "Requirement not verified" warning the
// references to undeclared requirements that look like misspellings of
// it, so the warning points at the mistake instead of burying it.
func (cfg *Config) hintUnverified(diags hcl.Diagnostics) hcl.Diagnostics {
	var missing []ref
	note := func(cs []*CheckDef) {
		for _, c := range cs {
			for _, r := range c.verifiesRefs {
				if _, ok := cfg.Requirements[r.Name]; !ok {
					missing = append(missing, r)
				}
			}
		}
	}
	for _, name := range sortedKeys(cfg.CheckSets) {
		note(cfg.CheckSets[name].Checks)
	}
	for _, s := range cfg.Scenarios {
		note(s.Body.Checks)
		for _, c := range s.Cases {
			note(c.Body.Checks)
		}
	}
	if len(missing) == 0 {
		return diags
	}
	for _, d := range diags {
		if d.Summary != "Requirement not verified" || d.Subject == nil {
			continue
		}
		for _, id := range cfg.RequirementOrder {
			if cfg.Requirements[id].DeclRange != *d.Subject {
				continue
			}
			for _, r := range missing {
				if closestName(r.Name, []string{id}) == id {
					d.Detail += fmt.Sprintf(" The reference requirement.%s at %s names no requirement; did you mean requirement.%s?", r.Name, r.Range, id)
					break
				}
			}
		}
	}
	return diags
}

// closestName is nameSuggestion, or else the one known name that contains
// given or is contained in it (requirement.retry for "no-retry").
func closestName(given string, known []string) string {
	if s := nameSuggestion(given, known); s != "" {
		return s
	}
	found := ""
	for _, k := range known {
		if len(given) >= 3 && len(k) >= 3 && (strings.Contains(k, given) || strings.Contains(given, k)) {
			if found != "" {
				return ""
			}
			found = k
		}
	}
	return found
}
