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
// directory per case: <out>/<scenario>-<case>-<timestamp>/{checks.json,
// stdout.txt, stderr.txt}.
func writeResultsDirs(out string, res *engine.Result, opts report.Options) error {
	for _, c := range res.Cases {
		stamp := strings.NewReplacer(":", "-", ".", "-").Replace(c.Started.UTC().Format("2006-01-02T15:04:05.000Z"))
		dir := filepath.Join(out, fmt.Sprintf("%s-%s-%s", c.Scenario, c.Case, stamp))
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
		for name, data := range map[string]string{
			"checks.json": string(b) + "\n",
			"stdout.txt":  red.Redact(stdout),
			"stderr.txt":  red.Redact(stderr),
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				return fmt.Errorf("results directory: %w", err)
			}
		}
	}
	return nil
}
