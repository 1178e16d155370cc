package dsl

import (
	"fmt"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// evalValue evaluates an attribute's expression, requiring a known value.
func evalValue(a *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	diags = suggestFunctions(diags, ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Value not known yet",
			Detail:      fmt.Sprintf("The value of %q depends on something only known while a case runs, but it is needed before.", a.Name),
			Subject:     a.Expr.Range().Ptr(),
			Expression:  a.Expr,
			EvalContext: ctx,
		})
	}
	return v, diags
}

// readAttr evaluates a, when it is set, with eval and stores the value in
// *dst; the diagnostics go to *diags. It reports whether a value was
// stored, so callers can check it further.
func readAttr[T any](diags *hcl.Diagnostics, a *hcl.Attribute, ctx *hcl.EvalContext, eval func(*hcl.Attribute, *hcl.EvalContext) (T, hcl.Diagnostics), dst *T) bool {
	if a == nil {
		return false
	}
	v, ds := eval(a, ctx)
	*diags = append(*diags, ds...)
	if ds.HasErrors() {
		return false
	}
	*dst = v
	return true
}

// invalidValue is the error diagnostic for an attribute whose value is
// not acceptable, pointing at the value.
func invalidValue(a *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  a.Expr.Range().Ptr(),
	}
}

func typeError(a *hcl.Attribute, want string, got cty.Type, ctx *hcl.EvalContext) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Incorrect attribute value type",
		Detail:      fmt.Sprintf("The %q attribute takes %s; this value is %s.", a.Name, want, got.FriendlyName()),
		Subject:     a.Expr.Range().Ptr(),
		Expression:  a.Expr,
		EvalContext: ctx,
	}
}

func evalString(a *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() {
		return "", diags
	}
	if v.IsNull() {
		return "", diags
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", append(diags, typeError(a, "a string", v.Type(), ctx))
	}
	return sv.AsString(), diags
}

func evalBool(a *hcl.Attribute, ctx *hcl.EvalContext) (bool, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() || v.IsNull() {
		return false, diags
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return false, append(diags, typeError(a, "a bool", v.Type(), ctx))
	}
	return bv.True(), diags
}

func evalInt(a *hcl.Attribute, ctx *hcl.EvalContext) (int, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() || v.IsNull() {
		return 0, diags
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, append(diags, typeError(a, "a number", v.Type(), ctx))
	}
	bf := nv.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || i < -1<<31 || i > 1<<31 {
		return 0, append(diags, typeError(a, "a whole number", v.Type(), ctx))
	}
	return int(i), diags
}

func evalStringList(a *hcl.Attribute, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	return stringListValue(a, v, ctx, diags)
}

func stringListValue(a *hcl.Attribute, v cty.Value, ctx *hcl.EvalContext, diags hcl.Diagnostics) ([]string, hcl.Diagnostics) {
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		return nil, append(diags, typeError(a, "a list of strings", v.Type(), ctx))
	}
	out := []string{}
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, append(diags, typeError(a, "a list of strings without nulls", v.Type(), ctx))
		}
		out = append(out, e.AsString())
	}
	return out, diags
}

// evalStringOrList reads a string as a list of one, or a list of strings.
func evalStringOrList(a *hcl.Attribute, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	if sv, err := convert.Convert(v, cty.String); err == nil {
		return []string{sv.AsString()}, diags
	}
	if _, err := convert.Convert(v, cty.List(cty.String)); err != nil {
		return nil, append(diags, typeError(a, "a string or a list of strings", v.Type(), ctx))
	}
	return stringListValue(a, v, ctx, diags)
}

// evalObject reads an object or map as Go values (numbers as float64 or
// int64, as JSON would carry them).
func evalObject(a *hcl.Attribute, ctx *hcl.EvalContext) (map[string]any, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return nil, append(diags, typeError(a, "an object", v.Type(), ctx))
	}
	g, err := ctyToGo(v)
	if err != nil {
		return nil, append(diags, invalidValue(a, "Invalid value", fmt.Sprintf("The %q attribute cannot be sent as JSON: %s.", a.Name, err)))
	}
	m, _ := g.(map[string]any)
	return m, diags
}

