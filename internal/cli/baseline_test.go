package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
)

func TestBaselineParse(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // raw client entries
		err       string
	}{
		{"official forms", "client:\n  - auth/a\n  - auth/b:check-1\nserver:\n  - server-scenario\n", []string{"auth/a", "auth/b:check-1"}, ""},
		{"case forms", "client:\n  - auth/a/case-x\n  - auth/a/case-y:check-1\n", []string{"auth/a/case-x", "auth/a/case-y:check-1"}, ""},
		{"duplicates collapse", "client: [auth/a, auth/a]\n", []string{"auth/a"}, ""},
		{"empty file", "", nil, ""},
		{"null document", "~\n", nil, ""},
		{"null client list", "client:\n", nil, ""},
		{"server only", "server:\n  - x\n", nil, ""},
		{"other keys ignored", "notes: hello\nclient: [auth/a]\n", []string{"auth/a"}, ""},
		{"not a mapping", "- auth/a\n", nil, "expected a mapping with 'client' and/or 'server' keys"},
		{"client not a list", "client: auth/a\n", nil, "'client' must be a list"},
		{"space after colon", "client:\n  - auth/a: check-1\n", nil, "did you write '- auth/a: check-1'? Remove the space after the colon: '- auth/a:check-1'"},
		{"empty entry", "client:\n  -\n", nil, "the entry is empty"},
		{"empty check", "client:\n  - 'auth/a:'\n", nil, "both sides of the colon are required"},
		{"empty scenario", "client:\n  - ':check-1'\n", nil, "both sides of the colon are required"},
		{"nested list", "client:\n  - [a, b]\n", nil, "entries are '<scenario>' or '<scenario>:<check-id>'"},
		{"server entries validated too", "server:\n  - a: b\n", nil, "Remove the space after the colon"},
		{"not YAML", "client: [a\n", nil, "invalid expected-failures file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, err := parseBaseline("b.yml", []byte(tc.src))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.raw)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
		})
	}
}

func builtinPlanForTest(t *testing.T) *engine.Plan {
	t.Helper()
	c := compile(nil, dsl.Options{})
	if c.diags.HasErrors() {
		t.Fatal(c.diags)
	}
	return c.plan
}

