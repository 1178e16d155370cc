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
	"github.com/wifdsl/wifdsl/report"
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
	// One directory per case, nested under the scenario's first segment as
	// the official harness nests auth/wif-jwt-bearer.
	entries, err := os.ReadDir(filepath.Join(out, "auth"))
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
	dirRE := regexp.MustCompile(`^wif-jwt-bearer-(expired-assertion|happy-path)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)
	for i, want := range []string{"expired-assertion", "happy-path"} {
		name := names[i]
		m := dirRE.FindStringSubmatch(name)
		if m == nil || m[1] != want {
			t.Errorf("directory %q does not match %s", name, dirRE)
			continue
		}
		if got := officialStamp.ReplaceAllString("auth/"+name, ""); got != "auth/wif-jwt-bearer-"+want {
			t.Errorf("the official reader would name %q as %q", name, got)
		}
		dir := filepath.Join(out, "auth", name)
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
		{"auth/wif-jwt-bearer", "happy-path", "auth/wif-jwt-bearer-happy-path-2026-11-26T11-16-01-100Z"},
		{"plain", "a/b", "plain-a-b-2026-11-26T11-16-01-100Z"},
		{"../../etc", "x", "___/___/etc-x-2026-11-26T11-16-01-100Z"},
		{"/abs/..", "..", "_/abs/___-___-2026-11-26T11-16-01-100Z"},
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

// TestResultsDirsNeverCollide writes cases whose directory names collide
// (scenario "auth" with case "wif-happy" and scenario "auth-wif" with case
// "happy", started in the same millisecond), 20 times into one output
// directory: every case keeps its own directory, and each checks.json
// holds that case's own verdict.
func TestResultsDirsNeverCollide(t *testing.T) {
	out := t.TempDir()
	start := time.Date(2026, 11, 26, 11, 16, 1, 100_000_000, time.UTC)
	const runs = 20
	for run := range runs {
		failing := &engine.CaseResult{Scenario: "auth", Case: "wif-happy", Started: start, Checks: []engine.CheckResult{
			{ID: "c", Status: engine.StatusFailure, ErrorMessage: "failed", Timestamp: start},
		}}
		passing := &engine.CaseResult{Scenario: "auth-wif", Case: "happy", Started: start, Checks: []engine.CheckResult{
			{ID: "c", Status: engine.StatusSuccess, Timestamp: start},
		}}
		cases := []*engine.CaseResult{failing, passing}
		if run%2 == 1 {
			cases = []*engine.CaseResult{passing, failing}
		}
		if err := writeResultsDirs(out, &engine.Result{Cases: cases}, report.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2*runs {
		t.Fatalf("%d results directories, want %d", len(entries), 2*runs)
	}
	seen := map[string]int{}
	for _, e := range entries {
		if !officialStamp.MatchString(e.Name()) {
			t.Errorf("%s does not end in the official stamp", e.Name())
		}
		b, err := os.ReadFile(filepath.Join(out, e.Name(), "checks.json"))
		if err != nil {
			t.Fatal(err)
		}
		var checks []report.JSONCheck
		if err := json.Unmarshal(b, &checks); err != nil || len(checks) != 1 {
			t.Fatalf("%s: %v %v", e.Name(), err, checks)
		}
		ch := checks[0]
		key := ch.Scenario + "/" + ch.Case + "=" + string(ch.Status)
		switch key {
		case "auth/wif-happy=FAILURE", "auth-wif/happy=SUCCESS":
			seen[key]++
		default:
			t.Errorf("%s holds %s", e.Name(), key)
		}
	}
	if seen["auth/wif-happy=FAILURE"] != runs || seen["auth-wif/happy=SUCCESS"] != runs {
		t.Errorf("verdicts kept: %v, want %d of each", seen, runs)
	}
}
