package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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
		dir, err := newResultsDir(out, c)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(report.CaseChecks(c, opts), "", "  ")
		if err != nil {
			return err
		}
		red := report.NewRedactor(c)
		if opts.ShowSecrets {
			red = &report.Redactor{}
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
			if err := writeAtomic(filepath.Join(dir, f.name), []byte(f.data)); err != nil {
				return fmt.Errorf("results directory: %w", err)
			}
		}
	}
	return nil
}

// resultsStamp is the official harness's directory timestamp.
func resultsStamp(t time.Time) string {
	return strings.NewReplacer(":", "-", ".", "-").Replace(t.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// maxStampBumps bounds how far newResultsDir moves a stamp to find a free
// name.
const maxStampBumps = 100000

// newResultsDir creates the case's directory under out and returns it.
// Names can collide: scenario "auth" with case "wif-happy" and scenario
// "auth-wif" with case "happy" both give auth-wif-happy-<stamp>, and two
// cases can start in the same millisecond; a results directory from an
// earlier run may also be there. The directory is therefore created
// exclusively, and when the name is taken the stamp moves on by a
// millisecond until a free name is found: the name keeps the official
// layout (so the official results reader still finds the scenario), and no
// case ever writes into another's directory. checks.json names the
// scenario and the case of every check, so nothing depends on the stamp.
func newResultsDir(out string, c *engine.CaseResult) (string, error) {
	for bump := 0; bump < maxStampBumps; bump++ {
		dir, err := resultsDirAt(out, c, c.Started.Add(time.Duration(bump)*time.Millisecond))
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("results directory: %w", err)
		}
		err = os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("results directory: %w", err)
		}
	}
	return "", fmt.Errorf("results directory: no free name for %s/%s under %s", c.Scenario, c.Case, out)
}

// resultsDir is the case's directory under out, named by its start.
func resultsDir(out string, c *engine.CaseResult) (string, error) {
	return resultsDirAt(out, c, c.Started)
}

// resultsDirAt is the case's directory under out with the stamp of t. The scenario name keeps
// its slashes (they nest, as in the official layout) but no segment may
// climb out of out; the case name is one path segment.
func resultsDirAt(out string, c *engine.CaseResult, t time.Time) (string, error) {
	var segs []string
	for _, s := range strings.Split(c.Scenario, "/") {
		segs = append(segs, pathSegment(s))
	}
	last := len(segs) - 1
	segs[last] = segs[last] + "-" + pathSegment(c.Case) + "-" + resultsStamp(t)
	dir := filepath.Join(append([]string{out}, segs...)...)
	rel, err := filepath.Rel(out, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
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
