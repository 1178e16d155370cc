// Package typescript_test runs the built-in wifdsl suite against the
// example client on the official TypeScript MCP SDK (client.mjs).
//
// It needs node on PATH and the client's dependencies installed with
// `npm ci` in this folder. Without them the tests skip locally, and fail
// when CI is set (as .ci/run sets it), so CI cannot silently stop running
// them.
package typescript_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/internal/cli"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// sdkVersion is the SDK version package.json pins; the findings in
// sdk-baseline.yml and docs/clients.md are for it.
const sdkVersion = "1.32.2"

func inCI() bool {
	ci := os.Getenv("CI")
	return ci != "" && ci != "false" && ci != "0"
}

// requireClient skips (locally) or fails (in CI) when node or the
// client's node_modules are missing, and returns the client command.
func requireClient(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if inCI() {
			t.Fatalf("CI is set but %s; .ci/run must install it (npm ci in examples/clients/typescript)", why)
		}
		t.Skipf("%s: run `npm ci` in examples/clients/typescript to run this test", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json"))
	if err != nil {
		missing("the client's node_modules are not installed")
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version != sdkVersion {
		t.Fatalf("node_modules holds @modelcontextprotocol/sdk %q, want %s (run `npm ci`)", pkg.Version, sdkVersion)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	t.Logf("node %s, @modelcontextprotocol/sdk %s", strings.TrimSpace(string(out)), pkg.Version)
	return "node '" + strings.ReplaceAll(filepath.Join(dir, "client.mjs"), "'", `'\''`) + "'"
}

type runDoc struct {
	Summary struct {
		Cases, Checks, Passed, Failed, Warnings, Errors int
	} `json:"summary"`
	Checks []struct {
		ID, Status, Scenario, Case, ErrorMessage string
		ExpectedFailure                          string `json:"expectedFailure"`
	} `json:"checks"`
	Cases []struct {
		Case     string         `json:"case"`
		Client   map[string]any `json:"client"`
		Timeline []struct {
			Text string `json:"text"`
		} `json:"timeline"`
	} `json:"cases"`
	Baseline *struct {
		Passed     bool
		Expected   []string `json:"expectedFailures"`
		Unexpected []string `json:"unexpectedFailures"`
		Stale      []string `json:"staleEntries"`
		Unmatched  []string `json:"unmatchedEntries"`
	} `json:"baseline"`
}

func runSuite(t *testing.T, args ...string) (int, runDoc) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// Generous budgets: Node's start-up on a loaded CI machine is no
	// finding about the SDK; a hang still shows as a failure.
	code := cli.Run(append([]string{"run", "--format", "json", "--fail-fast", "20s", "--timeout", "40s"}, args...), &stdout, &stderr)
	var doc runDoc
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("exit %d, output is not JSON: %v\nstderr:\n%s", code, err, stderr.String())
	}
	if code != 0 {
		for _, c := range doc.Checks {
			if c.Status != "SUCCESS" {
				t.Logf("%s %s/%s: %s", c.Status, c.Case, c.ID, c.ErrorMessage)
			}
		}
		for _, c := range doc.Cases {
			for _, e := range c.Timeline {
				t.Logf("  %s: %s", c.Case, e.Text)
			}
		}
		t.Logf("stderr:\n%s", stderr.String())
	}
	return code, doc
}

// builtinCases are the case names of the built-in suite.
func builtinCases(t *testing.T) []string {
	t.Helper()
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range plan.Cases() {
		out = append(out, c.Name)
	}
	return out
}

// TestTypeScriptClientPassesTheSuite: the example client passes every
// check of every case of the built-in suite.
func TestTypeScriptClientPassesTheSuite(t *testing.T) {
	client := requireClient(t)
	code, doc := runSuite(t, "--client", client)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %+v", code, doc.Summary)
	}
	var ran []string
	for _, c := range doc.Cases {
		ran = append(ran, c.Case)
	}
	want := builtinCases(t)
	if strings.Join(ran, ",") != strings.Join(want, ",") {
		t.Errorf("cases %q, want the built-in suite's %q", ran, want)
	}
	if s := doc.Summary; s.Failed != 0 || s.Warnings != 0 || s.Errors != 0 || s.Passed != s.Checks || s.Checks == 0 {
		t.Errorf("summary %+v", s)
	}
}

// TestTypeScriptClientPassesTheSuiteOverTLS: the same in TLS mode. Node
// closes its TLS connections while a server may still be writing, which
// must not read as an interrupt (a SIGPIPE from a socket).
func TestTypeScriptClientPassesTheSuiteOverTLS(t *testing.T) {
	client := requireClient(t)
	code, doc := runSuite(t, "--client", client, "--tls")
	if code != 0 {
		t.Fatalf("exit %d, want 0: %+v", code, doc.Summary)
	}
	if s := doc.Summary; s.Failed != 0 || s.Warnings != 0 || s.Errors != 0 || s.Passed != s.Checks || s.Cases != len(builtinCases(t)) {
		t.Errorf("summary %+v", s)
	}
}

// TestTypeScriptSDKBaseline measures the SDK itself: with the client's
// retry guard off, the SDK presents a rejected assertion a second time
// after invalid_grant, invalid_client and unauthorized_client. sdk-baseline.yml lists
// exactly those failures; the run passes against it, and would fail on a
// new failure or, once the SDK stops retrying, on the stale entries.
func TestTypeScriptSDKBaseline(t *testing.T) {
	client := requireClient(t)
	code, doc := runSuite(t, "--client", client+" --no-retry-guard", "--expected-failures", "sdk-baseline.yml")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (only the expected failures): %+v", code, doc.Baseline)
	}
	b := doc.Baseline
	if b == nil || !b.Passed || len(b.Unexpected) != 0 || len(b.Stale) != 0 || len(b.Unmatched) != 0 {
		t.Fatalf("baseline verdict %+v", b)
	}
	got := append([]string(nil), b.Expected...)
	sort.Strings(got)
	want := []string{
		"auth/wif-jwt-bearer/expired-assertion:wif-no-retry",
		"auth/wif-jwt-bearer/invalid-client:wif-no-retry",
		"auth/wif-jwt-bearer/rejected-subject:wif-no-retry",
		"auth/wif-jwt-bearer/replayed-jti:wif-no-retry",
		"auth/wif-jwt-bearer/unauthorized-client:wif-no-retry",
		"auth/wif-jwt-bearer/wrong-audience:wif-no-retry",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("expected failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The failure is the SDK's second token request, nothing else.
	for _, c := range doc.Checks {
		if c.Status != "SUCCESS" && c.ErrorMessage != "expected exactly one token request, saw 2" {
			t.Errorf("%s/%s: %s %q", c.Case, c.ID, c.Status, c.ErrorMessage)
		}
	}
}
