package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
)

// The jwt_file block: the harness delivers an assertion to the client as
// a file it rewrites on a schedule (see engine.JWTFileSpec).

var jwtFileBlock = hcl.BlockHeaderSchema{Type: "jwt_file"}

// JWTFileAttrs are the attributes of a jwt_file block.
type JWTFileAttrs struct {
	Assertion    *hcl.Attribute `hcl:"assertion,optional"` // required once merged with the scenario's
	RewriteEvery *hcl.Attribute `hcl:"rewrite_every,optional"`
}

// JWTFileDef is a jwt_file block.
type JWTFileDef struct {
	Attrs     JWTFileAttrs
	DeclRange hcl.Range
}

// decodeJWTFile decodes a jwt_file block into body; a body has at most one.
func decodeJWTFile(b *hcl.Block, body *CaseBody) hcl.Diagnostics {
	if body.JWTFile != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate jwt_file block",
			Detail:   fmt.Sprintf("Only one jwt_file block is allowed here; the first is at %s.", body.JWTFile.DeclRange),
			Subject:  b.DefRange.Ptr(),
		}}
	}
	c, diags := b.Body.Content(schemas["jwt_file"])
	d := &JWTFileDef{DeclRange: b.DefRange}
	bindAttrs(c.Attributes, &d.Attrs)
	body.JWTFile = d
	return diags
}

// mergeJWTFileOnce adds the jwt_file block of a scenario block to the
// scenario; each attribute may be set in one place.
func mergeJWTFileOnce(into, from *CaseBody, conflict func(name string, at, prev *hcl.Attribute)) {
	switch {
	case from.JWTFile == nil:
	case into.JWTFile == nil:
		into.JWTFile = from.JWTFile
	default:
		mergeAttrsOnce(&into.JWTFile.Attrs, &from.JWTFile.Attrs, conflict)
	}
}

// overlayJWTFile is a case's jwt_file over its scenario's, attribute by
// attribute.
func overlayJWTFile(base, over *JWTFileDef) *JWTFileDef {
	if over == nil {
		return base
	}
	out := &JWTFileDef{DeclRange: over.DeclRange}
	if base != nil {
		out.Attrs = base.Attrs
	}
	overlayAttrs(&out.Attrs, &over.Attrs)
	return out
}

// compileJWTFile checks a case's jwt_file against its assertions.
func (cfg *Config) compileJWTFile(d *JWTFileDef, assertions []string) (*engine.JWTFileSpec, hcl.Diagnostics) {
	if d == nil {
		return nil, nil
	}
	var diags hcl.Diagnostics
	spec := &engine.JWTFileSpec{}
	if d.Attrs.Assertion == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   `The argument "assertion" is required: name the assertion the JWT file holds, in the case's jwt_file block or its scenario's.`,
			Subject:  d.DeclRange.Ptr(),
		})
	}
	if at := d.Attrs.Assertion; readAttr(&diags, at, cfg.ctx, evalString, &spec.Assertion) && !slices.Contains(assertions, spec.Assertion) {
		detail := fmt.Sprintf("The case has no assertion %q to write to the JWT file", spec.Assertion)
		if s := nameSuggestion(spec.Assertion, assertions); s != "" {
			detail += fmt.Sprintf("; did you mean %q?", s)
		} else {
			detail += "; its assertions are: " + strings.Join(assertions, ", ") + "."
		}
		diags = append(diags, invalidValue(at, "Unknown assertion", detail))
	}
	if at := d.Attrs.RewriteEvery; readAttr(&diags, at, cfg.ctx, evalPositiveDuration, &spec.RewriteEvery) && spec.RewriteEvery < engine.MinJWTRewrite {
		diags = append(diags, invalidValue(at, "Rewrite interval too short",
			fmt.Sprintf("The JWT file is rewritten at most every %v; %v is shorter.", engine.MinJWTRewrite, spec.RewriteEvery)))
	}
	return spec, diags
}

// jwtFileJSON is the jwt_file observation: what the harness wrote to the
// JWT file, or an empty one when the case has none.
func jwtFileJSON(o *engine.JWTFileObservation) map[string]any {
	if o == nil {
		return map[string]any{
			"path": "", "assertion": "", "rewrite_every_ms": nil,
			"versions": []any{}, "version_count": 0, "error": "",
		}
	}
	versions := make([]any, len(o.Versions))
	for i, v := range o.Versions {
		jti, _ := v.Claims["jti"].(string)
		versions[i] = map[string]any{
			"seq": v.Seq, "at_ms": ms(v.At), "token": v.Token, "jti": jti, "claims": v.Claims,
		}
	}
	var every any
	if o.RewriteEvery > 0 {
		every = ms(o.RewriteEvery)
	}
	return map[string]any{
		"path": o.Path, "assertion": o.Assertion, "rewrite_every_ms": every,
		"versions": versions, "version_count": o.VersionCount, "error": o.Error,
	}
}
