package dsl

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/ext/userfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Options are inputs to Decode beyond the files.
type Options struct {
	// Vars set variable values by name, overriding defaults. Each value is
	// read as an HCL expression (5, true, ["a"]) or, when it is not one,
	// as a plain string.
	Vars map[string]string
	// ProtocolVersion, when set, replaces the protocol_version of every
	// scenario (wifdsl run --spec-version): the clients receive it and
	// check enabled attributes are decided by it. It must be a date
	// written YYYY-MM-DD (CheckProtocolVersion).
	ProtocolVersion string
}

var reuseSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
	},
}

// functionBlock is the block userfunc.DecodeUserFunctions takes out.
var functionBlock = hcl.BlockHeaderSchema{Type: "function", LabelNames: []string{"name"}}

// preparedSchema is every block prepare takes out of the files: the
// reuse blocks and the functions.
var preparedSchema = &hcl.BodySchema{Blocks: append(slices.Clone(reuseSchema.Blocks), functionBlock)}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"},
		{Name: "description"},
	},
}

// Variable is a declared input value.
type Variable struct {
	Name        string
	Description string
	Value       cty.Value
	DeclRange   hcl.Range
}

// prepare merges the files into one body, takes out variable, locals and
// function blocks, builds the root evaluation context from them, and
// returns the remaining body with dynamic blocks expanded.
func (cfg *Config) prepare(files []*hcl.File, opts Options) (hcl.Body, hcl.Diagnostics) {
	body := hcl.MergeFiles(files)
	content, remain, diags := body.PartialContent(reuseSchema)
	funcs := Functions()
	ctx := newRootContext(funcs)
	cfg.ctx = ctx

	userFuncs, remain, ds := userfunc.DecodeUserFunctions(remain, functionBlock.Type, func() *hcl.EvalContext { return ctx })
	diags = append(diags, ds...)
	for name, f := range userFuncs {
		if _, builtin := funcs[name]; builtin {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Function name taken",
				Detail:   fmt.Sprintf("A built-in function is already named %q; choose another name.", name),
				Subject:  functionRange(files, name),
			})
			continue
		}
		ctx.Functions[name] = f
	}

	vars, ds := cfg.decodeVariables(content.Blocks, opts)
	diags = append(diags, ds...)
	ctx.Variables["var"] = cty.ObjectVal(vars)

	locals, ds := decodeLocals(content.Blocks, ctx)
	diags = append(diags, ds...)
	ctx.Variables["local"] = cty.ObjectVal(locals)

	if !mentions(files, "dynamic") {
		// No dynamic block to expand: the expanding wrapper would only
		// cost every later read of the body.
		return remain, diags
	}
	// Only the files that may hold a dynamic block are read through the
	// expanding wrapper, for the same reason: the remaining body again,
	// file by file (the merged body reported the diagnostics).
	bodies := make([]hcl.Body, 0, len(files))
	for _, f := range files {
		if f == nil {
			continue
		}
		_, r, _ := f.Body.PartialContent(preparedSchema)
		if mentions([]*hcl.File{f}, "dynamic") {
			r = dynblock.Expand(r, ctx)
		}
		bodies = append(bodies, r)
	}
	return hcl.MergeBodies(bodies), diags
}

// mentions reports whether any file's source holds word.
func mentions(files []*hcl.File, word string) bool {
	for _, f := range files {
		if f == nil || f.Bytes == nil || bytes.Contains(f.Bytes, []byte(word)) {
			return true
		}
	}
	return false
}

func functionRange(files []*hcl.File, name string) *hcl.Range {
	for _, f := range files {
		c, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{functionBlock}})
		if c == nil {
			continue
		}
		for _, b := range c.Blocks {
			if b.Labels[0] == name {
				return b.LabelRanges[0].Ptr()
			}
		}
	}
	return nil
}

func (cfg *Config) decodeVariables(blocks hcl.Blocks, opts Options) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	cfg.Variables = map[string]*Variable{}
	staticCtx := newRootContext(Functions())
	for _, b := range blocks {
		if b.Type != "variable" {
			continue
		}
		name := b.Labels[0]
		diags = append(diags, checkName("variable", name, b.LabelRanges[0])...)
		if prev, dup := cfg.Variables[name]; dup {
			diags = append(diags, duplicate("variable", name, b.LabelRanges[0], prev.DeclRange))
			continue
		}
		c, ds := b.Body.Content(variableSchema)
		diags = append(diags, ds...)
		v := &Variable{Name: name, DeclRange: b.DefRange, Value: cty.NilVal}
		readAttr(&diags, c.Attributes["description"], staticCtx, evalString, &v.Description)
		if a := c.Attributes["default"]; a != nil {
			val, ds := evalValue(a, staticCtx)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				v.Value = val
			}
		}
		if raw, ok := opts.Vars[name]; ok {
			v.Value = parseVarValue(raw)
		}
		if v.Value == cty.NilVal {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for variable",
				Detail:   fmt.Sprintf("The variable %q has no default; give it a value with --var %s=VALUE.", name, name),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			v.Value = cty.DynamicVal
		}
		cfg.Variables[name] = v
		vals[name] = v.Value
	}
	var unknown []string
	for name := range opts.Vars {
		if _, ok := cfg.Variables[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		detail := fmt.Sprintf("--var sets %q, but no variable block declares it.", name)
		if s := nameSuggestion(name, sortedKeys(cfg.Variables)); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable", Detail: detail})
	}
	return vals, diags
}

// parseVarValue reads a --var value as a literal HCL expression, or as a
// plain string when it is not one.
func parseVarValue(raw string) cty.Value {
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "--var", hcl.InitialPos)
	if !diags.HasErrors() && len(expr.Variables()) == 0 {
		if v, diags := expr.Value(&hcl.EvalContext{Functions: map[string]function.Function{}}); !diags.HasErrors() && v.IsWhollyKnown() {
			return v
		}
	}
	return cty.StringVal(raw)
}

// decodeLocals evaluates every locals block; a local may use variables,
// functions and other locals, in any order.
func decodeLocals(blocks hcl.Blocks, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		if b.Type != "locals" {
			continue
		}
		attrs, ds := b.Body.JustAttributes()
		diags = append(diags, ds...)
		for name, a := range attrs {
			if prev, dup := pending[name]; dup {
				diags = append(diags, duplicate("local value", name, a.NameRange, prev.NameRange))
				continue
			}
			pending[name] = a
		}
	}
	vals := map[string]cty.Value{}
	for len(pending) > 0 {
		progress := false
		for _, name := range sortedKeys(pending) {
			a := pending[name]
			ready := true
			for _, t := range a.Expr.Variables() {
				if t.RootName() != "local" || len(t) < 2 {
					continue
				}
				if attr, ok := t[1].(hcl.TraverseAttr); ok {
					if _, waiting := pending[attr.Name]; waiting && attr.Name != name {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			child := ctx.NewChild()
			child.Variables = map[string]cty.Value{"local": cty.ObjectVal(vals)}
			v, ds := a.Expr.Value(child)
			diags = append(diags, ds...)
			if ds.HasErrors() {
				v = cty.DynamicVal
			}
			vals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			var names []string
			for _, n := range sortedKeys(pending) {
				names = append(names, "local."+n)
			}
			first := pending[sortedKeys(pending)[0]]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Local values refer to each other",
				Detail:   fmt.Sprintf("These local values form a cycle: %s.", strings.Join(names, ", ")),
				Subject:  first.NameRange.Ptr(),
			})
			for n := range pending {
				vals[n] = cty.DynamicVal
			}
			break
		}
	}
	return vals, diags
}
