package cli

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/internal/testclient"
)

// textVerdictLine matches the lines of text output that carry a verdict: a
// case's header (PASS/FAIL/… and its id) or one check's status and id.
// Durations, timelines and values are left out: they differ between runs.
var textVerdictLine = regexp.MustCompile(`^(?:([A-Z]+)\s+(\S+/\S+)\s|\s+(SUCCESS|FAILURE|WARNING|INFO|SKIPPED)\s+(\S+))`)

// textVerdicts runs `wifdsl run` in-process and returns the verdict lines
// of its text output and the case ids in the order they were printed.
func textVerdicts(t *testing.T, client string, jobs string) (verdicts, cases []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// Generous budgets: the client exits at once, and a loaded machine must
	// not turn a slow exit into a different verdict.
	code := Run([]string{"run", "--client", client, "-j", jobs, "--timeout", "30s", "--fail-fast", "15s"}, &stdout, &stderr)
	if code != ExitOK && code != ExitFailed {
		t.Fatalf("wifdsl run -j %s: exit %d\n%s", jobs, code, stderr.String())
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		m := textVerdictLine.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[2] != "":
			verdicts = append(verdicts, m[1]+" "+m[2])
			cases = append(cases, m[2])
		default:
			verdicts = append(verdicts, "  "+m[3]+" "+m[4])
		}
	}
	return verdicts, cases
}

// TestTextOutputOrderIsDeterministic runs the built-in suite with one case
// at a time and with eight at once, and requires the text output to list
// the cases in plan order both times, with the same verdicts.
func TestTextOutputOrderIsDeterministic(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Fatalf("wifdsl is not on PATH (the test binary's TestMain puts it there): %v", err)
	}
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range plan.Cases() {
		want = append(want, c.ID())
	}
	// GORACE: a race-enabled binary otherwise sleeps a second at exit.
	client := "env GORACE=atexit_sleep_ms=0 " + shellQuote(bin) + " reference-client -bug exit-zero"
	seqVerdicts, seqCases := textVerdicts(t, client, "1")
	parVerdicts, parCases := textVerdicts(t, client, "8")
	if got := strings.Join(seqCases, ","); got != strings.Join(want, ",") {
		t.Errorf("-j 1 printed the cases in order %s, want %s", got, strings.Join(want, ","))
	}
	if got := strings.Join(parCases, ","); got != strings.Join(want, ",") {
		t.Errorf("-j 8 printed the cases in order %s, want %s", got, strings.Join(want, ","))
	}
	if got, want := strings.Join(parVerdicts, "\n"), strings.Join(seqVerdicts, "\n"); got != want {
		t.Errorf("-j 8 verdicts:\n%s\n-j 1 verdicts:\n%s", got, want)
	}
	if !strings.Contains(strings.Join(seqVerdicts, "\n"), "WARNING wif-exit-nonzero") {
		t.Errorf("the broken client failed nothing: the test no longer compares failures:\n%s", strings.Join(seqVerdicts, "\n"))
	}
}
