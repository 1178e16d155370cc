package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A check may hold a locals block: named values over the observations,
// evaluated before condition and error_message, which refer to them as
// local.<name> next to the configuration's own locals.
//
//	check "no-secret" {
//	  locals {
//	    leaked = [for r in token_requests : r.seq if contains(keys(r.form), "client_secret")]
//	  }
//	  condition     = length(local.leaked) == 0
//	  error_message = "requests ${jsonencode(local.leaked)} sent a client secret"
//	}

// decodeCheckLocals reads the locals blocks of a check body and orders
// them so that each comes after the ones it uses.
func (cfg *Config) decodeCheckLocals(blocks hcl.Blocks) ([]*hcl.Attribute, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	pending := map[string]*hcl.Attribute{}
	var names []string
	global := map[string]bool{}
	if lv, ok := cfg.ctx.Variables["local"]; ok && lv.Type().IsObjectType() {
		for n := range lv.Type().AttributeTypes() {
			global[n] = true
		}
	}
	for _, b := range blocks {
		if b.Type != "locals" {
			continue
		}
		attrs, ds := b.Body.JustAttributes()
		diags = append(diags, ds...)
		for _, name := range sortedKeys(attrs) {
			a := attrs[name]
			if prev, dup := pending[name]; dup {
				diags = append(diags, duplicate("local value", name, a.NameRange, prev.NameRange))
				continue
			}
			if global[name] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Local value name taken",
					Detail:   fmt.Sprintf("A top-level locals block already declares %q; a check's local values sit next to those, so choose another name.", name),
					Subject:  a.NameRange.Ptr(),
				})
				continue
			}
			pending[name] = a
			names = append(names, name)
		}
	}
	var ordered []*hcl.Attribute
	done := map[string]bool{}
	for len(pending) > 0 {
		progress := false
		for _, name := range names {
			a, ok := pending[name]
			if !ok {
				continue
			}
			ready := true
			for _, t := range a.Expr.Variables() {
				if t.RootName() != "local" || len(t) < 2 {
					continue
				}
				if attr, ok := t[1].(hcl.TraverseAttr); ok && attr.Name != name && pending[attr.Name] != nil && !done[attr.Name] {
					ready = false
				}
			}
			if !ready {
				continue
			}
			ordered = append(ordered, a)
			done[name] = true
			delete(pending, name)
			progress = true
		}
		if !progress {
			var cycle []string
			for _, n := range names {
				if pending[n] != nil {
					cycle = append(cycle, "local."+n)
				}
			}
			first := pending[strings.TrimPrefix(cycle[0], "local.")]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Local values refer to each other",
				Detail:   fmt.Sprintf("These local values of the check form a cycle: %s.", strings.Join(cycle, ", ")),
				Subject:  first.NameRange.Ptr(),
			})
			break
		}
	}
	return ordered, diags
}

// checkLocalsContext returns a child of ctx in which local holds the
// configuration's locals and the check's, evaluated in order. A local
// that cannot be evaluated is unknown, with its diagnostics.
func checkLocalsContext(def *CheckDef, ctx *hcl.EvalContext) (*hcl.EvalContext, hcl.Diagnostics) {
	if len(def.Locals) == 0 {
		return ctx, nil
	}
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	if lv, ok := ctx.Variables["local"]; ok && lv.Type().IsObjectType() && lv.IsKnown() && !lv.IsNull() {
		vals = lv.AsValueMap()
	} else {
		for c := ctx.Parent(); c != nil; c = c.Parent() {
			if lv, ok := c.Variables["local"]; ok && lv.Type().IsObjectType() && lv.IsKnown() && !lv.IsNull() {
				vals = lv.AsValueMap()
				break
			}
		}
	}
	if vals == nil {
		vals = map[string]cty.Value{}
	}
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{}
	for _, a := range def.Locals {
		child.Variables["local"] = cty.ObjectVal(vals)
		v, ds := a.Expr.Value(child)
		diags = append(diags, suggestFunctions(ds, child)...)
		if ds.HasErrors() {
			v = cty.DynamicVal
		}
		vals[a.Name] = v
	}
	child.Variables["local"] = cty.ObjectVal(vals)
	return child, diags
}
