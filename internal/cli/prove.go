package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/internal/prove"
	"github.com/wifdsl/wifdsl/internal/refclient"
)

type proveFlags struct {
	format   string
	sel      selection
	variants []string
	timeout  time.Duration
	failFast time.Duration
	parallel int
	vars     []string
}

func newProveCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &proveFlags{}
	cmd := &cobra.Command{
		Use:   "prove [FILE|DIR ...]",
		Short: "Show that every check passes a conformant client and fails a broken one",
		Long: `Prove runs every case of the scenario files (or, with none, the built-in
suite) with the bundled conformant reference client, and again with each
client variant the files declare in variant blocks, and prints the matrix:
for each check, whether the conformant client passes it and which variants
trip it. A check is proven when the conformant client passes it and at least
one variant trips it. A check that the conformant client fails, or that no
variant trips, is UNPROVEN. --suite, --scenario and --case select as in
'wifdsl run' (--suite with no files: the embedded official catalogue).

A variant block describes, as data, how the bundled client departs from
conformant behaviour; no client has to be written:

  variant "sends-secret" {
    description  = "authenticates with a client secret it should not have"
    extra_params = { client_secret = "s3cret" }
  }

Its attributes: ` + strings.Join(dsl.VariantAttributes(), ", ") + `.
See docs/dsl.md#variant, and 'wifdsl reference-client --help' for the client.

Exit status: 0 when every check is proven, 1 when one is not, 2 when the
scenario files or flags are wrong or the harness broke, 130 when
interrupted.`,
		Example: `  wifdsl prove
  wifdsl prove examples/scenarios
  wifdsl prove my-checks.hcl --variant sends-secret --format json
  wifdsl prove --timeout 6s --fail-fast 2s --format markdown > docs/variants.md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProve(cmd.Context(), f, args, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	addSelectionFlags(cmd, &f.sel, "prove only", true)
	fl.StringSliceVar(&f.variants, "variant", nil, "run only these variants (glob patterns allowed)")
	fl.DurationVar(&f.timeout, "timeout", 0, "per-case client timeout, replacing each case's own")
	fl.DurationVar(&f.failFast, "fail-fast", 0, "budget from the first error response to the client's exit, replacing each case's own")
	fl.IntVarP(&f.parallel, "jobs", "j", 0, "how many client runs happen at once; 0 means the number of CPUs")
	varFlag(cmd, &f.vars)
	return cmd
}

func runProve(ctx context.Context, f *proveFlags, args []string, stdout, stderr io.Writer) error {
	if f.format != "text" && f.format != "json" && f.format != "markdown" {
		return exitCode(ExitUsage, fmt.Errorf("--format must be text, json or markdown, not %q", f.format))
	}
	if f.timeout < 0 || f.failFast < 0 || f.parallel < 0 {
		return exitCode(ExitUsage, fmt.Errorf("--timeout, --fail-fast and --jobs must not be negative"))
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	opts, err := f.sel.options(vars)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	l, err := loadWith(f.sel.source(args), opts, stderr)
	if err != nil {
		return err
	}
	plan, err := f.sel.apply(l.plan, l.origin)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	variants, err := proveVariants(l.cfg.Variants, f.variants)
	if err != nil {
		return exitCode(ExitUsage, err)
	}
	self, err := selfPath()
	if err != nil {
		return exitCode(ExitUsage, fmt.Errorf("cannot find the bundled reference client: %w", err))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	par := f.parallel
	if par == 0 {
		par = defaultJobs()
	}
	if f.format == "text" {
		fmt.Fprintf(stdout, "wifdsl prove: %d cases × (the conformant client + %d variants)\n", len(plan.Cases()), len(variants))
	}
	res, err := prove.Run(ctx, plan, variants, prove.Options{
		Command: shellQuote(self) + " reference-client", Timeout: f.timeout, FailFast: f.failFast, Parallel: par,
	})
	if err != nil {
		if ctx.Err() != nil {
			return exitCode(ExitInterrupt, fmt.Errorf("interrupted"))
		}
		return exitCode(ExitUsage, err)
	}
	switch f.format {
	case "json":
		if err := prove.WriteJSON(stdout, res); err != nil {
			return exitCode(ExitUsage, err)
		}
	case "markdown":
		prove.WriteMarkdown(stdout, res)
	default:
		prove.WriteText(stdout, res)
	}
	switch {
	case len(res.Errors) > 0:
		return exitCode(ExitUsage, fmt.Errorf("the harness could not run every case"))
	case !res.OK():
		return exitCode(ExitFailed, fmt.Errorf("%d unproven check(s)", res.Unproven()))
	}
	return nil
}

// proveVariants turns the variant blocks (those matching the patterns)
// into what prove runs, checking each with the reference client's own
// reader, so that a variant the client would refuse fails here.
func proveVariants(defs []*dsl.Variant, patterns []string) ([]prove.Variant, error) {
	var out []prove.Variant
	for _, v := range defs {
		if len(patterns) > 0 && !matchAny(patterns, v.Name) {
			continue
		}
		spec := v.JSON()
		if _, err := refclient.ParseVariant(spec); err != nil {
			return nil, fmt.Errorf("variant %q (%s): %w", v.Name, v.DeclRange, err)
		}
		out = append(out, prove.Variant{Name: v.Name, Description: v.Description, Spec: spec})
	}
	if len(patterns) > 0 && len(out) == 0 {
		var names []string
		for _, v := range defs {
			names = append(names, v.Name)
		}
		return nil, fmt.Errorf("no variant matches --variant %v; the variants are: %s", patterns, strings.Join(names, ", "))
	}
	return out, nil
}