// evalDuration reads a Go duration string such as "5m", "-30s" or "1.5s".
func evalDuration(a *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, hcl.Diagnostics) {
	s, diags := evalString(a, ctx)
	if diags.HasErrors() {
		return 0, diags
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, append(diags, invalidValue(a, "Invalid duration", fmt.Sprintf("The %q attribute takes a duration such as \"30s\", \"5m\" or \"-10m\"; %q is not one.", a.Name, s)))
	}
	return d, diags
}

func evalPositiveDuration(a *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, hcl.Diagnostics) {
	d, diags := evalDuration(a, ctx)
	if !diags.HasErrors() && d <= 0 {
		diags = append(diags, invalidValue(a, "Duration must be positive", fmt.Sprintf("The %q attribute must be greater than zero.", a.Name)))
	}
	return d, diags
}

func evalLevel(a *hcl.Attribute, ctx *hcl.EvalContext) (engine.Level, hcl.Diagnostics) {
	s, diags := evalString(a, ctx)
	if diags.HasErrors() {
		return "", diags
	}
	switch lvl := engine.Level(strings.ToUpper(s)); lvl {
	case engine.MUST, engine.SHOULD, engine.MAY:
		return lvl, diags
	}
	return "", append(diags, invalidValue(a, "Invalid level", fmt.Sprintf("A level is MUST, SHOULD or MAY (RFC 2119); %q is not one.", s)))
}

// staticRefs reads `kind.name` or a list of them without evaluating.
func staticRefs(a *hcl.Attribute, kind string) ([]ref, hcl.Diagnostics) {
	exprs := []hcl.Expression{a.Expr}
	if list, diags := hcl.ExprList(a.Expr); !diags.HasErrors() {
		exprs = list
	}
	var out []ref
	var diags hcl.Diagnostics
	for _, e := range exprs {
		trav, ds := hcl.AbsTraversalForExpr(e)
		if ds.HasErrors() || len(trav) != 2 || trav.RootName() != kind {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid %s reference", kind),
				Detail:   fmt.Sprintf("The %q attribute takes %s.<name> or a list of them, such as [%s.example].", a.Name, kind, kind),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		attr, ok := trav[1].(hcl.TraverseAttr)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid %s reference", kind),
				Detail:   fmt.Sprintf("Write %s.<name>, not an index.", kind),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		out = append(out, ref{Name: attr.Name, Range: e.Range()})
	}
	return out, diags
}

// checkName requires block labels to be usable as ids and in references.
func checkName(kind, name string, rng hcl.Range) hcl.Diagnostics {
	if name == "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Empty %s name", kind),
			Detail:   fmt.Sprintf("A %s needs a non-empty name.", kind),
			Subject:  rng.Ptr(),
		}}
	}
	if kind == "check" || kind == "case" {
		return nil
	}
	if !hclIdentifier(name) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s name", kind),
			Detail:   fmt.Sprintf("A %s name is referred to as %s.<name>, so it must be an identifier (letters, digits, '_' and '-', starting with a letter); %q is not.", kind, kind, name),
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}

func hclIdentifier(s string) bool {
	for i, r := range s {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(r >= '0' && r <= '9') && r != '-' {
			return false
		}
	}
	return s != ""
}

// nameSuggestion returns the known name closest to given, if close enough.
func nameSuggestion(given string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(given, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// evalEnabled reads a check's enabled attribute: a bool known before the
// case runs, null meaning the default (enabled). It is true after an
// error, so that one error does not cause others.
func evalEnabled(a *hcl.Attribute, ctx *hcl.EvalContext) (bool, hcl.Diagnostics) {
	v, diags := evalValue(a, ctx)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Summary == "Unknown variable" {
				d.Detail += " The enabled attribute is decided before the case runs, from protocol_version, scenario, case, variables and locals; the observations come later."
			}
		}
		return true, diags
	}
	if v.IsNull() {
		return true, diags
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return true, append(diags, typeError(a, "a bool", v.Type(), ctx))
	}
	return bv.True(), diags
}
