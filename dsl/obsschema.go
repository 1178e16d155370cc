package dsl

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// The static shape of the observations. Check conditions, error messages
// and check locals are checked before a run against placeholders of the
// shape observationVariables gives at run time, so that a misspelt field
// (client.exitcode) or a condition that cannot be a bool is an error with
// a "Did you mean" before any client runs.
//
// The shape is not written down a second time: it is derived from
// observationVariables itself, applied to two sample observations that
// differ only in the keys of their maps. A field both samples have is a
// field of the shape; an object whose keys differ between them comes from a
// Go map (a form, headers, claims, the context) and takes any key. So a
// field added to the conversion is known statically at once; a test
// (TestObservationShapeIsDerived) fails when the samples leave a new field
// without a value.

// schemaSample is an observation with every field set and every map keyed
// by key.
func schemaSample(key string) *engine.Observations {
	kv := map[string][]string{key: {"v"}}
	return &engine.Observations{
		Env: &engine.Env{
			Assertions: map[string]*engine.Assertion{},
			Context:    map[string]any{key: "v"},
		},
		TokenRequests: []record.TokenRequest{{
			Server: "auth", Seq: 1, At: time.Millisecond, Method: "POST", Path: "/token",
			Query: kv, ContentType: "application/x-www-form-urlencoded", Header: http.Header(kv),
			Body: "b", Form: kv, FormError: "e", RepeatedKeys: []string{key},
			Claims: map[string]any{key: "v"}, AssertionHeader: map[string]any{key: "v"},
			Code: &record.CodeGrant{Known: true, ClientID: "c", RedirectURI: "r", Scope: "s", Resource: "r",
				CodeChallenge: "c", CodeChallengeMethod: "S256", PKCE: "verified"},
			DPoP:     dpopSample,
			Response: record.TokenResponse{Status: 200, Error: "e", ErrorDescription: "d", Rule: "r", Reason: "x", AccessToken: "t", TokenType: "DPoP", Scope: "s"},
		}},
		TokenRequestCount: 1,
		Requests:          []record.Request{{Server: "auth", Seq: 1, At: time.Millisecond, Method: "GET", Path: "/", Query: kv, Status: 200, Body: "b", Location: "l", Error: "e", TokenIssuer: "t"}},
		RequestCount:      1,
		MCPRequests: []record.MCPRequest{{
			Server: "mcp", Seq: 1, At: time.Millisecond, HTTPMethod: "POST", Path: "/mcp",
			RPCMethod: "initialize", RPCMethods: []string{"initialize"}, Bearer: "t", HasBearer: true,
			AuthScheme: "Bearer", IssuedToken: true, QueryToken: "q", ProtocolVersion: "p", Status: 200,
			Error: "e", DPoP: dpopSample,
		}},
		MCPRequestCount: 1,
		IssuedTokens:    []string{"t"},
		Issued: []record.IssuedToken{{Server: "auth", Token: "t", Refresh: true, Grant: "g", ClientID: "c", Scope: "s",
			IssuedAt: time.Unix(1, 0), ExpiresAt: time.Unix(2, 0), Revoked: true, JKT: "j"}},
		JWTFile: &engine.JWTFileObservation{Path: "p", Assertion: "a", RewriteEvery: time.Second,
			Versions:     []engine.JWTFileVersion{{Seq: 1, At: time.Millisecond, Token: "t", Claims: map[string]any{key: "v"}}},
			VersionCount: 1, Error: "e"},
		FirstTokenIssued: time.Millisecond,
		FirstError:       time.Millisecond,
		Client: engine.ClientObservation{
			Command: "c", Args: []string{"a"}, Started: true, StartError: "e", Exited: true,
			ExitCode: 1, Signal: "s", HungIn: "h", Duration: time.Millisecond, ExitAt: time.Millisecond,
			ExitAfterError: time.Millisecond, Stdout: "o", Stderr: "e", StdoutBytes: 1, StderrBytes: 1,
		},
	}
}

// dpopSample is a DPoP proof with every field set.
var dpopSample = record.DPoPProof{Present: true, Headers: 1, Valid: true, Error: "e", Typ: "dpop+jwt", Alg: "ES256",
	JKT: "j", JTI: "i", HTM: "POST", HTU: "u", IAT: 1, Nonce: "n", ATH: "a", ATHValid: true, TokenJKT: "j", Bound: true, Replayed: true}

// staticObservations are the placeholders check expressions are checked
// against: known objects and one-element lists whose leaves are unknown
// values of their run-time types, and unknown values where any key goes.
var staticObservations = sync.OnceValue(func() map[string]cty.Value {
	a, errA := observationVariables(schemaSample("k1"))
	b, errB := observationVariables(schemaSample("k2"))
	out := map[string]cty.Value{}
	for _, n := range ObservationVariables {
		if errA != nil || errB != nil {
			out[n] = cty.DynamicVal
			continue
		}
		out[n] = placeholderOf(a[n], b[n])
	}
	return out
})

