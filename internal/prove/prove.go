// Package prove runs every check of a plan against the bundled conformant
// reference client and against client variants described as data, and
// tells for each check whether it is proven: the conformant client passes
// it and at least one variant trips it.
package prove

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/refclient"
)

// ConformantName names the conformant client in results.
const ConformantName = "conformant"

// Variant is one client variant to run: a name, and the JSON the
// reference client reads (refclient.Variant's fields).
type Variant struct {
	Name        string
	Description string
	// Spec is the variant as JSON; "" is the conformant client.
	Spec string
}

// Options configure a proof run.
type Options struct {
	// Command runs the bundled reference client; the variant reaches it
	// through refclient.EnvVariant.
	Command string
	// Timeout and FailFast, when positive, replace every case's budgets.
	Timeout, FailFast time.Duration
	// Parallel is how many client runs happen at once.
	Parallel int
	// Env is the base environment; nil means os.Environ().
	Env []string
}

// Result is the proof matrix.
type Result struct {
	// Checks are every check of the plan, by scenario and id, in plan
	// order.
	Checks []*Check
	// Variants are the variants with what they tripped, in the order given.
	Variants []*VariantResult
	// Runs is how many client runs the proof took.
	Runs int
	// Errors are harness errors (a case could not run); they make the
	// proof void.
	Errors []string
	// Duration is the wall time of the proof.
	Duration time.Duration
}

// Check is one check across the cases that include it.
type Check struct {
	Scenario string
	ID       string
	Name     string
	Level    engine.Level
	Cases    []string
	// ConformantFails lists "case: STATUS message" where the conformant
	// client did not succeed.
	ConformantFails []string
	// TrippedBy are the variants under which the check did not succeed in
	// some case.
	TrippedBy []string
}

// Proven reports whether the conformant client passes the check and some
// variant trips it.
func (c *Check) Proven() bool { return len(c.ConformantFails) == 0 && len(c.TrippedBy) > 0 }

// Reason says why a check is not proven, or "".
func (c *Check) Reason() string {
	switch {
	case len(c.ConformantFails) > 0:
		return "the conformant client fails it: " + strings.Join(c.ConformantFails, "; ")
	case len(c.TrippedBy) == 0:
		return "no variant trips it: add a variant block whose client breaks what it checks"
	}
	return ""
}

// Key is "scenario:id".
func (c *Check) Key() string { return c.Scenario + ":" + c.ID }

// VariantResult is what one variant tripped.
type VariantResult struct {
	Variant
	// Trips are the checks ("scenario:id") it tripped, each with the
	// cases, in plan order.
	Trips []Trip
}

// Trip is one check a variant tripped, and where.
type Trip struct {
	Scenario, Check string
	Cases           []string
}

// OK reports whether every check is proven and the harness ran every case.
func (r *Result) OK() bool {
	if len(r.Errors) > 0 {
		return false
	}
	for _, c := range r.Checks {
		if !c.Proven() {
			return false
		}
	}
	return true
}

// Unproven counts the checks that are not proven.
func (r *Result) Unproven() int {
	n := 0
	for _, c := range r.Checks {
		if !c.Proven() {
			n++
		}
	}
	return n
}

// Run runs every case of plan once with the conformant client and once
// per variant, up to opts.Parallel client runs at a time, and builds the
// matrix. A cancelled ctx stops it with the error.
func Run(ctx context.Context, plan *engine.Plan, variants []Variant, opts Options) (*Result, error) {
	start := time.Now()
	all := append([]Variant{{Name: ConformantName}}, variants...)
	cases := plan.Cases()
	base := opts.Env
	if base == nil {
		base = os.Environ()
	}
	base = slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		return strings.HasPrefix(kv, refclient.EnvVariant+"=")
	})
	type job struct{ v, c int }
	results := make([][]*engine.CaseResult, len(all))
	for i := range results {
		results[i] = make([]*engine.CaseResult, len(cases))
	}
	jobs := make(chan job)
	par := max(opts.Parallel, 1)
	var wg sync.WaitGroup
	var runErr error
	var errOnce sync.Once
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				env := base
				if s := all[j.v].Spec; s != "" {
					env = append(slices.Clone(base), refclient.EnvVariant+"="+s)
				}
				one := &engine.Plan{Scenarios: []*engine.Scenario{{Name: cases[j.c].Scenario, Cases: []*engine.Case{cases[j.c]}}}}
				res, err := engine.Run(ctx, one, engine.Options{
					Command: opts.Command, Timeout: opts.Timeout, FailFast: opts.FailFast,
					Parallel: 1, Env: env,
				})
				if err != nil {
					errOnce.Do(func() { runErr = err })
					continue
				}
				if len(res.Cases) == 1 {
					results[j.v][j.c] = res.Cases[0]
				}
			}
		}()
	}
feed:
	for v := range all {
		for c := range cases {
			select {
			case jobs <- job{v, c}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if runErr != nil {
		return nil, runErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &Result{Runs: len(all) * len(cases), Duration: time.Since(start)}
	index := map[string]*Check{}
	for _, c := range cases {
		for _, ch := range c.Checks {
			k := c.Scenario + ":" + ch.ID
			pc := index[k]
			if pc == nil {
				pc = &Check{Scenario: c.Scenario, ID: ch.ID, Name: ch.Name, Level: ch.Level}
				index[k] = pc
				out.Checks = append(out.Checks, pc)
			}
			pc.Cases = append(pc.Cases, c.Name)
		}
	}
	for vi, v := range all {
		vr := &VariantResult{Variant: v}
		trips := map[string]*Trip{}
		var order []string
		for ci, cr := range results[vi] {
			if cr == nil {
				out.Errors = append(out.Errors, fmt.Sprintf("%s, %s: the case did not run", v.Name, cases[ci].ID()))
				continue
			}
			if cr.Error != "" {
				out.Errors = append(out.Errors, fmt.Sprintf("%s, %s/%s: %s", v.Name, cr.Scenario, cr.Case, cr.Error))
				continue
			}
			for _, ch := range cr.Checks {
				if ch.Status == engine.StatusSuccess {
					continue
				}
				k := cr.Scenario + ":" + ch.ID
				pc := index[k]
				if vi == 0 {
					msg := ch.ErrorMessage
					if len(msg) > 200 {
						msg = msg[:200] + "…"
					}
					pc.ConformantFails = append(pc.ConformantFails, fmt.Sprintf("%s: %s %s", cr.Case, ch.Status, msg))
					continue
				}
				if !slices.Contains(pc.TrippedBy, v.Name) {
					pc.TrippedBy = append(pc.TrippedBy, v.Name)
				}
				t := trips[k]
				if t == nil {
					t = &Trip{Scenario: cr.Scenario, Check: ch.ID}
					trips[k] = t
					order = append(order, k)
				}
				t.Cases = append(t.Cases, cr.Case)
			}
		}
		if vi == 0 {
			continue
		}
		for _, k := range order {
			vr.Trips = append(vr.Trips, *trips[k])
		}
		out.Variants = append(out.Variants, vr)
	}
	return out, nil
}
