package cli

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/dsl"
)

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var asJSON bool
	var vars []string
	cmd := &cobra.Command{
		Use:   "validate [FILE|DIR ...]",
		Short: "Check scenario files without running anything",
		Long: `Validate runs every static check of the scenario language: syntax, schema,
types, references to requirements, check sets, variables and functions,
duplicate names, durations, reject rules and check conditions (against
placeholder observations). With no files it validates the built-in suite.

Exit status: 0 when the files are valid (warnings allowed), 2 otherwise.`,
		Example: `  wifdsl validate scenarios.hcl
  wifdsl validate examples/scenarios -json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := parseVars(vars)
			if err != nil {
				return exitCode(ExitUsage, err)
			}
			c := compile(args, dsl.Options{Vars: v})
			errs := countErrors(c.diags)
			if asJSON {
				_ = writeJSON(stdout, map[string]any{
					"valid":         errs == 0,
					"error_count":   errs,
					"warning_count": len(c.diags) - errs,
					"diagnostics":   toJSONDiags(c.files, c.diags),
				})
			} else {
				writeDiags(stderr, c.files, c.diags)
			}
			if errs > 0 {
				if asJSON {
					return exitCode(ExitUsage, nil)
				}
				return exitCode(ExitUsage, fmt.Errorf("%d error(s) in the scenario files", errs))
			}
			if !asJSON {
				fmt.Fprintf(stdout, "valid: %s\n", summarizePlan(c))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print diagnostics as JSON on stdout")
	varFlag(cmd, &vars)
	return cmd
}

func summarizePlan(c *compiled) string {
	cases, checks := 0, 0
	for _, cs := range c.plan.Cases() {
		cases++
		checks += len(cs.Checks)
	}
	warnings := 0
	for _, d := range c.diags {
		if d.Severity == hcl.DiagWarning {
			warnings++
		}
	}
	s := fmt.Sprintf("%d scenarios, %d cases, %d checks, %d requirements", len(c.plan.Scenarios), cases, checks, len(c.cfg.Requirements))
	if n := len(c.cfg.Suites); n > 0 {
		s += fmt.Sprintf(", %d suites", n) // besides the implicit "all"
	}
	if warnings > 0 {
		s += fmt.Sprintf(", %d warnings", warnings)
	}
	return s
}
