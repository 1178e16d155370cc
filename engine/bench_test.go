package engine_test

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// noopClient is a client that exits at once without touching the servers.
const noopClient = "/bin/true"

func builtinCases(b *testing.B) []*engine.Case {
	b.Helper()
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		b.Fatal(err)
	}
	cases := plan.Cases()
	if len(cases) == 0 {
		b.Fatal("the built-in suite has no cases")
	}
	return cases
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkCaseOverhead runs the cases of the built-in suite one at a time
// against a client that exits at once (/bin/true) and, in the same loop,
// the bare fork, exec and wait of /bin/true. The harness's own cost per
// case is the median case time minus the median bare process time,
// reported as overhead-ms/case (the median) and overhead-p90-ms/case.
// Every case starts both stub servers, mints its assertions, evaluates its
// context, runs the client and evaluates every check.
func BenchmarkCaseOverhead(b *testing.B) {
	caseOverhead(b, builtinCases(b))
}

// BenchmarkCaseOverheadServers is BenchmarkCaseOverhead for the cases of
// the embedded catalogue with two servers (an authorization server and an
// MCP server, auth/client-credentials-basic) and with three (an identity
// provider as well, auth/enterprise-managed-authorization), keys and
// response rules included.
func BenchmarkCaseOverheadServers(b *testing.B) {
	plan, err := testclient.CataloguePlan()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{2, 3} {
		var cases []*engine.Case
		for _, c := range plan.Cases() {
			if len(c.Servers) == n {
				cases = append(cases, c)
			}
		}
		if len(cases) == 0 {
			b.Fatalf("the catalogue has no case with %d servers", n)
		}
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) { caseOverhead(b, cases) })
	}
}

// caseOverhead is the loop of BenchmarkCaseOverhead over cases.
func caseOverhead(b *testing.B, cases []*engine.Case) {
	ctx := context.Background()
	opts := engine.Options{Command: noopClient}
	var caseTimes, procTimes []time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c := cases[i%len(cases)]
		i++
		t0 := time.Now()
		cr := engine.RunCase(ctx, c, opts)
		t1 := time.Now()
		if cr.Error != "" {
			b.Fatalf("%s: %s", c.ID(), cr.Error)
		}
		if !cr.Observations.Client.Exited || cr.Observations.Client.ExitCode != 0 {
			b.Fatalf("%s: the client did not run: %+v", c.ID(), cr.Observations.Client)
		}
		if err := exec.Command(noopClient).Run(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		caseTimes = append(caseTimes, t1.Sub(t0))
		procTimes = append(procTimes, t2.Sub(t1))
	}
	over := make([]time.Duration, len(caseTimes))
	pm := median(procTimes)
	for j := range caseTimes {
		over[j] = caseTimes[j] - pm
	}
	b.ReportMetric(ms(median(caseTimes)), "case-ms")
	b.ReportMetric(ms(pm), "bare-exec-ms")
	b.ReportMetric(ms(median(over)), "overhead-ms/case")
	b.ReportMetric(ms(quantile(over, 0.9)), "overhead-p90-ms/case")
}

// BenchmarkCaseNoProcess runs the cases of the built-in suite with a
// client command that cannot start (the path does not exist, so no
// process is forked): everything the harness does for a case except the
// client process itself, checks included.
func BenchmarkCaseNoProcess(b *testing.B) {
	cases := builtinCases(b)
	ctx := context.Background()
	opts := engine.Options{Command: "/nonexistent/wifdsl-bench-client"}
	var times []time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c := cases[i%len(cases)]
		i++
		t0 := time.Now()
		cr := engine.RunCase(ctx, c, opts)
		times = append(times, time.Since(t0))
		if cr.Error != "" {
			b.Fatalf("%s: %s", c.ID(), cr.Error)
		}
		if cr.Observations.Client.StartError == "" {
			b.Fatalf("%s: the client started", c.ID())
		}
	}
	b.ReportMetric(ms(median(times)), "median-ms/case")
	b.ReportMetric(ms(quantile(times, 0.9)), "p90-ms/case")
}

// BenchmarkSuite runs the whole built-in suite in one engine.Run against
// /bin/true, with -j 1 and with -j 8.
func BenchmarkSuite(b *testing.B) {
	cases := builtinCases(b)
	plan := &engine.Plan{Scenarios: []*engine.Scenario{{Name: cases[0].Scenario, Cases: cases}}}
	for _, par := range []int{1, 8} {
		b.Run("j="+itoa(par), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := engine.Run(context.Background(), plan, engine.Options{Command: noopClient, Parallel: par})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Cases) != len(cases) {
					b.Fatalf("%d results for %d cases", len(res.Cases), len(cases))
				}
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
