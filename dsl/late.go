package dsl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// checkEval evaluates a check's condition over a case's observations.
type checkEval struct {
	cfg *Config
	def *CheckDef
}

type memoKey struct{ cfg *Config }

type memoCtx struct {
	ctx *hcl.EvalContext
	err error
}

func (e *checkEval) context(obs *engine.Observations) (*hcl.EvalContext, error) {
	m := obs.Memo(memoKey{e.cfg}, func() any {
		vars, err := observationVariables(obs)
		if err != nil {
			return memoCtx{err: err}
		}
		ctx := e.cfg.ctx.NewChild()
		ctx.Variables = vars
		return memoCtx{ctx: ctx}
	}).(memoCtx)
	return m.ctx, m.err
}

func (e *checkEval) String() string { return e.cfg.source(e.def.Condition.Range()) }

func (e *checkEval) Evaluate(obs *engine.Observations) engine.Outcome {
	return e.EvaluateContext(context.Background(), obs)
}

// EvaluateContext evaluates the check under a budget (see evalBudget): it
// stops at the next function call once c is done, or once the calls have
// built too much.
func (e *checkEval) EvaluateContext(c context.Context, obs *engine.Observations) engine.Outcome {
	ctx, err := e.context(obs)
	if err != nil {
		return engine.Outcome{Err: err}
	}
	gs := e.cfg.guards.take(ctx, newEvalBudget(c), e.def.calledFunctions())
	defer e.cfg.guards.put(gs)
	ctx = gs.context(ctx)
	ctx, diags := checkLocalsContext(e.def, ctx)
	if diags.HasErrors() {
		return engine.Outcome{Err: diagsError(diags), Values: e.values(ctx)}
	}
	v, diags := e.def.Condition.Value(ctx)
	if diags.HasErrors() {
		return engine.Outcome{Err: diagsError(diags), Values: e.values(ctx)}
	}
	if v.IsNull() {
		return engine.Outcome{Err: errors.New("the condition is null"), Values: e.values(ctx)}
	}
	if !v.IsKnown() {
		return engine.Outcome{Err: errUnknown, Values: e.values(ctx)}
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return engine.Outcome{Err: fmt.Errorf("the condition must be a bool, not %s", v.Type().FriendlyName())}
	}
	if bv.True() {
		return engine.Outcome{Pass: true}
	}
	out := engine.Outcome{Values: e.values(ctx)}
	if e.def.ErrorMessage != nil {
		mv, diags := e.def.ErrorMessage.Value(ctx)
		switch {
		case diags.HasErrors():
			out.Message = "(error_message could not be evaluated: " + diagsError(diags).Error() + ")"
		case mv.IsNull() || !mv.IsKnown():
		default:
			if sv, err := convert.Convert(mv, cty.String); err == nil {
				out.Message = sv.AsString()
			}
		}
	}
	return out
}

// values renders each reference in the condition with its value, the
// way Terraform explains a failed assertion.
func (e *checkEval) values(ctx *hcl.EvalContext) map[string]string {
	return e.cfg.values(e.def.Condition, ctx, 64<<10)
}

// values renders each reference in expr with its value in ctx, each
// shortened to max bytes.
func (cfg *Config) values(expr hcl.Expression, ctx *hcl.EvalContext, max int) map[string]string {
	out := map[string]string{}
	for _, t := range expr.Variables() {
		name := cfg.source(t.SourceRange())
		if name == "" {
			continue
		}
		if _, seen := out[name]; seen {
			continue
		}
		v, diags := t.TraverseAbs(ctx)
		if diags.HasErrors() {
			out[name] = "(" + diagsError(diags).Error() + ")"
			continue
		}
		// Kept long: reporters redact secrets first, then shorten.
		out[name] = renderValue(v, max)
	}
	return out
}

