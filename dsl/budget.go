package dsl

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Budgets of one check evaluation, counted over the results of every
// function call it makes. They stop an expression that builds something
// huge through function calls (range(64000000), a range in a for
// expression over a range, setproduct of large lists) long before the
// memory runs out; the engine's time and heap budgets are the net under
// everything else.
const (
	// MaxEvalElements bounds the collection elements that the function
	// calls of one evaluation return, all calls together.
	MaxEvalElements = 1_000_000
	// MaxEvalStringBytes bounds the string bytes they return.
	MaxEvalStringBytes = 256 << 20
	// maxFormatWidth bounds a width or precision in a format string.
	maxFormatWidth = 1 << 20
)

// evalBudget is what one evaluation may still spend, and why it must stop.
type evalBudget struct {
	ctx      context.Context
	elements atomic.Int64
	bytes    atomic.Int64
}

func newEvalBudget(ctx context.Context) *evalBudget {
	b := &evalBudget{ctx: ctx}
	b.elements.Store(MaxEvalElements)
	b.bytes.Store(MaxEvalStringBytes)
	return b
}

// stop returns why the evaluation must stop, or nil.
func (b *evalBudget) stop() error {
	if b.ctx.Err() != nil {
		return fmt.Errorf("evaluation stopped: %w", context.Cause(b.ctx))
	}
	if b.elements.Load() < 0 {
		return fmt.Errorf("evaluation stopped: its function calls returned more than %d collection elements in all", MaxEvalElements)
	}
	if b.bytes.Load() < 0 {
		return fmt.Errorf("evaluation stopped: its function calls returned more than %d MiB of strings in all", MaxEvalStringBytes>>20)
	}
	return nil
}

// spend counts a function's result against the budget.
func (b *evalBudget) spend(v cty.Value) error {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		b.bytes.Add(-int64(len(v.AsString())))
	case ty.IsListType() || ty.IsSetType() || ty.IsMapType() || ty.IsTupleType():
		b.elements.Add(-int64(v.LengthInt()))
	}
	return b.stop()
}

// precheck refuses a call whose result alone would be over the budget,
// before it is built.
func (b *evalBudget) precheck(name string, args []cty.Value) error {
	switch name {
	case "range":
		if n, ok := rangeLength(args); ok && n > MaxEvalElements {
			return fmt.Errorf("range would have %.0f elements, more than the %d an evaluation may build", n, MaxEvalElements)
		}
	case "setproduct":
		n := 1.0
		for _, a := range args {
			if a.IsKnown() && !a.IsNull() && a.CanIterateElements() {
				n *= float64(a.LengthInt())
			}
		}
		if n > MaxEvalElements {
			return fmt.Errorf("setproduct would have %.0f elements, more than the %d an evaluation may build", n, MaxEvalElements)
		}
	case "format", "formatlist":
		if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.String {
			for _, m := range formatWidth.FindAllStringSubmatch(args[0].AsString(), -1) {
				if w, err := strconv.Atoi(m[1]); err != nil || w > maxFormatWidth {
					return fmt.Errorf("%s: a width or precision of %s is more than the %d allowed", name, m[1], maxFormatWidth)
				}
			}
		}
	case "indent":
		if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.Number {
			if f, _ := args[0].AsBigFloat().Float64(); f > maxFormatWidth {
				return fmt.Errorf("indent: %.0f spaces are more than the %d allowed", f, maxFormatWidth)
			}
		}
	}
	return nil
}

