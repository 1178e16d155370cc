package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
)

// ctxCheck is a check whose evaluator sees the evaluation's context.
type ctxCheck struct {
	fn func(ctx context.Context) engine.Outcome
}

func (c ctxCheck) Evaluate(*engine.Observations) engine.Outcome { return c.fn(context.Background()) }
func (c ctxCheck) EvaluateContext(ctx context.Context, _ *engine.Observations) engine.Outcome {
	return c.fn(ctx)
}
func (ctxCheck) String() string { return "slow" }

// slowUntil evaluates for up to ten minutes, unless ctx ends first.
func slowUntil(ctx context.Context) engine.Outcome {
	select {
	case <-ctx.Done():
		return engine.Outcome{Err: context.Cause(ctx)}
	case <-time.After(10 * time.Minute):
		return engine.Outcome{Pass: true}
	}
}

// TestSlowCheckHonoursInterrupt: an interrupt that arrives while a check's
// condition is evaluated ends the case (not ten minutes later); the check
// is SKIPPED as interrupted and the case is marked so.
func TestSlowCheckHonoursInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	c := handCase(
		check("quick", engine.MUST, func(*engine.Observations) bool { return true }),
		&engine.Check{ID: "slow", Level: engine.MUST, Eval: ctxCheck{fn: func(ctx context.Context) engine.Outcome {
			close(started)
			return slowUntil(ctx)
		}}},
		check("after", engine.MUST, func(*engine.Observations) bool { return true }),
	)
	go func() { <-started; cancel() }()
	done := make(chan *engine.CaseResult)
	go func() { done <- engine.RunCase(ctx, c, engine.Options{Command: "true"}) }()
	var cr *engine.CaseResult
	select {
	case cr = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the case did not end after the interrupt")
	}
	got := statuses(cr)
	if !cr.Interrupted || got["quick"] != engine.StatusSuccess || got["slow"] != engine.StatusSkipped || got["after"] != engine.StatusSkipped {
		t.Errorf("interrupted %v, statuses %v", cr.Interrupted, got)
	}
}

// TestCheckBudgets: a condition over its time budget, or one that makes the
// heap grow past its memory budget, fails with a diagnostic naming the
// budget; the other checks of the case are judged as usual.
func TestCheckBudgets(t *testing.T) {
	var sink atomic.Pointer[[][]byte]
	hog := func(ctx context.Context) engine.Outcome {
		var held [][]byte
		for ctx.Err() == nil {
			held = append(held, make([]byte, 1<<20))
			sink.Store(&held)
		}
		return engine.Outcome{Err: context.Cause(ctx)}
	}
	c := handCase(
		&engine.Check{ID: "slow", Level: engine.MUST, Eval: ctxCheck{fn: slowUntil}},
		&engine.Check{ID: "hog", Level: engine.MUST, Eval: ctxCheck{fn: hog}},
		check("fine", engine.MUST, func(*engine.Observations) bool { return true }),
	)
	cr := engine.RunCase(context.Background(), c, engine.Options{
		Command: "true", CheckTimeout: 200 * time.Millisecond, CheckMemory: 64 << 20,
	})
	sink.Store(nil)
	got := map[string]engine.CheckResult{}
	for _, ch := range cr.Checks {
		got[ch.ID] = ch
	}
	if r := got["slow"]; r.Status != engine.StatusFailure || !strings.Contains(r.ErrorMessage, engine.ErrCheckTimeout.Error()) {
		t.Errorf("slow: %s %q", r.Status, r.ErrorMessage)
	}
	if r := got["hog"]; r.Status != engine.StatusFailure || !strings.Contains(r.ErrorMessage, engine.ErrCheckMemory.Error()) {
		t.Errorf("hog: %s %q", r.Status, r.ErrorMessage)
	}
	if got["fine"].Status != engine.StatusSuccess || cr.Interrupted {
		t.Errorf("fine: %s, interrupted %v", got["fine"].Status, cr.Interrupted)
	}
}

// TestRunawayCheckStopsTheRun: a condition over its budget that does not
// stop when told to is abandoned; its check fails with a diagnostic, the
// checks after it in the case are still judged, the run stops itself
// (Aborted names the check), and nothing crashes.
func TestRunawayCheckStopsTheRun(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stubborn := ctxCheck{fn: func(context.Context) engine.Outcome {
		<-release // ignores its context
		return engine.Outcome{Pass: true}
	}}
	plan := &engine.Plan{Scenarios: []*engine.Scenario{{Name: "hand", Cases: []*engine.Case{
		handCase(
			check("before", engine.MUST, func(*engine.Observations) bool { return true }),
			&engine.Check{ID: "stubborn", Level: engine.MUST, Location: "x.hcl:3", Eval: stubborn},
			check("after", engine.MUST, func(*engine.Observations) bool { return false }),
		),
	}}}}
	res, err := engine.Run(context.Background(), plan, engine.Options{Command: "true", CheckTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Aborted, "stubborn") || res.OK() {
		t.Errorf("aborted %q ok %v", res.Aborted, res.OK())
	}
	got := statuses(res.Cases[0])
	if got["before"] != engine.StatusSuccess || got["after"] != engine.StatusFailure {
		t.Errorf("statuses %v, want before SUCCESS and after FAILURE", got)
	}
	ch := res.Cases[0].Checks[1]
	if ch.Status != engine.StatusFailure || !strings.Contains(ch.ErrorMessage, "abandoned") {
		t.Errorf("%s %q", ch.Status, ch.ErrorMessage)
	}
}