// lateError is the error of a late expression that could not be
// evaluated: where it is written, why, and the values it saw.
func (cfg *Config) lateError(expr hcl.Expression, ctx *hcl.EvalContext, err error) error {
	vals := map[string]string{}
	for _, t := range expr.Variables() {
		name := cfg.source(t.SourceRange())
		v, diags := t.TraverseAbs(ctx)
		if diags.HasErrors() {
			// The reference itself is what failed: show what it reached into.
			name = t.RootName()
			v, diags = hcl.Traversal{t[0]}.TraverseAbs(ctx)
			if diags.HasErrors() {
				continue
			}
		}
		// Kept whole: reports redact secrets first, then shorten.
		vals[name] = renderValue(v, 64<<10)
	}
	if len(vals) == 0 {
		return err
	}
	var parts []string
	for _, k := range sortedKeys(vals) {
		parts = append(parts, k+" = "+vals[k])
	}
	return fmt.Errorf("%w (with %s)", err, strings.Join(parts, "; "))
}

// claimsFunc computes an assertion's claims when the case runs.
type claimsFunc struct {
	cfg     *Config
	def     *AssertionDef
	preview func() *hcl.EvalContext // built on first use: only previews need it
}

func (f *claimsFunc) Claims(env *engine.Env, now time.Time) (jwt.Claims, error) {
	ctx := f.cfg.ctx.NewChild()
	ctx.Variables = envVariables(env)
	return f.build(ctx, now)
}

func (f *claimsFunc) build(ctx *hcl.EvalContext, now time.Time) (jwt.Claims, error) {
	var c jwt.Claims
	var diags hcl.Diagnostics
	a := &f.def.Attrs
	readAttr(&diags, a.Issuer, ctx, evalString, &c.Issuer)
	readAttr(&diags, a.Subject, ctx, evalString, &c.Subject)
	readAttr(&diags, a.Audience, ctx, evalStringOrList, &c.Audience)
	// at is now plus the duration of attr, or the default when attr is
	// unset and set is true.
	at := func(attr *hcl.Attribute, def time.Duration, set bool) time.Time {
		d := def
		if attr == nil && !set {
			return time.Time{}
		}
		readAttr(&diags, attr, ctx, evalDuration, &d)
		return now.Add(d)
	}
	c.Expiry = at(a.ExpiresIn, DefaultExpiresIn, true)
	c.IssuedAt = at(a.IssuedAt, 0, true)
	c.NotBefore = at(a.NotBefore, 0, false)
	if a.JTI == nil {
		c.ID = uuid.NewString()
	} else {
		// jti = null leaves the claim out.
		readAttr(&diags, a.JTI, ctx, evalString, &c.ID)
	}
	if a.Claims != nil {
		readAttr(&diags, a.Claims, ctx, evalObject, &c.Extra)
	}
	if diags.HasErrors() {
		return c, diagsError(diags)
	}
	return c, nil
}

// Preview renders the claims as an author would read them before a run.
func (f *claimsFunc) Preview() map[string]string {
	out := map[string]string{}
	for name, a := range setAttrs(&f.def.Attrs) {
		if name == "alg" {
			continue
		}
		v, diags := a.Expr.Value(f.preview())
		switch {
		case diags.HasErrors():
			out[name] = f.cfg.source(a.Expr.Range())
		case !v.IsWhollyKnown():
			out[name] = f.cfg.source(a.Expr.Range()) + " (known at run time)"
		default:
			out[name] = renderValue(v, 200)
		}
	}
	if _, ok := out["expires_in"]; !ok {
		out["expires_in"] = fmt.Sprintf("%q (default)", DefaultExpiresIn.String())
	}
	if _, ok := out["jti"]; !ok {
		out["jti"] = "a fresh UUID (default)"
	}
	return out
}

// lazyPreview returns the context previews evaluate in (server URLs on
// placeholder ports, assertions by name), built on first use: compiling
// does not need it, and building it for every case and assertion was a
// large part of compiling big files.
func (cfg *Config) lazyPreview(servers []*engine.Server, keys []string, scenario, caseName, protocolVersion string, names []string) func() *hcl.EvalContext {
	return sync.OnceValue(func() *hcl.EvalContext {
		ctx := cfg.ctx.NewChild()
		ctx.Variables = placeholderEnvVariables(servers, keys, scenario, caseName, protocolVersion, names, false)
		return ctx
	})
}

