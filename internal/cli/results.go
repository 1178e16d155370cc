package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
)

// writeResultsDirs writes the official harness's results layout, one
// directory per case:
//
//	<out>/<scenario>-<case>-<timestamp>/checks.json
//	                                   /stdout.txt
//	                                   /stderr.txt
//
// The official harness writes <out>/<scenario>-<timestamp>/ per scenario
// run; a wifdsl case is one client run, so the case name comes between the
// scenario and the timestamp. Every case directory sits directly under
// out: a "/" in a scenario name (auth/wif-jwt-bearer) becomes "-"
// (<out>/auth-wif-jwt-bearer-happy-path-<ts>/) instead of nesting a
// directory per name segment, so that <out>/*/checks.json finds every
// case; checks.json names the scenario and case exactly.
// The timestamp is the case's start in UTC as ISO 8601 with ':' and '.'
// replaced by '-' (2026-11-26T11-16-01-100Z), as the official harness
// writes it. checks.json is the JSON array of the case's checks in the
// official shape ({id, name, description, status, timestamp,
// specReferences, details, errorMessage}, plus scenario and case);
// stdout.txt and stderr.txt are the client's output as kept (up to the
// output cap), with assertions and access tokens redacted unless
// opts.ShowSecrets.
func writeResultsDirs(out string, res *engine.Result, opts report.Options) error {
	for _, c := range res.Cases {
		dir, err := resultsDir(out, c)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("results directory: %w", err)
		}
		b, err := json.MarshalIndent(report.CaseChecks(c, opts), "", "  ")
		if err != nil {
			return err
		}
		red := engine.NewRedactor(c)
		if opts.ShowSecrets {
			red = &engine.Redactor{}
		}
		var stdout, stderr string
		if c.Observations != nil {
			stdout, stderr = c.Observations.Client.Stdout, c.Observations.Client.Stderr
		}
		for _, f := range []struct{ name, data string }{
			{"checks.json", string(b) + "\n"},
			{"stdout.txt", red.Redact(stdout)},
			{"stderr.txt", red.Redact(stderr)},
		} {
			if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
				return fmt.Errorf("results directory: %w", err)
			}
		}
	}
	return nil
}

// resultsStamp is the official harness's directory timestamp.
func resultsStamp(c *engine.CaseResult) string {
	return strings.NewReplacer(":", "-", ".", "-").Replace(c.Started.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// resultsDir is the case's directory under out: one path segment made of
// the scenario, the case and the timestamp.
func resultsDir(out string, c *engine.CaseResult) (string, error) {
	name := pathSegment(c.Scenario) + "-" + pathSegment(c.Case) + "-" + resultsStamp(c)
	dir := filepath.Join(out, name)
	if filepath.Dir(dir) != filepath.Clean(out) {
		return "", fmt.Errorf("results directory: %q/%q does not name a directory inside %s", c.Scenario, c.Case, out)
	}
	return dir, nil
}

// pathSegment makes s usable as one path segment: no separator, no NUL,
// not empty, "." or "..".
func pathSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '-'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return strings.Repeat("_", len(s)+1)
	}
	return s
}
