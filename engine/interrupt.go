package engine

import (
	"context"
	"errors"
	"time"
)

// InterruptedMessage is the error message of a check that was not judged
// because the run was interrupted: such a check is SKIPPED, never FAILURE,
// and its case is marked Interrupted.
const InterruptedMessage = "not judged: the run was interrupted"

// errAborted is the cause given to the run's context when an evaluation
// ran away: the run stops, and its cases still running end interrupted.
var errAborted = errors.New("the run was stopped: a check's evaluation could not be stopped")

// withAbort returns a context that Run cancels itself when an evaluation
// runs away, the function that does it, and the function that releases the
// context at the end of the run.
func withAbort(ctx context.Context) (context.Context, func(string), func()) {
	actx, cancel := context.WithCancelCause(ctx)
	return actx, func(why string) { cancel(errors.Join(errAborted, errors.New(why))) }, func() { cancel(nil) }
}

// abortedBy returns why the run was stopped by withAbort's function, or "".
func abortedBy(ctx context.Context) string {
	if err := context.Cause(ctx); err != nil && errors.Is(err, errAborted) {
		return err.Error()
	}
	return ""
}

// judge evaluates the case's checks, or, when the client was killed
// because the run was interrupted, marks every check as not judged.
func (st *runState) judge(ctx context.Context, cr *CaseResult, now func() time.Time) {
	if st.obs.Client.Interrupted {
		cr.Interrupted = true
		msg := InterruptedMessage
		if st.obs.Client.HungIn != "" {
			msg += " (the client was killed " + st.obs.Client.HungIn + ")"
		}
		for _, ch := range st.c.Checks {
			cr.Checks = append(cr.Checks, CheckResult{
				ID: ch.ID, Name: ch.Name, Description: ch.Description, Level: ch.Level,
				SpecReferences: ch.SpecReferences, Condition: ch.Eval.String(), Location: ch.Location,
				Status: StatusSkipped, ErrorMessage: msg, Timestamp: now(),
			})
		}
		return
	}
	var runaway string
	cr.Checks, cr.Interrupted, runaway = judgeChecks(ctx, st.c.Checks, st.obs, st.opts, now)
	if runaway == "" {
		// An abandoned evaluation may still read it.
		st.obs.forgetDerived()
	}
	if runaway != "" && st.opts.abort != nil {
		st.opts.abort(cr.Scenario + "/" + cr.Case + ": " + runaway)
	}
}
