package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
)

type runFlags struct {
	client      string
	command     string
	sel         selection
	timeout     time.Duration
	failFast    time.Duration
	format      string
	outDir      string
	showSecrets bool
	verbose     bool
	tls         bool
	parallel    int
	junit       string
	baseline    string
	vars        []string
	// set records which flags were given, so an explicit empty --client or
	// a zero --timeout is told apart from an absent one.
	set map[string]bool
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

--suite NAME runs the scenarios of a suite of the files ('wifdsl list' shows
them; 'all' is every scenario); with no files it runs a suite of the
embedded official catalogue, as the official harness's --suite does.
--scenario and --case narrow it further. --spec-version VERSION runs every
scenario at that MCP protocol version (YYYY-MM-DD, or draft): the client
receives it, and checks enabled only at some versions come and go with it.

Without --client, the bundled conformant reference client runs, so a first
run is green with nothing else installed.

Reports: --format text (default), json (one document with run metadata)
or markdown (a summary for a CI job page); --junit FILE writes JUnit XML
besides; -o DIR writes the official harness's results layout, a directory
per case: DIR/<scenario>-<case>-<timestamp>/{checks.json,stdout.txt,stderr.txt}.
Assertions and access tokens are redacted everywhere unless --show-secrets.

--expected-failures FILE reads the official harness's baseline YAML
(client: a list of '<scenario>' or '<scenario>:<check-id>'; wifdsl also
takes '<scenario>/<case>' and '<scenario>/<case>:<check-id>'). Then the
run passes when every failing check is listed, and fails on a failure
that is not listed or on a stale entry whose checks all pass now.

Exit status: 0 when every check passes (or, with --expected-failures, when
the baseline holds), 1 when a check fails or warns (or the baseline does
not hold), 2 when the scenario files or flags are wrong or the harness
itself broke, 130 when interrupted (SIGINT, SIGTERM, SIGHUP, SIGQUIT, or a
closed stdout or stderr: the clients are killed and every report is written, the
interrupted cases marked INTERRUPTED).`,
		Example: `  wifdsl run
  wifdsl run scenarios.hcl --client "node my-client.js"
  wifdsl run --suite extensions --client "node my-client.js" --spec-version 2026-07-28
  wifdsl run --client "./my-client" --case rejected-scope --format json
  wifdsl run --client "./my-client" --junit wifdsl.xml -o results --expected-failures baseline.yml
  wifdsl run --client "./my-client" --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.set = changedFlags(cmd)
			return runRun(cmd.Context(), f, args, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.client, "client", "", "client command; the MCP server URL is appended as its last argument")
	fl.StringVar(&f.command, "command", "", "same as --client (the official harness's name)")
	addSelectionFlags(cmd, &f.sel, "run only", true)
	fl.DurationVar(&f.timeout, "timeout", 0, "per-case client timeout, replacing each case's own (default 20s)")
	fl.DurationVar(&f.failFast, "fail-fast", 0, "budget from the first error response to the client's exit (default 5s)")
	fl.StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	fl.StringVarP(&f.outDir, "output", "o", "", "write the official results layout under `DIR`: DIR/<scenario>-<case>-<timestamp>/{checks.json,stdout.txt,stderr.txt}")
	fl.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE` (a testsuite per case, a testcase per check)")
	fl.StringVar(&f.baseline, "expected-failures", "", "judge the run by the baseline YAML `FILE` of expected failures (the official harness's format, plus '<scenario>/<case>[:<check-id>]' entries)")
	varFlag(cmd, &f.vars)
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "do not redact assertions and access tokens in any output, report or results file")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "text output: show the client timeline of passing cases too")
	fl.BoolVar(&f.tls, "tls", false, "run every case in TLS mode: HTTPS servers with a CA made for the run, named by SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE and WIFDSL_CA_FILE")
	fl.IntVarP(&f.parallel, "jobs", "j", 0, fmt.Sprintf("how many cases run at once; 0 means the number of CPUs (%d here)", defaultJobs()))
	return cmd
}

func runRun(ctx context.Context, f *runFlags, args []string, stdout, stderr io.Writer) error {
	if f.format != "text" && f.format != "json" && f.format != "markdown" {
		return exitCode(ExitUsage, fmt.Errorf("--format must be text or json or markdown, not %q", f.format))
	}
	if f.client != "" && f.command != "" && f.client != f.command {
		return exitCode(ExitUsage, fmt.Errorf("--client and --command name different commands; give one"))
	}
	if err := checkRunFlags(f); err != nil {
		return exitCode(ExitUsage, err)
	}
	if f.parallel < 0 {
		return exitCode(ExitUsage, fmt.Errorf("--jobs must not be negative"))
	}
	if f.parallel == 0 {
		f.parallel = defaultJobs()
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	var entries []*baselineEntry
	if f.baseline != "" {
		// Read before the run: a broken baseline should not cost a run.
		if entries, err = readBaseline(f.baseline); err != nil {
			return exitCode(ExitUsage, err)
		}
	}
	lopts, err := f.sel.options(vars)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	defer paceRunGC(runHeapTarget)()
	l, err := loadWith(f.sel.source(args), lopts, stderr)
	if err != nil {
		return err
	}
	plan, err := f.sel.apply(l.plan, l.origin)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	// From here on only the plan runs: what only compiling needed goes.
	l.release()
	// In the background: the first cases start meanwhile, and the
	// collection takes the CPU they leave while their clients start.
	go releaseCompileHeap()
	var base *baseline
	if f.baseline != "" {
		var warnings []string
		base, warnings, err = resolveBaseline(f.baseline, entries, l.plan)
		for _, w := range warnings {
			fmt.Fprintf(stderr, "wifdsl: warning: %s\n", w)
		}
		if err != nil {
			return exitCode(ExitUsage, err)
		}
	}
	l.plan = nil // the scenarios the selection left out
	client := f.client
	if client == "" {
		client = f.command
	}
	bundled := false
	if client == "" {
		self, err := selfPath()
		if err != nil {
			return exitCode(ExitUsage, fmt.Errorf("cannot find the bundled reference client: %w", err))
		}
		client = shellQuote(self) + " reference-client"
		bundled = true
		fmt.Fprintf(stderr, "wifdsl: no --client given: running the bundled conformant reference client (%s)\n", client)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, interrupt, stop := interruptContext(ctx)
	defer stop()
	watchOutputs(interrupt, ctx.Done(), stdout, stderr)

	opts := report.Options{ShowSecrets: f.showSecrets, Verbose: f.verbose, Version: wifdsl.Version, Client: client}
	if base != nil {
		opts.Baseline = base.report()
	}
	eopts := engine.Options{Command: client, Timeout: f.timeout, FailFast: f.failFast, Parallel: f.parallel, TLS: f.tls}
	if f.format == "text" {
		fmt.Fprintf(stdout, "wifdsl %s: client %s\n", wifdsl.Version, client)
		// Nothing but the summary and the baseline reads a case once it
		// is written, unless a results directory or a JUnit file does.
		keep := f.outDir != "" || f.junit != ""
		eopts.OnCase = func(c *engine.CaseResult) {
			report.WriteCase(stdout, c, opts)
			if !keep {
				c.Compact()
			}
		}
	}
	res, err := engine.Run(ctx, plan, eopts)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	if base != nil {
		base.judge(opts.Baseline, res)
	}
	opts.Metadata = runMetadata(f, l, len(args) == 0, res, client, bundled, vars)
	if res.Interrupted {
		opts.InterruptedBy = interruptCause(ctx)
	}

	// Every report is written whatever the verdict; a report that cannot
	// be written is the harness's failure.
	var writeErrs []error
	if f.outDir != "" {
		if err := writeResultsDirs(f.outDir, res, opts); err != nil {
			writeErrs = append(writeErrs, err)
		}
	}
	if f.junit != "" {
		if err := writeFileWith(f.junit, stdStreams{stdout, stderr}, func(w io.Writer) error { return report.JUnit(w, res, opts) }); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("--junit: %w", err))
		}
	}
	switch f.format {
	case "json":
		if err := report.JSON(stdout, res, opts); err != nil {
			writeErrs = append(writeErrs, err)
		}
		report.WriteBaseline(stderr, opts.Baseline)
	case "markdown":
		if err := report.Markdown(stdout, res, opts); err != nil {
			writeErrs = append(writeErrs, err)
		}
		report.WriteBaseline(stderr, opts.Baseline)
	default:
		report.WriteSummary(stdout, res)
		report.WriteBaseline(stdout, opts.Baseline)
	}
	switch {
	case res.Aborted != "":
		return exitCode(ExitUsage, errors.New(res.Aborted))
	case res.Interrupted:
		return exitCode(ExitInterrupt, fmt.Errorf("interrupted by %s", interruptCause(ctx)))
	case len(writeErrs) > 0:
		return exitCode(ExitUsage, errors.Join(writeErrs...))
	case hasCaseErrors(res):
		return exitCode(ExitUsage, fmt.Errorf("the harness could not run every case"))
	case opts.Baseline != nil:
		if !opts.Baseline.OK() {
			return exitCode(ExitFailed, nil)
		}
	case !res.OK():
		return exitCode(ExitFailed, nil)
	}
	return nil
}

// runMetadata describes the run for JSON output: the tool, the client, the
// scenario files with their SHA-256 digests, the times and the settings.
func runMetadata(f *runFlags, l *compiled, builtin bool, res *engine.Result, client string, bundled bool, vars map[string]string) *report.Metadata {
	m := &report.Metadata{
		Tool: report.ToolInfo{
			Name: "wifdsl", Version: wifdsl.Version, GoVersion: runtime.Version(),
			OS: runtime.GOOS, Arch: runtime.GOARCH,
		},
		Client:        report.ClientInfo{Command: client, Bundled: bundled},
		ScenarioFiles: []report.ScenarioFile{},
		Started:       res.Started.UTC().Format(time.RFC3339Nano),
		Finished:      res.Started.Add(res.Duration).UTC().Format(time.RFC3339Nano),
		DurationMS:    res.Duration.Milliseconds(),
	}
	files := l.files
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		src := files[name].Bytes
		sum := sha256.Sum256(src)
		m.ScenarioFiles = append(m.ScenarioFiles, report.ScenarioFile{
			Path: name, SHA256: hex.EncodeToString(sum[:]), Bytes: len(src),
			Builtin: builtin,
		})
	}
	settings := map[string]any{"jobs": f.parallel, "showSecrets": f.showSecrets}
	if f.timeout > 0 {
		settings["timeout"] = f.timeout.String()
	}
	if f.failFast > 0 {
		settings["failFast"] = f.failFast.String()
	}
	if f.sel.suite != "" {
		settings["suite"] = f.sel.suite
	}
	if len(f.sel.scenarios) > 0 {
		settings["scenario"] = f.sel.scenarios
	}
	if len(f.sel.cases) > 0 {
		settings["case"] = f.sel.cases
	}
	if v, _ := f.sel.protocolVersion(); v != "" {
		settings["specVersion"] = v
	}
	if len(vars) > 0 {
		settings["vars"] = vars
	}
	if f.baseline != "" {
		b := map[string]any{"path": f.baseline}
		if src, err := os.ReadFile(f.baseline); err == nil {
			sum := sha256.Sum256(src)
			b["sha256"] = hex.EncodeToString(sum[:])
		}
		settings["expectedFailures"] = b
	}
	m.Settings = settings
	return m
}

func hasCaseErrors(res *engine.Result) bool {
	for _, c := range res.Cases {
		if c.Error != "" {
			return true
		}
	}
	return false
}

// defaultJobs is what -j 0 means: the number of CPUs.
func defaultJobs() int { return engine.DefaultParallel() }

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]#~=%{}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