func resolve(t *testing.T, plan *engine.Plan, lines ...string) (*baseline, []string, error) {
	t.Helper()
	entries, err := parseBaseline("b.yml", []byte("client:\n  - "+strings.Join(lines, "\n  - ")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return resolveBaseline("b.yml", entries, plan)
}

func TestBaselineResolve(t *testing.T) {
	plan := builtinPlanForTest(t)
	b, warnings, err := resolve(t, plan,
		"auth/wif-jwt-bearer:wif-no-retry",
		"auth/wif-jwt-bearer/happy-path:wif-discovery",
		"auth/wif-jwt-bearer/rejected-scope",
		"auth/no-such-scenario",
		"auth/wif-jwt-bearer/happy-path:no-such-check",
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], `"auth/no-such-scenario" names no scenario or case`) ||
		!strings.Contains(warnings[1], `no check "no-such-check" in auth/wif-jwt-bearer/happy-path`) {
		t.Errorf("warnings %q", warnings)
	}
	for _, tc := range []struct {
		kase, check, entry string
	}{
		{"expired-assertion", "wif-no-retry", "auth/wif-jwt-bearer:wif-no-retry"},
		{"happy-path", "wif-discovery", "auth/wif-jwt-bearer/happy-path:wif-discovery"},
		{"rejected-scope", "wif-scope-error-distinct", "auth/wif-jwt-bearer/rejected-scope"},
		{"rejected-scope", "wif-no-retry", "auth/wif-jwt-bearer/rejected-scope"}, // narrowest first
		{"expired-assertion", "wif-discovery", ""},
		{"happy-path", "wif-grant-type", ""},
	} {
		got, ok := b.expects("auth/wif-jwt-bearer", tc.kase, tc.check)
		if got != tc.entry || ok != (tc.entry != "") {
			t.Errorf("expects(%s, %s) = %q, %v; want %q", tc.kase, tc.check, got, ok, tc.entry)
		}
	}

	for _, redundant := range [][]string{
		{"auth/wif-jwt-bearer", "auth/wif-jwt-bearer:wif-no-retry"}, // the official harness's own rule
		{"auth/wif-jwt-bearer", "auth/wif-jwt-bearer/happy-path"},
		{"auth/wif-jwt-bearer/happy-path:wif-discovery", "auth/wif-jwt-bearer/happy-path"},
		{"auth/wif-jwt-bearer/expired-assertion:wif-no-retry", "auth/wif-jwt-bearer:wif-no-retry"},
	} {
		if _, _, err := resolve(t, plan, redundant...); err == nil || !strings.Contains(err.Error(), "remove one or the other") {
			t.Errorf("%q: error %v, want a redundancy error", redundant, err)
		}
	}
}

// result builds a run result from "case:check=STATUS" items of the
// scenario auth/s.
func result(items ...string) *engine.Result {
	res := &engine.Result{}
	byCase := map[string]*engine.CaseResult{}
	for _, it := range items {
		ref, status, _ := strings.Cut(it, "=")
		kase, check, _ := strings.Cut(ref, ":")
		c := byCase[kase]
		if c == nil {
			c = &engine.CaseResult{Scenario: "auth/s", Case: kase}
			byCase[kase] = c
			res.Cases = append(res.Cases, c)
		}
		c.Checks = append(c.Checks, engine.CheckResult{ID: check, Status: engine.Status(status)})
	}
	return res
}

func planOf(res *engine.Result, extraCases ...string) *engine.Plan {
	s := &engine.Scenario{Name: "auth/s"}
	for _, c := range res.Cases {
		var checks []*engine.Check
		for _, ch := range c.Checks {
			checks = append(checks, &engine.Check{ID: ch.ID})
		}
		s.Cases = append(s.Cases, &engine.Case{Scenario: "auth/s", Name: c.Case, Checks: checks})
	}
	for _, n := range extraCases {
		s.Cases = append(s.Cases, &engine.Case{Scenario: "auth/s", Name: n, Checks: []*engine.Check{{ID: "c1"}}})
	}
	return &engine.Plan{Scenarios: []*engine.Scenario{s}}
}

func judge(t *testing.T, res *engine.Result, plan *engine.Plan, lines ...string) *report.Baseline {
	t.Helper()
	b, _, err := resolve(t, plan, lines...)
	if err != nil {
		t.Fatal(err)
	}
	rb := b.report()
	b.judge(rb, res)
	return rb
}

func TestBaselineJudge(t *testing.T) {
	res := result(
		"one:c1=FAILURE", "one:c2=SUCCESS", "one:c3=INFO",
		"two:c1=SUCCESS", "two:c2=WARNING", "two:c4=SKIPPED",
		"three:c1=SUCCESS", "three:c2=SUCCESS",
	)
	plan := planOf(res, "not-run")
	for _, tc := range []struct {
		name                                   string
		entries                                []string
		expected, unexpected, stale, unmatched []string
	}{
		{
			name:       "no entries: every failure is unexpected",
			entries:    []string{"auth/unrelated"},
			unexpected: []string{"auth/s/one:c1", "auth/s/two:c2"},
			unmatched:  []string{"auth/unrelated"},
		},
		{
			name:     "whole scenario",
			entries:  []string{"auth/s"},
			expected: []string{"auth/s/one:c1", "auth/s/two:c2"},
		},
		{
			// c1 fails in one case and passes in two: its worst status counts.
			name:     "scenario-level checks",
			entries:  []string{"auth/s:c1", "auth/s:c2"},
			expected: []string{"auth/s/one:c1", "auth/s/two:c2"},
		},
		{
			name:       "case-level entries",
			entries:    []string{"auth/s/one:c1", "auth/s/two"},
			expected:   []string{"auth/s/one:c1", "auth/s/two:c2"},
			unexpected: nil,
		},
		{
			name:       "stale entries",
			entries:    []string{"auth/s/three", "auth/s/one:c2", "auth/s/two:c1"},
			unexpected: []string{"auth/s/one:c1", "auth/s/two:c2"},
			stale:      []string{"auth/s/three", "auth/s/one:c2", "auth/s/two:c1"},
		},
		{
			// INFO and SKIPPED neither fail nor pass; a case that did not run
			// and a check the case does not have match nothing.
			name:       "not stale, not used",
			entries:    []string{"auth/s/one:c3", "auth/s/two:c4", "auth/s/not-run", "auth/s/one:c4"},
			unexpected: []string{"auth/s/one:c1", "auth/s/two:c2"},
			unmatched:  []string{"auth/s/not-run", "auth/s/one:c4"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := judge(t, res, plan, tc.entries...)
			for _, v := range []struct {
				what      string
				got, want []string
			}{
				{"expected", rb.Expected, tc.expected},
				{"unexpected", rb.Unexpected, tc.unexpected},
				{"stale", rb.Stale, tc.stale},
				{"unmatched", rb.Unmatched, tc.unmatched},
			} {
				if strings.Join(v.got, ",") != strings.Join(v.want, ",") {
					t.Errorf("%s = %q, want %q", v.what, v.got, v.want)
				}
			}
			if rb.OK() != (len(tc.unexpected) == 0 && len(tc.stale) == 0) {
				t.Errorf("OK() = %v", rb.OK())
			}
		})
	}
	// A whole-scenario entry is stale when nothing in the scenario fails.
	passing := result("one:c1=SUCCESS", "two:c1=SUCCESS")
	if rb := judge(t, passing, planOf(passing), "auth/s"); len(rb.Stale) != 1 || rb.OK() {
		t.Errorf("whole-scenario entry over a passing run: stale %q", rb.Stale)
	}
	if rb := judge(t, passing, planOf(passing), "auth/s:c1"); len(rb.Stale) != 1 {
		t.Errorf("scenario-level check passing everywhere: stale %q", rb.Stale)
	}
}

// wifdslCommand is the wifdsl binary that testscript.Main put on PATH (the
// test binary itself), for running the reference client as a subprocess.
func wifdslCommand(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Fatalf("wifdsl is not on PATH (testscript.Main puts it there): %v", err)
	}
	// GORACE: a race-enabled binary otherwise sleeps a second at exit.
	return "env GORACE=atexit_sleep_ms=0 " + shellQuote(bin)
}

