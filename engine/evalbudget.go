package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"
)

// Budgets of one check evaluation.
const (
	// DefaultCheckTimeout bounds the time one check's condition may take.
	DefaultCheckTimeout = 10 * time.Second
	// DefaultCheckMemory bounds how much the heap may grow while one check's
	// condition is evaluated.
	DefaultCheckMemory = 1 << 30
	// stopGrace is how long an evaluation that was told to stop gets to
	// return before it is abandoned.
	stopGrace = time.Second
	// heapPoll is how often the heap is measured during an evaluation.
	heapPoll = 5 * time.Millisecond
)

// ContextEvaluator is an Evaluator that stops early when ctx is done: it
// checks ctx between the steps it can (the DSL's evaluator checks it at
// every function call), and returns an Outcome whose Err wraps
// context.Cause(ctx).
type ContextEvaluator interface {
	Evaluator
	EvaluateContext(ctx context.Context, obs *Observations) Outcome
}

// Causes given to the context of an evaluation that must stop.
var (
	// ErrCheckTimeout: the condition ran past its time budget.
	ErrCheckTimeout = errors.New("the condition ran past its time budget")
	// ErrCheckMemory: the heap grew past the memory budget while the
	// condition ran.
	ErrCheckMemory = errors.New("the condition took more memory than its budget")
	// errRunInterrupted: the run was interrupted.
	errRunInterrupted = errors.New("the run was interrupted")
)

// evalMu lets one check evaluation run at a time in the process, so that
// the heap growth measured during an evaluation is that evaluation's.
// Evaluations take microseconds; the cases' clients and servers run on
// meanwhile.
var evalMu sync.Mutex

// evalVerdict is how an evaluation ended.
type evalVerdict int

const (
	evalDone        evalVerdict = iota // returned on its own
	evalStopped                        // over a budget, told to stop, stopped
	evalInterrupted                    // the run was interrupted
	evalRunaway                        // over a budget and would not stop: abandoned
)

// budgetedEval evaluates ch under the time and memory budgets of opts,
// honouring ctx: when ctx is done the evaluation is told to stop and this
// returns within stopGrace. An evaluation over a budget is told to stop
// too; if it does not within stopGrace (an expression that calls no
// function between the steps that allocate), it is abandoned: its goroutine
// goes on, but its check gets a diagnostic and the caller learns it is a
// runaway.
func budgetedEval(ctx context.Context, ch *Check, obs *Observations, opts Options) (Outcome, evalVerdict) {
	limit := opts.CheckTimeout
	if limit <= 0 {
		limit = DefaultCheckTimeout
	}
	memLimit := opts.CheckMemory
	if memLimit <= 0 {
		memLimit = DefaultCheckMemory
	}
	if ctx.Err() != nil {
		return Outcome{Err: errRunInterrupted}, evalInterrupted
	}
	evalMu.Lock()
	defer evalMu.Unlock()

	ectx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	done := make(chan Outcome, 1)
	go func() { done <- safeEvalContext(ectx, ch.Eval, obs) }()

	timer := time.NewTimer(limit)
	defer timer.Stop()
	tick := time.NewTicker(heapPoll)
	defer tick.Stop()
	heap := newHeapGauge()
	base := heap.read()
	var cause error
	for cause == nil {
		select {
		case o := <-done:
			return o, evalDone
		case <-ctx.Done():
			cause = errRunInterrupted
		case <-timer.C:
			cause = fmt.Errorf("%w (%s)", ErrCheckTimeout, limit)
		case <-tick.C:
			if grown := heap.read() - base; grown > memLimit {
				cause = fmt.Errorf("%w (the heap grew by %d MiB, the budget is %d MiB)", ErrCheckMemory, grown>>20, memLimit>>20)
			}
		}
	}
	stop(cause)
	verdict := evalStopped
	if errors.Is(cause, errRunInterrupted) {
		verdict = evalInterrupted
	}
	select {
	case <-done:
		return Outcome{Err: cause}, verdict
	case <-time.After(stopGrace):
		if verdict == evalInterrupted {
			return Outcome{Err: cause}, verdict
		}
		return Outcome{Err: fmt.Errorf("%w; it did not stop when told to and was abandoned", cause)}, evalRunaway
	}
}

// safeEvalContext evaluates e, with ctx when it can stop early, and turns a
// panic into an error.
func safeEvalContext(ctx context.Context, e Evaluator, obs *Observations) (o Outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = Outcome{Err: fmt.Errorf("evaluation panicked: %v", p)}
		}
	}()
	if ce, ok := e.(ContextEvaluator); ok {
		return ce.EvaluateContext(ctx, obs)
	}
	return e.Evaluate(obs)
}

// heapGauge reads the bytes of live and not yet swept heap objects.
type heapGauge struct{ s []metrics.Sample }

func newHeapGauge() *heapGauge {
	return &heapGauge{s: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

func (h *heapGauge) read() int64 {
	metrics.Read(h.s)
	if h.s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(h.s[0].Value.Uint64())
}

// judgeChecks evaluates every check under its budgets. When the run is
// interrupted, the checks not yet judged are SKIPPED as interrupted and
// interrupted is true; when an evaluation ran away, runaway names it.
func judgeChecks(ctx context.Context, checks []*Check, obs *Observations, opts Options, now func() time.Time) (out []CheckResult, interrupted bool, runaway string) {
	out = make([]CheckResult, 0, len(checks))
	for _, ch := range checks {
		r := CheckResult{
			ID: ch.ID, Name: ch.Name, Description: ch.Description, Level: ch.Level,
			SpecReferences: ch.SpecReferences, Condition: ch.Eval.String(), Location: ch.Location,
		}
		var o Outcome
		verdict := evalInterrupted
		if !interrupted {
			o, verdict = budgetedEval(ctx, ch, obs, opts)
		}
		r.Values = o.Values
		switch {
		case verdict == evalInterrupted:
			interrupted = true
			r.Status = StatusSkipped
			r.ErrorMessage = InterruptedMessage
			r.Values = nil
		case verdict == evalRunaway:
			if runaway == "" {
				runaway = fmt.Sprintf("check %s (%s): %v", ch.ID, ch.Location, o.Err)
			}
			fallthrough
		case o.Err != nil:
			r.Status = StatusFailure
			r.ErrorMessage = "condition could not be evaluated: " + o.Err.Error()
		case o.Pass:
			r.Status = StatusSuccess
		default:
			r.Status = StatusFor(ch.Level)
			r.ErrorMessage = o.Message
			if r.ErrorMessage == "" {
				r.ErrorMessage = "condition was false: " + ch.Eval.String()
			}
		}
		r.Timestamp = now()
		out = append(out, r)
	}
	return out, interrupted, runaway
}