// placeholderOf derives the placeholder of a run-time value from two
// samples of it.
func placeholderOf(a, b cty.Value) cty.Value {
	if a == cty.NilVal || b == cty.NilVal || a.IsNull() || b.IsNull() || !a.IsKnown() || !b.IsKnown() {
		return cty.DynamicVal
	}
	ta, tb := a.Type(), b.Type()
	switch {
	case ta.IsObjectType() && tb.IsObjectType():
		am, bm := ta.AttributeTypes(), tb.AttributeTypes()
		if len(am) != len(bm) {
			return cty.DynamicVal
		}
		attrs := map[string]cty.Value{}
		for k := range am {
			if _, ok := bm[k]; !ok {
				return cty.DynamicVal // keys of a map: any key goes
			}
			attrs[k] = placeholderOf(a.GetAttr(k), b.GetAttr(k))
		}
		return cty.ObjectVal(attrs)
	case (ta.IsTupleType() || ta.IsListType()) && (tb.IsTupleType() || tb.IsListType()):
		if a.LengthInt() == 0 || b.LengthInt() == 0 {
			return cty.DynamicVal
		}
		return cty.ListVal([]cty.Value{placeholderOf(a.Index(cty.NumberIntVal(0)), b.Index(cty.NumberIntVal(0)))})
	case ta.IsPrimitiveType() && ta.Equals(tb):
		return cty.UnknownVal(ta)
	}
	return cty.DynamicVal
}

// ObservationShape describes the fields of every observation variable as
// check expressions see them, one "path: type" line each (lists as
// name[]), for documentation and tests.
func ObservationShape() []string {
	var out []string
	var walk func(path string, v cty.Value)
	walk = func(path string, v cty.Value) {
		switch {
		case v.Type() == cty.DynamicPseudoType:
			out = append(out, path+": any")
		case v.Type().IsObjectType():
			for k := range v.Type().AttributeTypes() {
				walk(path+"."+k, v.GetAttr(k))
			}
		case v.Type().IsListType():
			walk(path+"[]", v.Index(cty.NumberIntVal(0)))
		default:
			out = append(out, path+": "+v.Type().FriendlyName())
		}
	}
	for n, v := range staticObservations() {
		walk(n, v)
	}
	sort.Strings(out)
	return out
}

// checkCheck checks a check's locals, condition and error message against
// the static observations, memoized like checkLate. obsCtx holds the
// static observations; dynCtx the same with every observation unknown of
// any type, which confirms errors that may come from the placeholders'
// one-element lists (an index past the first element).
func (cm caseMemo) checkCheck(d *CheckDef, obsCtx, dynCtx *hcl.EvalContext) hcl.Diagnostics {
	exprs := []hcl.Expression{d.Condition, d.ErrorMessage}
	for _, a := range d.Locals {
		exprs = append(exprs, a.Expr)
	}
	return cm.memoized(d.Condition, "check", exprs, func() hcl.Diagnostics {
		return checkCheck(d, obsCtx, dynCtx)
	})
}

func checkCheck(d *CheckDef, obsCtx, dynCtx *hcl.EvalContext) hcl.Diagnostics {
	type part struct {
		expr     hcl.Expression
		want     string
		ty       cty.Type
		ofLocals bool
	}
	ctx, diags := checkLocalsContext(d, obsCtx)
	parts := []part{{expr: d.Condition, want: "a bool", ty: cty.Bool}}
	if d.ErrorMessage != nil {
		parts = append(parts, part{expr: d.ErrorMessage, want: "a string", ty: cty.String})
	}
	var results []cty.Value
	for _, p := range parts {
		v, ds := p.expr.Value(ctx)
		diags = append(diags, suggestFunctions(ds, ctx)...)
		results = append(results, v)
	}
	if !diags.HasErrors() {
		// The precise shapes give the types: a condition that cannot be
		// a bool is an error even though its value is not known yet.
		for i, p := range parts {
			if ds := wrongType(p.expr, results[i], p.want, p.ty, ctx); ds != nil {
				diags = append(diags, ds)
			}
		}
		return suggestAttributes(diags)
	}
	// Errors against the precise shapes are kept when they name a field
	// that is not there; the others only when the shapeless check finds
	// them too, since a one-element list can fail where the real one
	// would not.
	dctx, dynDiags := checkLocalsContext(d, dynCtx)
	for _, p := range parts {
		_, ds := p.expr.Value(dctx)
		dynDiags = append(dynDiags, suggestFunctions(ds, dctx)...)
	}
	diags = suggestAttributes(diags)
	var out hcl.Diagnostics
	for _, dg := range diags {
		if dg.Severity != hcl.DiagError || dg.Summary == "Unsupported attribute" || hasDiag(dynDiags, dg) {
			out = append(out, dg)
		}
	}
	for _, dg := range dynDiags {
		if !hasDiag(out, dg) {
			out = append(out, dg)
		}
	}
	return out
}

func hasDiag(diags hcl.Diagnostics, d *hcl.Diagnostic) bool {
	for _, e := range diags {
		if e.Summary == d.Summary && e.Detail == d.Detail && rangeEq(e.Subject, d.Subject) {
			return true
		}
	}
	return false
}

func rangeEq(a, b *hcl.Range) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// wrongType reports a value whose type cannot convert to ty, known or not.
func wrongType(expr hcl.Expression, v cty.Value, want string, ty cty.Type, ctx *hcl.EvalContext) *hcl.Diagnostic {
	t := v.Type()
	if v.IsNull() || t == cty.DynamicPseudoType {
		return nil
	}
	probe := v
	if !v.IsWhollyKnown() {
		probe = cty.UnknownVal(t)
	}
	if _, err := convert.Convert(probe, ty); err == nil {
		return nil
	}
	got := t.FriendlyName()
	if strings.HasPrefix(got, "object") {
		got = "an object"
	}
	return &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Incorrect value type",
		Detail:      fmt.Sprintf("This expression must produce %s; it produces %s.", want, got),
		Subject:     expr.Range().Ptr(),
		Expression:  expr,
		EvalContext: ctx,
	}
}
