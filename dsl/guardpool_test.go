package dsl

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// A guard set is bound to one evaluation's budget at a time: a set still
// held (an evaluation told to stop that runs on) keeps its own budget, the
// next evaluation gets another set, and a set put back serves again under
// a new budget.
func TestGuardPoolBindsOneBudgetPerSet(t *testing.T) {
	scope := &hcl.EvalContext{Functions: map[string]function.Function{"upper": stdlib.UpperFunc}}
	expr, diags := hclsyntax.ParseExpression([]byte(`upper("a")`), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	call := func(gs *guardSet) error {
		_, diags := expr.Value(gs.context(scope))
		if diags.HasErrors() {
			return diags
		}
		return nil
	}
	var p guardPool
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	held := p.take(scope, newEvalBudget(stopped), []string{"upper"})
	if err := call(held); err == nil || !strings.Contains(err.Error(), "evaluation stopped") {
		t.Fatalf("a call under a stopped budget: %v", err)
	}
	next := p.take(scope, newEvalBudget(context.Background()), []string{"upper"})
	if next == held {
		t.Fatal("a set still held was handed out again")
	}
	if err := call(next); err != nil {
		t.Fatalf("a call under a fresh budget: %v", err)
	}
	if err := call(held); err == nil {
		t.Error("the held set took the next evaluation's budget")
	}
	p.put(next)
	again := p.take(scope, newEvalBudget(context.Background()), nil)
	if again != next {
		t.Error("a set put back was not reused")
	}
	if err := call(again); err != nil {
		t.Errorf("a reused set under a fresh budget: %v", err)
	}
}
