package e2e_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/refclient"
	"github.com/wifdsl/wifdsl/internal/soak"
	"github.com/wifdsl/wifdsl/internal/testclient"
	"github.com/wifdsl/wifdsl/report"
)

// How many times TestDeterministicVerdicts runs the built-in suite against
// each client in parallel. By default the conformant client runs 3 times
// besides a sequential reference run, and each broken variant once, all
// at once: every verdict is judged under load. With WIFDSL_SOAK=1 (see
// package soak) every client runs 20 times besides its own sequential run.
var (
	determinismRuns        = soak.Runs(3, 20)
	determinismVariantRuns = soak.Runs(1, 20)
)

// sequentialReference reports whether TestDeterministicVerdicts runs the
// suite one case at a time for bug, as the reference its parallel runs
// must equal.
func sequentialReference(bug string) bool { return bug == "" || soak.Enabled() }

// hostileButJudged are hostile variants cheap enough to run 20 times, and
// what they trip: crash dies by SIGKILL after surfacing the error, fork
// leaves a child in its group and then behaves. hammer has its own test
// below; the others (hang-start, flood) are covered one at a time by
// engine/hostile_test.go.
var hostileButJudged = map[string]tripped{
	"crash": {},
	"fork":  {},
}

// verdict is one case's outcome in a comparable form: the harness error,
// then each check's id and status in check order.
func verdict(c *engine.CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s", c.Scenario, c.Case)
	if c.Error != "" {
		fmt.Fprintf(&b, " error=%q", c.Error)
	}
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, " %s=%s", ch.ID, ch.Status)
	}
	return b.String()
}

// clientOptions runs the reference client (or a variant). Where the
// client's path is plain it is started directly rather than through a
// shell, which saves processes per case.
//
// The budgets leave room for a loaded machine: a verdict must not depend
// on how busy it is, and a conformant client that is starved of CPU for a
// second after its error response must not read as one that hangs.
func clientOptions(bug string) engine.Options {
	opts := engine.Options{
		Command:  testclient.Command(bug),
		Parallel: 4,
		Timeout:  15 * time.Second,
		FailFast: 3 * time.Second,
	}
	if bin := testclient.Binary(); !strings.ContainsAny(bin, " \t\n'\"\\$`|&;<>()*?[]#~=%{}!") {
		opts.Command = bin
		if bug != "" {
			opts.Command += " -bug " + bug
		}
		opts.Env = append(os.Environ(), testclient.Env()...)
	}
	return opts
}

