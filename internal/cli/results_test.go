package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
)

// The official harness's results reader strips this suffix from a results
// directory's name to get the scenario back.
var officialStamp = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T[\d-]+Z$`)

func TestResultsLayout(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--client", referenceClient(t, "leak"), "-o", out,
		"--case", "happy-path", "--case", "expired-assertion", "-j", "2")
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1 (the leak variant fails wif-no-secret-leak); stderr:\n%s", code, stderr)
	}
	// One directory per case, directly under out: the "/" of
	// auth/wif-jwt-bearer becomes "-" rather than nesting.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) != 2 {
		t.Fatalf("results directories %q, want one per case", names)
	}
	dirRE := regexp.MustCompile(`^auth-wif-jwt-bearer-(expired-assertion|happy-path)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)
	for i, want := range []string{"expired-assertion", "happy-path"} {
		name := names[i]
		m := dirRE.FindStringSubmatch(name)
		if m == nil || m[1] != want {
			t.Errorf("directory %q does not match %s", name, dirRE)
			continue
		}
		if got := officialStamp.ReplaceAllString(name, ""); got != "auth-wif-jwt-bearer-"+want {
			t.Errorf("the official reader would name %q as %q", name, got)
		}
		dir := filepath.Join(out, name)
		files, _ := os.ReadDir(dir)
		var fn []string
		for _, f := range files {
			fn = append(fn, f.Name())
		}
		if strings.Join(fn, ",") != "checks.json,stderr.txt,stdout.txt" {
			t.Errorf("%s holds %q", name, fn)
		}
		b, err := os.ReadFile(filepath.Join(dir, "checks.json"))
		if err != nil {
			t.Fatal(err)
		}
		var checks []map[string]any
		if err := json.Unmarshal(b, &checks); err != nil {
			t.Fatalf("checks.json is not a JSON array of checks: %v", err)
		}
		if len(checks) == 0 {
			t.Fatalf("%s: no checks", name)
		}
		for _, c := range checks {
			for _, k := range []string{"id", "name", "description", "status", "timestamp", "specReferences"} {
				if _, ok := c[k]; !ok {
					t.Errorf("%s: a check lacks %q: %v", name, k, c)
				}
			}
			if _, err := time.Parse(time.RFC3339Nano, c["timestamp"].(string)); err != nil {
				t.Errorf("timestamp: %v", err)
			}
			if c["case"] != want || c["scenario"] != "auth/wif-jwt-bearer" {
				t.Errorf("check of %s names case %v", want, c["case"])
			}
			if c["id"] == "wif-no-secret-leak" && c["status"] != "WARNING" {
				t.Errorf("wif-no-secret-leak is %v", c["status"])
			}
		}
		stdout, err := os.ReadFile(filepath.Join(dir, "stdout.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(stdout), "[redacted assertion workload]") {
			t.Errorf("%s/stdout.txt should hold the client's output with the leaked assertion redacted:\n%s", name, stdout)
		}
	}
}

func TestResultsDirStaysInside(t *testing.T) {
	out := t.TempDir()
	start := time.Date(2026, 11, 26, 11, 16, 1, 100_000_000, time.UTC)
	for _, tc := range []struct{ scenario, kase, want string }{
		{"auth/wif-jwt-bearer", "happy-path", "auth-wif-jwt-bearer-happy-path-2026-11-26T11-16-01-100Z"},
		{"plain", "a/b", "plain-a-b-2026-11-26T11-16-01-100Z"},
		{"../../etc", "x", "..-..-etc-x-2026-11-26T11-16-01-100Z"},
		{"..", "..", "___-___-2026-11-26T11-16-01-100Z"},
		{"/abs/..", "x", "-abs-..-x-2026-11-26T11-16-01-100Z"},
	} {
		dir, err := resultsDir(out, &engine.CaseResult{Scenario: tc.scenario, Case: tc.kase, Started: start})
		if err != nil {
			t.Errorf("%s/%s: %v", tc.scenario, tc.kase, err)
			continue
		}
		rel, _ := filepath.Rel(out, dir)
		if filepath.ToSlash(rel) != tc.want {
			t.Errorf("%s/%s → %s, want %s", tc.scenario, tc.kase, rel, tc.want)
		}
	}
}
