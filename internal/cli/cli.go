package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/internal/refclient"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailed    = 1
	ExitUsage     = 2
	ExitInterrupt = 130
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs the command line with os.Args and returns the exit code.
func Main() int {
	keepSIGPIPE()
	ownsRuntime.Store(true)
	return Run(os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs the command line with args and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	// wifdsl's own output is neutralized; the reference client's output
	// and fmt's formatted source are not wifdsl's to change.
	if len(args) == 0 || (args[0] != "reference-client" && args[0] != "fmt") {
		so, se := newTermOutput(stdout), newTermOutput(stderr)
		defer so.flush()
		defer se.flush()
		stdout, stderr = so, se
	}
	root := NewRoot(stdout, stderr)
	defer tuneGC(args)()
	root.SetArgs(normalizeArgs(root, args))
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "wifdsl: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, commands, wrong arguments.
	fmt.Fprintf(stderr, "wifdsl: %v\nRun 'wifdsl --help' for usage.\n", err)
	return ExitUsage
}

// normalizeArgs accepts Go-style single-dash long flags (-json, -check,
// -diff) by rewriting them to the double-dash form cobra parses. Arguments
// of the reference client and anything after "--" are left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	if len(args) > 0 && args[0] == "reference-client" {
		return args
	}
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && long[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// NewRoot builds the command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "wifdsl",
		Short: "Conformance tests for MCP clients using Workload Identity Federation (SEP-1933)",
		Long: `wifdsl runs an MCP client against built-in stub authorization and MCP
servers, following scenarios written in HCL, and judges how it handles the
RFC 7523 JWT-bearer grant: the happy path, and rejections of a correct client
(expired, wrong audience, rejected subject, replayed jti, rejected scope,
invalid request, unauthorized client) where it must not retry, fall back,
hang, fail silently or leak secrets.`,
		Version:       wifdsl.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newRunCmd(stdout, stderr),
		newValidateCmd(stdout, stderr),
		newFmtCmd(stdout, stderr),
		newListCmd(stdout, stderr),
		newPlanCmd(stdout, stderr),
		newProveCmd(stdout, stderr),
		newNewCmd(stdout, stderr),
		newReferenceClientCmd(stdout, stderr),
	)
	return root
}

func newReferenceClientCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "reference-client [-bug NAME | -variant JSON] MCP_URL",
		Short: "Run the bundled conformant reference client (or a broken variant of it)",
		Long: `The bundled reference client: a Workload Identity Federation client on the
official Go SDK that exchanges valid_jwt of MCP_CONFORMANCE_CONTEXT for an
access token with the RFC 7523 JWT-bearer grant. 'wifdsl run' uses it when no
--client is given, and 'wifdsl prove' runs it as the conformant client and as
each variant block of the scenario files (handed over as JSON in ` + refclient.EnvVariant + `).

-bug NAME selects a named variant; -variant JSON any combination of the
deviations a variant block can describe. 'wifdsl reference-client --help'
lists the named variants.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := refclient.Main(args, stdout, stderr); code != 0 {
				return exitCode(code, nil)
			}
			return nil
		},
	}
}

func countErrors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

func writeDiags(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	_ = dsl.WriteDiagnostics(w, files, diags)
}