// TestDeterministicVerdicts runs the built-in suite against the conformant
// client and every broken variant, with cases in parallel (several times
// over; see determinismRuns), and requires the same verdicts every time:
// equal to one another, to a run with one case at a time, and to the
// verdicts suiteMatrix expects.
//
// The runs of one client go through one engine.Run whose plan holds the
// suite that many times, with cases in parallel, so cases of different
// runs overlap and the same compiled cases run concurrently. Two clients
// run at once, besides the hanging variants, which mostly wait for their
// budgets and get more workers.
func TestDeterministicVerdicts(t *testing.T) {
	t.Parallel()
	expected := map[string]tripped{}
	for b, tr := range suiteMatrix {
		expected[b] = tr
	}
	for b, tr := range hostileButJudged {
		expected[b] = tr
	}
	var bugs []string
	for b := range expected {
		bugs = append(bugs, b)
	}
	sort.Strings(bugs)
	waits := func(bug string) bool { return strings.HasPrefix(bug, "hang") }

	type outcome struct {
		runs     int
		seq, par *engine.Result
		err      error
	}
	outcomes := make(map[string]*outcome, len(bugs))
	plans := make(map[string][2]*engine.Plan, len(bugs))
	for _, bug := range bugs {
		o := &outcome{runs: determinismRuns}
		if bug != "" {
			o.runs = determinismVariantRuns
		}
		outcomes[bug] = o
		once, many := builtinPlan(t), &engine.Plan{}
		for range o.runs {
			many.Scenarios = append(many.Scenarios, once.Scenarios...)
		}
		plans[bug] = [2]*engine.Plan{once, many}
	}
	start := time.Now()
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, bug := range bugs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !waits(bug) {
				sem <- struct{}{}
				defer func() { <-sem }()
			}
			o := outcomes[bug]
			opts := clientOptions(bug)
			if waits(bug) {
				opts.Parallel = 16
			}
			// The reference, one case at a time, beside the parallel runs.
			var seqErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				if !sequentialReference(bug) {
					return
				}
				so := opts
				so.Parallel = 1
				o.seq, seqErr = engine.Run(context.Background(), plans[bug][0], so)
			}()
			o.par, o.err = engine.Run(context.Background(), plans[bug][1], opts)
			<-done
			if o.err == nil {
				o.err = seqErr
			}
			if o.err == nil && o.seq == nil {
				// Without a sequential run, the first parallel run is the
				// reference of the others and of the expected verdicts.
				o.seq = &engine.Result{Cases: o.par.Cases[:len(plans[bug][0].Cases())]}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d clients, %d suite runs, in %v", len(bugs), func() (n int) {
		for b, o := range outcomes {
			n += o.runs
			if sequentialReference(b) {
				n++
			}
		}
		return n
	}(), time.Since(start).Round(time.Millisecond))

	suiteLen := len(plans[""][0].Cases())
	for _, bug := range bugs {
		t.Run("bug="+bug, func(t *testing.T) {
			o := outcomes[bug]
			if o.err != nil {
				t.Fatal(o.err)
			}
			if len(o.par.Cases) != o.runs*suiteLen || len(o.seq.Cases) != suiteLen {
				t.Fatalf("%d and %d case results, want %d and %d", len(o.par.Cases), len(o.seq.Cases), o.runs*suiteLen, suiteLen)
			}
			want := make([]string, suiteLen)
			for i, c := range o.seq.Cases {
				want[i] = verdict(c)
			}
			for r := range o.runs {
				for i := range suiteLen {
					c := o.par.Cases[r*suiteLen+i]
					if got := verdict(c); got != want[i] {
						t.Errorf("run %d differs from the reference run:\n got  %s\n want %s", r+1, got, want[i])
						for _, e := range report.Timeline(c.Observations) {
							t.Logf("  %v %s", e.At, e.Text)
						}
					}
				}
			}
			// And the verdicts are the expected ones.
			got := tripped{}
			for _, c := range o.seq.Cases {
				for _, ch := range c.Checks {
					if ch.Status != engine.StatusSuccess {
						got[c.Case] = append(got[c.Case], ch.ID)
					}
				}
			}
			for _, c := range allCases {
				if g, w := sorted(got[c]), sorted(expected[bug][c]); strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("case %s: tripped %v, want %v", c, g, w)
				}
			}
		})
	}
}

// TestHammerVerdictsRepeat runs the hammer variant, which sends token
// requests without end, on the rejection cases twice (20 times with
// WIFDSL_SOAK=1), with cases in parallel: the retry budget ends it after
// 100 further error responses whatever the machine's speed, so the
// verdicts are the same every time.
// (Its happy path, 10,000 accepted requests, is judged by
// engine/hostile_test.go.)
func TestHammerVerdictsRepeat(t *testing.T) {
	t.Parallel()
	once := builtinPlan(t)
	rejections := &engine.Plan{}
	for _, sc := range once.Scenarios {
		ns := *sc
		ns.Cases = nil
		for _, c := range sc.Cases {
			if slices.Contains(rejectionCases, c.Name) {
				ns.Cases = append(ns.Cases, c)
			}
		}
		rejections.Scenarios = append(rejections.Scenarios, &ns)
	}
	runs := soak.Runs(2, 20)
	many := &engine.Plan{}
	for range runs {
		many.Scenarios = append(many.Scenarios, rejections.Scenarios...)
	}
	opts := clientOptions("hammer")
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	opts.Env = append(opts.Env, fmt.Sprintf("%s=%d", refclient.EnvHammerCount, soak.Runs(2000, 10000)))
	res, err := engine.Run(context.Background(), many, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := onCases(rejectionCases, "wif-no-retry", "wif-fails-fast", "wif-error-surfaced").
		plus(tripped{"rejected-scope": {"wif-scope-error-distinct"}})
	n := len(rejections.Cases())
	if len(res.Cases) != runs*n {
		t.Fatalf("%d case results, want %d", len(res.Cases), runs*n)
	}
	for i, c := range res.Cases {
		var got []string
		for _, ch := range c.Checks {
			if ch.Status != engine.StatusSuccess {
				got = append(got, ch.ID)
			}
		}
		if g, w := sorted(got), sorted(want[c.Case]); strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("run %d, case %s: tripped %v, want %v", i/n+1, c.Case, g, w)
		}
	}
}
