package engine_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// waitForLines polls file until it holds n lines, for at most limit.
func waitForLines(t testing.TB, file string, n int, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		if strings.Count(string(b), "\n") >= n {
			return
		}
	}
	t.Fatalf("%s did not reach %d lines within %v", file, n, limit)
}

// TestInterruptStopsClientsAndServers cancels a run while its clients hang
// and requires the results observed so far, no client process left, and
// no stub server still answering.
func TestInterruptStopsClientsAndServers(t *testing.T) {
	needProc(t)
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		t.Fatal(err)
	}
	const parallel = 3
	if len(plan.Cases()) <= parallel {
		t.Fatalf("the suite needs more than %d cases for this test", parallel)
	}
	pgidFile := filepath.Join(t.TempDir(), "pgid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var delivered []*engine.CaseResult
	type outcome struct {
		res *engine.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := engine.Run(ctx, plan, engine.Options{
			Command:  grouped(pgidFile, testclient.Command("hang-start")),
			Parallel: parallel,
			Timeout:  5 * time.Minute,
			OnCase: func(c *engine.CaseResult) {
				mu.Lock()
				delivered = append(delivered, c)
				mu.Unlock()
			},
		})
		done <- outcome{res, err}
	}()
	// Every worker has a hanging client: interrupt.
	waitForLines(t, pgidFile, parallel, time.Minute)
	cancel()
	var out outcome
	select {
	case out = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of the interrupt")
	}
	if out.err != nil {
		t.Fatal(out.err)
	}
	res := out.res
	if !res.Interrupted || res.OK() {
		t.Errorf("interrupted %v ok %v", res.Interrupted, res.OK())
	}
	if len(res.Cases) != parallel {
		t.Errorf("%d case results, want the %d that had started", len(res.Cases), parallel)
	}
	mu.Lock()
	if len(delivered) != len(res.Cases) {
		t.Errorf("OnCase saw %d cases, the result has %d", len(delivered), len(res.Cases))
	}
	for _, c := range delivered {
		if c == nil {
			t.Errorf("OnCase got a nil case")
		}
	}
	mu.Unlock()
	for _, c := range res.Cases {
		cl := c.Observations.Client
		if !cl.Interrupted || !cl.Killed || cl.Exited || cl.HungIn != "before any request" {
			t.Errorf("%s: interrupted %v killed %v exited %v hung in %q", c.Case, cl.Interrupted, cl.Killed, cl.Exited, cl.HungIn)
		}
		if len(c.Checks) == 0 {
			t.Errorf("%s: no check results", c.Case)
		}
		// An interrupted case is marked so, and none of its checks is
		// blamed on the client.
		if !c.Interrupted {
			t.Errorf("%s: not marked interrupted", c.Case)
		}
		for _, ch := range c.Checks {
			if ch.Status != engine.StatusSkipped || !strings.HasPrefix(ch.ErrorMessage, engine.InterruptedMessage) {
				t.Errorf("%s: %s is %s %q, want SKIPPED as interrupted", c.Case, ch.ID, ch.Status, ch.ErrorMessage)
			}
		}
		if s := res.Summarize(); s.Failed != 0 || s.Interrupted != len(res.Cases) {
			t.Errorf("summary %+v", s)
		}
		// The case's stub servers are closed.
		hc := &http.Client{Timeout: 5 * time.Second}
		for _, u := range []string{c.Observations.Env.URL("auth", "metadata_url"), c.Observations.Env.URL("mcp", "url")} {
			if resp, err := hc.Get(u); err == nil {
				resp.Body.Close()
				t.Errorf("%s: %s still answers after the interrupt", c.Case, u)
			}
		}
	}
	requireGroupsGone(t, readPids(t, pgidFile))
}