func referenceClient(t *testing.T, bug string) string {
	cmd := wifdslCommand(t) + " reference-client"
	if bug != "" {
		cmd += " -bug " + bug
	}
	return cmd
}

// runCLI runs the wifdsl command line in-process and returns its exit
// code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(args, &stdout, &stderr)
	t.Logf("wifdsl %s → exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunWithExpectedFailures(t *testing.T) {
	retry := referenceClient(t, "retry")
	cases := []string{"--case", "expired-assertion", "--case", "rejected-scope", "-j", "2"}
	for _, tc := range []struct {
		name     string
		client   string
		baseline string
		code     int
		want     []string
	}{
		{
			name:     "case-level entries cover every failure",
			client:   retry,
			baseline: "client:\n  - auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n  - auth/wif-jwt-bearer/rejected-scope:wif-no-retry\n",
			code:     ExitOK,
			want: []string{"XFAIL auth/wif-jwt-bearer/expired-assertion", "[expected failure: auth/wif-jwt-bearer/rejected-scope:wif-no-retry]",
				"  ~ auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n", "baseline check passed: all failures are expected\n"},
		},
		{
			name:     "an official scenario:check entry covers it in every case",
			client:   retry,
			baseline: "client:\n  - auth/wif-jwt-bearer:wif-no-retry\n",
			code:     ExitOK,
			want:     []string{"baseline check passed"},
		},
		{
			name:     "an official whole-scenario entry",
			client:   retry,
			baseline: "client:\n  - auth/wif-jwt-bearer\n",
			code:     ExitOK,
			want:     []string{"baseline check passed"},
		},
		{
			name:     "a failure not in the baseline",
			client:   retry,
			baseline: "client:\n  - auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n",
			code:     ExitFailed,
			want:     []string{"unexpected failures (not in baseline):\n  ✗ auth/wif-jwt-bearer/rejected-scope:wif-no-retry\n", "FAIL  auth/wif-jwt-bearer/rejected-scope"},
		},
		{
			name:     "a stale entry",
			client:   referenceClient(t, ""),
			baseline: "client:\n  - auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n",
			code:     ExitFailed,
			want:     []string{"stale baseline entries (now passing: remove them from the baseline):\n  ✓ auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n"},
		},
		{
			name:     "an empty baseline: every failure is unexpected",
			client:   retry,
			baseline: "client: []\n",
			code:     ExitFailed,
			want:     []string{"  ✗ auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "baseline.yml", tc.baseline)
			args := append([]string{"run", "--client", tc.client, "--expected-failures", path}, cases...)
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestRunRejectsBadBaselineBeforeRunning(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"client:\n  - auth/wif-jwt-bearer: wif-no-retry\n", "Remove the space after the colon"},
		{"client:\n  - auth/wif-jwt-bearer\n  - auth/wif-jwt-bearer:wif-no-retry\n", "remove one or the other"},
	} {
		path := writeFile(t, "baseline.yml", tc.content)
		// A client that would hang proves the run never started.
		code, stdout, stderr := runCLI(t, "run", "--client", referenceClient(t, "hang-start"), "--expected-failures", path)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 naming %q", code, stderr, stdout, tc.want)
		}
	}
	code, _, stderr := runCLI(t, "run", "--expected-failures", filepath.Join(t.TempDir(), "missing.yml"))
	if code != ExitUsage || !strings.Contains(stderr, "missing.yml") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestRunWarnsAboutEntriesThatNameNothing(t *testing.T) {
	path := writeFile(t, "baseline.yml", "client:\n  - auth/wif-jwt-bearer/no-such-case\n")
	code, stdout, stderr := runCLI(t, "run", "--client", referenceClient(t, ""), "--case", "happy-path", "--expected-failures", path)
	if code != ExitOK {
		t.Errorf("exit %d: an entry naming nothing is ignored, as the official harness does", code)
	}
	if !strings.Contains(stderr, `warning: `+path+`: entry "auth/wif-jwt-bearer/no-such-case" names no scenario or case`) {
		t.Errorf("stderr %q", stderr)
	}
	if !strings.Contains(stdout, "entries that match no check of this run (ignored):\n  - auth/wif-jwt-bearer/no-such-case\n") {
		t.Errorf("stdout %q", stdout)
	}
}