// formatWidth finds the widths and precisions of a format string's verbs.
var formatWidth = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?(\d{4,})`)

// rangeLength is how many elements range(args…) returns.
func rangeLength(args []cty.Value) (float64, bool) {
	nums := make([]float64, 0, 3)
	for _, a := range args {
		if !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
			return 0, false
		}
		f, _ := a.AsBigFloat().Float64()
		nums = append(nums, f)
	}
	start, end, step := 0.0, 0.0, 1.0
	switch len(nums) {
	case 1:
		end = nums[0]
	case 2:
		start, end = nums[0], nums[1]
		if end < start {
			step = -1
		}
	case 3:
		start, end, step = nums[0], nums[1], nums[2]
	default:
		return 0, false
	}
	if step == 0 {
		return 0, false
	}
	n := math.Ceil((end - start) / step)
	if n < 0 || math.IsNaN(n) {
		return 0, true
	}
	return n, true
}

// unguarded are the functions left as they are: try and can take their
// arguments as expressions, and the calls inside them are guarded anyway.
var unguarded = map[string]bool{"try": true, "can": true}

// guardSet holds the functions of a configuration guarded by a budget:
// each checks the budget before it calls the function and counts what the
// call returns. The budget is the set's, bound to one evaluation at a
// time, so that the wrappers are made once rather than for every
// evaluation (see guardPool).
type guardSet struct {
	funcs map[string]function.Function
	b     *evalBudget
}

// context returns a child of ctx whose functions are the set's.
func (gs *guardSet) context(ctx *hcl.EvalContext) *hcl.EvalContext {
	child := ctx.NewChild()
	child.Functions = gs.funcs
	return child
}

// cover adds to the set the functions names (the functions that an
// expression calls), or every function in scope of ctx when names is nil
// (the calls could not be listed), each looked up where it is nearest.
func (gs *guardSet) cover(ctx *hcl.EvalContext, names []string) {
	if names == nil {
		for n, f := range functionsOf(ctx) {
			if _, ok := gs.funcs[n]; !ok && !unguarded[n] {
				gs.funcs[n] = guardFunc(n, f, gs)
			}
		}
		return
	}
	for _, n := range names {
		if _, ok := gs.funcs[n]; ok || unguarded[n] {
			continue
		}
		if f, ok := functionNamed(ctx, n); ok {
			gs.funcs[n] = guardFunc(n, f, gs)
		}
	}
}

// guardPool keeps the guard sets of one configuration's evaluations, whose
// contexts all see the configuration's functions. An evaluation takes a
// set and puts it back once it has returned: an evaluation that was told
// to stop but runs on keeps its set, and with it its own budget.
type guardPool struct {
	mu   sync.Mutex
	free []*guardSet
}

// take returns a set that guards at least the functions names (see
// guardSet.cover), bound to b.
func (p *guardPool) take(ctx *hcl.EvalContext, b *evalBudget, names []string) *guardSet {
	var gs *guardSet
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		gs, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if gs == nil {
		gs = &guardSet{funcs: map[string]function.Function{}}
	}
	gs.b = b
	gs.cover(ctx, names)
	return gs
}

// put gives back a set whose evaluation has returned.
func (p *guardPool) put(gs *guardSet) {
	gs.b = nil
	p.mu.Lock()
	p.free = append(p.free, gs)
	p.mu.Unlock()
}

// functionNamed finds the function name nearest to ctx.
func functionNamed(ctx *hcl.EvalContext, name string) (function.Function, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if f, ok := c.Functions[name]; ok {
			return f, true
		}
	}
	return function.Function{}, false
}

// functionsOf collects the functions visible from ctx, nearest first.
func functionsOf(ctx *hcl.EvalContext) map[string]function.Function {
	out := map[string]function.Function{}
	for c := ctx; c != nil; c = c.Parent() {
		for n, f := range c.Functions {
			if _, seen := out[n]; !seen {
				out[n] = f
			}
		}
	}
	return out
}

// guardFunc wraps f to check the budget of gs's evaluation before each
// call and count what the call returns.
func guardFunc(name string, f function.Function, gs *guardSet) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			b := gs.b
			if err := b.stop(); err != nil {
				return cty.UnknownVal(retType), err
			}
			if err := b.precheck(name, args); err != nil {
				return cty.UnknownVal(retType), err
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if err := b.spend(v); err != nil {
				return cty.UnknownVal(retType), err
			}
			return v, nil
		},
	})
}

// checkFunctions lists the functions that exprs call, or nil when one of
// them is not native syntax (JSON) and the calls cannot be listed.
func checkFunctions(exprs ...hcl.Expression) []string {
	seen := map[string]bool{}
	names := []string{}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		se, ok := e.(hclsyntax.Expression)
		if !ok {
			return nil
		}
		_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
			if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && !seen[fc.Name] {
				seen[fc.Name] = true
				names = append(names, fc.Name)
			}
			return nil
		})
	}
	return names
}

// calledOnce caches checkFunctions per check definition, which the cases
// that share it share.
type calledOnce struct {
	once  sync.Once
	names []string
}

// calledFunctions lists the functions the check's condition and message
// call (checkFunctions), once for all the cases that share the check.
func (d *CheckDef) calledFunctions() []string {
	d.calls.once.Do(func() { d.calls.names = checkFunctions(d.Condition, d.ErrorMessage) })
	return d.calls.names
}
