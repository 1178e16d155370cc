package dsl

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// checkEval evaluates a check's condition over a case's observations.
type checkEval struct {
	cfg   *Config
	def   *CheckDef
	calls calledOnce // the functions the condition and message call
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
	e.calls.once.Do(func() { e.calls.names = checkFunctions(e.def.Condition, e.def.ErrorMessage) })
	ctx = guardedContext(ctx, newEvalBudget(c), e.calls.names)
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
	out := map[string]string{}
	for _, t := range e.def.Condition.Variables() {
		name := e.cfg.source(t.SourceRange())
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
		out[name] = renderValue(v, 64<<10)
	}
	return out
}
