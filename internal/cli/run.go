package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
)

type runFlags struct {
	client      string
	command     string
	scenarios   []string
	cases       []string
	timeout     time.Duration
	failFast    time.Duration
	format      string
	outDir      string
	showSecrets bool
	verbose     bool
	parallel    int
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [FILE|DIR ...]",
		Short: "Run scenarios against a client (default: the built-in suite)",
		Long: `Run compiles the scenario files (or, with none, the built-in SEP-1933 suite)
and runs every case: it starts the stub servers on 127.0.0.1, runs the client
as '<client command> <mcp-server-url>' with the official harness's
MCP_CONFORMANCE_* environment, and judges each check.

Without --client, the bundled conformant reference client runs, so a first
run is green with nothing else installed.

Exit status: 0 when every check passes, 1 when any check fails or warns,
2 when the scenario files or flags are wrong or the harness itself broke.`,
		Example: `  wifdsl run
  wifdsl run scenarios.hcl --client "node my-client.js"
  wifdsl run --client "./my-client" --case rejected-scope --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), f, args, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.client, "client", "", "client command; the MCP server URL is appended as its last argument")
	fl.StringVar(&f.command, "command", "", "same as --client (the official harness's name)")
	fl.StringSliceVar(&f.scenarios, "scenario", nil, "run only scenarios with these names (glob patterns allowed)")
	fl.StringSliceVar(&f.cases, "case", nil, "run only cases with these names (glob patterns allowed)")
	fl.DurationVar(&f.timeout, "timeout", 0, "per-case client timeout, replacing each case's own (default 20s)")
	fl.DurationVar(&f.failFast, "fail-fast", 0, "budget from the first error response to the client's exit (default 5s)")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVarP(&f.outDir, "output", "o", "", "write a results directory per case (checks.json, stdout.txt, stderr.txt) under DIR")
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "do not redact assertions and access tokens in output and results")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "more detail in text output")
	fl.IntVarP(&f.parallel, "jobs", "j", engine.DefaultParallel(), "how many cases run at once (default: the number of CPUs)")
	return cmd
}

func runRun(ctx context.Context, f *runFlags, args []string, stdout, stderr io.Writer) error {
	if f.format != "text" && f.format != "json" {
		return exitCode(ExitUsage, fmt.Errorf("--format must be text or json, not %q", f.format))
	}
	if f.client != "" && f.command != "" && f.client != f.command {
		return exitCode(ExitUsage, fmt.Errorf("--client and --command name different commands; give one"))
	}
	if f.timeout < 0 || f.failFast < 0 {
		return exitCode(ExitUsage, fmt.Errorf("--timeout and --fail-fast must be positive"))
	}
	if f.parallel < 1 {
		return exitCode(ExitUsage, fmt.Errorf("--jobs must be at least 1"))
	}
	l, err := load(args, stderr)
	if err != nil {
		return err
	}
	plan, err := filterPlan(l.plan, f.scenarios, f.cases)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	client := f.client
	if client == "" {
		client = f.command
	}
	if client == "" {
		self, err := selfPath()
		if err != nil {
			return exitCode(ExitUsage, fmt.Errorf("cannot find the bundled reference client: %w", err))
		}
		client = shellQuote(self) + " reference-client"
		fmt.Fprintf(stderr, "wifdsl: no --client given: running the bundled conformant reference client (%s)\n", client)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := report.Options{ShowSecrets: f.showSecrets, Verbose: f.verbose, Version: wifdsl.Version, Client: client}
	eopts := engine.Options{Command: client, Timeout: f.timeout, FailFast: f.failFast, Parallel: f.parallel}
	if f.format == "text" {
		fmt.Fprintf(stdout, "wifdsl %s: client %s\n", wifdsl.Version, client)
		eopts.OnCase = func(c *engine.CaseResult) { report.WriteCase(stdout, c, opts) }
	}
	res, err := engine.Run(ctx, plan, eopts)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	if f.outDir != "" {
		if err := writeResultsDirs(f.outDir, res, opts); err != nil {
			return exitCode(ExitUsage, err)
		}
	}
	switch f.format {
	case "json":
		if err := report.JSON(stdout, res, opts); err != nil {
			return exitCode(ExitUsage, err)
		}
	default:
		report.WriteSummary(stdout, res)
	}
	switch {
	case res.Interrupted:
		return exitCode(ExitInterrupt, fmt.Errorf("interrupted"))
	case hasCaseErrors(res):
		return exitCode(ExitUsage, fmt.Errorf("the harness could not run every case"))
	case !res.OK():
		return exitCode(ExitFailed, nil)
	}
	return nil
}

func hasCaseErrors(res *engine.Result) bool {
	for _, c := range res.Cases {
		if c.Error != "" {
			return true
		}
	}
	return false
}

// filterPlan keeps the scenarios and cases whose names match.
func filterPlan(p *engine.Plan, scenarios, cases []string) (*engine.Plan, error) {
	for _, pat := range append(append([]string{}, scenarios...), cases...) {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", pat, err)
		}
	}
	match := func(pats []string, name string) bool {
		if len(pats) == 0 {
			return true
		}
		for _, p := range pats {
			if ok, _ := path.Match(p, name); ok || p == name {
				return true
			}
		}
		return false
	}
	out := &engine.Plan{}
	for _, s := range p.Scenarios {
		if !match(scenarios, s.Name) {
			continue
		}
		ns := *s
		ns.Cases = nil
		for _, c := range s.Cases {
			if match(cases, c.Name) {
				ns.Cases = append(ns.Cases, c)
			}
		}
		if len(ns.Cases) > 0 {
			out.Scenarios = append(out.Scenarios, &ns)
		}
	}
	if len(out.Scenarios) == 0 {
		var names []string
		for _, s := range p.Scenarios {
			for _, c := range s.Cases {
				names = append(names, s.Name+"/"+c.Name)
			}
		}
		return nil, fmt.Errorf("no case matches --scenario %v --case %v; the cases are: %s", scenarios, cases, strings.Join(names, ", "))
	}
	return out, nil
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]#~=%{}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