// lateValue is a ValueFunc over an expression.
type lateValue struct {
	cfg  *Config
	expr hcl.Expression
}

func (l *lateValue) Value(env *engine.Env) (any, error) {
	ctx := l.cfg.ctx.NewChild()
	ctx.Variables = envVariables(env)
	v, diags := l.expr.Value(ctx)
	if diags.HasErrors() {
		return nil, l.cfg.lateError(l.expr, ctx, diagsError(diags))
	}
	return ctyToGo(v)
}

func (l *lateValue) String() string { return l.cfg.source(l.expr.Range()) }

// contextValue merges the scenario's and the case's context objects.
type contextValue struct {
	cfg     *Config
	exprs   []*hcl.Attribute
	preview func() *hcl.EvalContext // built on first use: only previews need it
}

// Preview renders each context key as an author would read it before a
// run: server URLs on placeholder ports, assertions by name.
func (c *contextValue) Preview() map[string]string {
	out := map[string]string{}
	for _, a := range c.exprs {
		v, diags := a.Expr.Value(c.preview())
		if diags.HasErrors() || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = renderValue(e, 200)
		}
	}
	return out
}

func (c *contextValue) Value(env *engine.Env) (any, error) {
	out := map[string]any{}
	for _, a := range c.exprs {
		v, err := (&lateValue{cfg: c.cfg, expr: a.Expr}).Value(env)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: context must be an object", a.Expr.Range())
		}
		for k, val := range m {
			out[k] = val
		}
	}
	return out, nil
}

func (c *contextValue) String() string {
	var parts []string
	for _, a := range c.exprs {
		parts = append(parts, c.cfg.source(a.Expr.Range()))
	}
	return strings.Join(parts, " + ")
}

// predicate is a reject rule's condition.
type predicate struct {
	cfg  *Config
	expr hcl.Expression
}

func (p *predicate) Match(env *engine.Env, in *record.Incoming) (bool, error) {
	ctx := p.cfg.ctx.NewChild()
	ctx.Variables = envVariables(env)
	ctx = ctx.NewChild()
	ctx.Variables = ruleVariables(in)
	v, diags := p.expr.Value(ctx)
	if diags.HasErrors() {
		return false, p.cfg.lateError(p.expr, ctx, diagsError(diags))
	}
	if v.IsNull() {
		return false, p.cfg.lateError(p.expr, ctx, fmt.Errorf("%s: the condition is null", p.expr.Range()))
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return false, p.cfg.lateError(p.expr, ctx, fmt.Errorf("%s: the condition must be a bool, not %s", p.expr.Range(), v.Type().FriendlyName()))
	}
	return bv.True(), nil
}

func (p *predicate) String() string { return p.cfg.source(p.expr.Range()) }

// diagsError turns error diagnostics into one error that names the place.
func diagsError(diags hcl.Diagnostics) error {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Detail != "" {
			s += ": " + d.Detail
		}
		if d.Subject != nil {
			s = d.Subject.String() + ": " + s
		}
		parts = append(parts, s)
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}

// replyValue computes the late headers and body of a rule's answer.
type replyValue struct {
	cfg           *Config
	headers, body *hcl.Attribute
}

func (r *replyValue) Reply(env *engine.Env, in *record.Incoming) (map[string]string, string, error) {
	ctx := r.cfg.ctx.NewChild()
	ctx.Variables = envVariables(env)
	ctx = ctx.NewChild()
	ctx.Variables = ruleVariables(in)
	var diags hcl.Diagnostics
	var headers map[string]string
	var body string
	if r.headers != nil {
		var obj map[string]any
		readAttr(&diags, r.headers, ctx, evalObject, &obj)
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return nil, "", fmt.Errorf("%s: header %s must be a string", r.headers.Expr.Range(), k)
			}
			if headers == nil {
				headers = map[string]string{}
			}
			headers[k] = s
		}
	}
	readAttr(&diags, r.body, ctx, evalString, &body)
	if diags.HasErrors() {
		return nil, "", diagsError(diags)
	}
	return headers, body, nil
}
