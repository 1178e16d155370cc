package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"
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

// evalBatch evaluates a case's checks one after another on one goroutine,
// its worker, while the caller keeps their budgets (see judgeChecks): the
// worker publishes the evaluation in progress, and the caller, woken every
// heapPoll rather than once per check, tells it to stop when it runs past
// a budget or the run is interrupted.
type evalBatch struct {
	results chan batchResult // one per check evaluated; room for all
	done    chan struct{}    // closed when the worker has returned
	cur     atomic.Pointer[evalRun]
}

// batchResult is the outcome of the check at index i of the batch.
type batchResult struct {
	i int
	o Outcome
}

// evalRun is one evaluation in progress. Its state decides, once, who ends
// it: the worker when the evaluation returns, or the caller when it tells
// it to stop.
type evalRun struct {
	i        int
	started  time.Time
	heapBase int64
	stop     context.CancelCauseFunc
	state    atomic.Int32
}

// States of an evalRun.
const (
	runRunning  int32 = iota
	runReturned       // returned on its own: the worker reports it
	runStopped        // told to stop: the caller reports it, the worker quits
)

// startBatch starts a worker that evaluates checks in order.
func startBatch(ctx context.Context, checks []*Check, obs *Observations) *evalBatch {
	b := &evalBatch{results: make(chan batchResult, len(checks)), done: make(chan struct{})}
	evalOnWorker(func() {
		defer close(b.done)
		heap := newHeapGauge()
		for i, ch := range checks {
			if ctx.Err() != nil {
				return
			}
			ectx, stop := context.WithCancelCause(ctx)
			r := &evalRun{i: i, started: time.Now(), heapBase: heap.read(), stop: stop}
			b.cur.Store(r)
			o := safeEvalContext(ectx, ch.Eval, obs)
			stop(nil)
			if !r.state.CompareAndSwap(runRunning, runReturned) {
				return // told to stop: the caller reports it
			}
			if ctx.Err() != nil {
				return // the run was interrupted meanwhile: not judged
			}
			b.results <- batchResult{i: i, o: o}
		}
	})
	return b
}

// evalJobs feeds the goroutine that evaluates the batches, one at a time
// (evalMu guards it). The goroutine is kept from case to case, so the
// stack that deep evaluations grow is grown once, not once per case.
var evalJobs chan func()

// evalOnWorker runs f on the evaluating goroutine, started on first use;
// the caller holds evalMu.
func evalOnWorker(f func()) {
	if evalJobs == nil {
		jobs := make(chan func())
		go func() {
			for f := range jobs {
				f()
			}
		}()
		evalJobs = jobs
	}
	evalJobs <- f
}

// abandonEvalWorker leaves the evaluating goroutine to an evaluation that
// did not stop: it ends once that returns, and the next batch starts
// another. The caller holds evalMu.
func abandonEvalWorker() {
	close(evalJobs)
	evalJobs = nil
}

// supervise keeps the budgets of the batch's evaluations until the worker
// has returned. When an evaluation runs past a budget, or ctx is done, it
// is told to stop; supervise then returns its index, an Outcome that says
// why, and how it ended: it waits stopGrace for the evaluation to return,
// and abandons it as a runaway if it does not (an expression that calls no
// function between the steps that allocate). When no evaluation had to be
// stopped, the index is -1.
func (b *evalBatch) supervise(ctx context.Context, limit time.Duration, memLimit int64) (stopped int, o Outcome, verdict evalVerdict) {
	tick := time.NewTicker(heapPoll)
	defer tick.Stop()
	heap := newHeapGauge()
	for {
		var cause error
		select {
		case <-b.done:
			return -1, Outcome{}, evalDone
		case <-ctx.Done():
			cause = errRunInterrupted
		case <-tick.C:
			r := b.cur.Load()
			if r == nil {
				continue
			}
			if time.Since(r.started) > limit {
				cause = fmt.Errorf("%w (%s)", ErrCheckTimeout, limit)
			} else if grown := heap.read() - r.heapBase; grown > memLimit {
				cause = fmt.Errorf("%w (the heap grew by %d MiB, the budget is %d MiB)", ErrCheckMemory, grown>>20, memLimit>>20)
			}
		}
		if cause == nil {
			continue
		}
		interrupted := errors.Is(cause, errRunInterrupted)
		r := b.cur.Load()
		if r == nil || !r.state.CompareAndSwap(runRunning, runStopped) {
			if interrupted {
				// Between two evaluations: the worker sees ctx and returns.
				<-b.done
				return -1, Outcome{}, evalDone
			}
			continue // it returned meanwhile, within its budgets
		}
		r.stop(cause)
		verdict := evalStopped
		if interrupted {
			verdict = evalInterrupted
		}
		select {
		case <-b.done:
			return r.i, Outcome{Err: cause}, verdict
		case <-time.After(stopGrace):
			if interrupted {
				return r.i, Outcome{Err: cause}, verdict
			}
			return r.i, Outcome{Err: fmt.Errorf("%w; it did not stop when told to and was abandoned", cause)}, evalRunaway
		}
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
	limit := opts.CheckTimeout
	if limit <= 0 {
		limit = DefaultCheckTimeout
	}
	memLimit := opts.CheckMemory
	if memLimit <= 0 {
		memLimit = DefaultCheckMemory
	}
	outcomes := make([]Outcome, len(checks))
	verdicts := make([]evalVerdict, len(checks))
	for i := range verdicts {
		verdicts[i] = evalInterrupted // until judged
	}
	// A batch from the first check not judged yet: a check that had to be
	// stopped ends its batch, and the next batch starts after it.
	for next := 0; next < len(checks) && ctx.Err() == nil; {
		stopped, o, verdict := judgeBatch(ctx, checks[next:], obs, limit, memLimit, outcomes[next:], verdicts[next:])
		if stopped < 0 {
			break
		}
		outcomes[next+stopped], verdicts[next+stopped] = o, verdict
		if verdict == evalInterrupted {
			break
		}
		next += stopped + 1
	}
	out = make([]CheckResult, 0, len(checks))
	for i, ch := range checks {
		r := CheckResult{
			ID: ch.ID, Name: ch.Name, Description: ch.Description, Level: ch.Level,
			SpecReferences: ch.SpecReferences, Condition: ch.Eval.String(), Location: ch.Location,
		}
		o, verdict := outcomes[i], verdicts[i]
		if interrupted {
			verdict = evalInterrupted // every check after the first interrupted one
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

// judgeBatch evaluates checks in one batch, as the only evaluation of the
// process (evalMu), and records the outcome of each that returned on its
// own. It returns what supervise says of the one it had to stop, if any.
func judgeBatch(ctx context.Context, checks []*Check, obs *Observations, limit time.Duration, memLimit int64, outcomes []Outcome, verdicts []evalVerdict) (int, Outcome, evalVerdict) {
	evalMu.Lock()
	defer evalMu.Unlock()
	b := startBatch(ctx, checks, obs)
	stopped, o, verdict := b.supervise(ctx, limit, memLimit)
	select {
	case <-b.done:
	default:
		abandonEvalWorker()
	}
	for {
		select {
		case r := <-b.results:
			outcomes[r.i], verdicts[r.i] = r.o, evalDone
			continue
		default:
		}
		return stopped, o, verdict
	}
}
