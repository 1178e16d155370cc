package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
	"github.com/wifdsl/wifdsl/jwt"
)

// parallelOutcome is one run of the built-in suite in comparable form: each
// case's verdict in result order, and the order OnCase saw the cases in.
type parallelOutcome struct {
	verdicts []string
	reported []string
	res      *engine.Result
}

func runParallel(t *testing.T, bug string, jobs int) parallelOutcome {
	t.Helper()
	var out parallelOutcome
	res, err := engine.Run(context.Background(), builtinPlan(t), engine.Options{
		Command:  testclient.Command(bug),
		Parallel: jobs,
		// Generous budgets: both clients exit at once, and a loaded machine
		// must not turn a slow exit into a different verdict.
		Timeout:  30 * time.Second,
		FailFast: 15 * time.Second,
		OnCase:   func(c *engine.CaseResult) { out.reported = append(out.reported, c.Scenario+"/"+c.Case) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		var b strings.Builder
		fmt.Fprintf(&b, "%s/%s", c.Scenario, c.Case)
		if c.Error != "" {
			fmt.Fprintf(&b, " error=%q", c.Error)
		}
		for _, ch := range c.Checks {
			fmt.Fprintf(&b, " %s=%s", ch.ID, ch.Status)
		}
		out.verdicts = append(out.verdicts, b.String())
	}
	out.res = res
	return out
}

// TestParallelCasesMatchSequential runs the built-in suite with one case
// at a time and with eight, against the conformant client and a broken
// one, and requires the same verdicts in the same order, results and
// progress reports in plan order, and every case on its own servers and
// keys.
func TestParallelCasesMatchSequential(t *testing.T) {
	t.Parallel()
	var planOrder []string
	for _, c := range builtinPlan(t).Cases() {
		planOrder = append(planOrder, c.ID())
	}
	for _, bug := range []string{"", "exit-zero"} {
		t.Run("bug="+bug, func(t *testing.T) {
			seq := runParallel(t, bug, 1)
			par := runParallel(t, bug, 8)
			if got, want := strings.Join(par.verdicts, "\n"), strings.Join(seq.verdicts, "\n"); got != want {
				t.Errorf("verdicts with -j 8:\n%s\nwith -j 1:\n%s", got, want)
			}
			for name, o := range map[string]parallelOutcome{"-j 1": seq, "-j 8": par} {
				var results []string
				for _, c := range o.res.Cases {
					results = append(results, c.Scenario+"/"+c.Case)
				}
				if got, want := strings.Join(results, ","), strings.Join(planOrder, ","); got != want {
					t.Errorf("%s: results in order %s, want plan order %s", name, got, want)
				}
				if got, want := strings.Join(o.reported, ","), strings.Join(planOrder, ","); got != want {
					t.Errorf("%s: OnCase saw %s, want plan order %s", name, got, want)
				}
			}
			if bug == "" && !par.res.OK() {
				t.Errorf("the conformant client fails with -j 8:\n%s", strings.Join(par.verdicts, "\n"))
			}
			checkIsolated(t, par.res)
		})
	}
}

// checkIsolated requires that no two cases shared a server, an access
// token, an assertion or a signing key.
func checkIsolated(t *testing.T, res *engine.Result) {
	t.Helper()
	owner := map[string]string{}
	claim := func(kind, value, c string) {
		if value == "" {
			return
		}
		if prev, dup := owner[kind+" "+value]; dup && prev != c {
			t.Errorf("cases %s and %s share the %s %s", prev, c, kind, value)
		}
		owner[kind+" "+value] = c
	}
	// A server's port is its own while it listens, so two cases share a
	// server only if the same URL served both while both ran; a port the
	// kernel hands out again after a case closed its server is no sharing.
	type life struct {
		c          string
		start, end time.Time
	}
	servers := map[string]life{}
	claimServer := func(kind, url string, c *engine.CaseResult) {
		if url == "" {
			return
		}
		l := life{c.Case, c.Started, c.Started.Add(c.Duration)}
		if prev, dup := servers[kind+" "+url]; dup && prev.c != l.c && prev.start.Before(l.end) && l.start.Before(prev.end) {
			t.Errorf("cases %s and %s share the %s %s", prev.c, l.c, kind, url)
		}
		servers[kind+" "+url] = l
	}
	for _, c := range res.Cases {
		env := c.Observations.Env
		if env == nil {
			t.Fatalf("%s: no environment recorded", c.Case)
		}
		claimServer("authorization server", env.URL("auth", "url"), c)
		claimServer("MCP server", env.URL("mcp", "url"), c)
		for _, tok := range c.Observations.IssuedTokens {
			claim("access token", tok, c.Case)
		}
		kids := map[string]bool{}
		for _, name := range env.AssertionOrder {
			a := env.Assertions[name]
			claim("assertion", a.Token, c.Case)
			h, _, err := jwt.Decode(a.Token)
			if err != nil {
				t.Fatalf("%s: assertion %s: %v", c.Case, name, err)
			}
			kid, _ := h["kid"].(string)
			kids[kid] = true
		}
		// A case signs all its assertions with its own key.
		for kid := range kids {
			claim("signing key", kid, c.Case)
		}
	}
}
