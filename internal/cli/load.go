package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

// varFlag adds --var NAME=VALUE to cmd.
func varFlag(cmd *cobra.Command, vars *[]string) {
	cmd.Flags().StringArrayVar(vars, "var", nil, "set a scenario variable: --var NAME=VALUE (repeatable)")
}

func parseVars(vars []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var takes NAME=VALUE, not %q", v)
		}
		out[name] = value
	}
	return out, nil
}

// compiled is the outcome of loading scenario files, whatever was found.
type compiled struct {
	files map[string]*hcl.File
	cfg   *dsl.Config
	plan  *engine.Plan
	diags hcl.Diagnostics
}

// compile loads paths, or the built-in suite when there are none, through
// the front door of the language.
func compile(paths []string, opts dsl.Options) *compiled {
	return compileGuarded(paths, opts, compileUnguarded)
}

func compileUnguarded(paths []string, opts dsl.Options) *compiled {
	src := dsl.Source{Paths: paths}
	if len(paths) == 0 {
		src.Inline = []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}
	}
	l, diags := dsl.Load(src, opts)
	return &compiled{files: l.Files, cfg: l.Config, plan: l.Plan, diags: diags}
}

// loadWith compiles and prints diagnostics; errors give exit code 2.
func loadWith(paths []string, opts dsl.Options, stderr io.Writer) (*compiled, error) {
	c := compile(paths, opts)
	writeDiags(stderr, c.files, c.diags)
	if c.diags.HasErrors() {
		return nil, exitCode(ExitUsage, fmt.Errorf("%d error(s) in the scenario files", countErrors(c.diags)))
	}
	return c, nil
}

// loadCommand is the start of the authoring commands that show a
// compiled configuration: check --format, read --var values, compile.
func loadCommand(format string, paths, vars []string, stderr io.Writer) (*compiled, error) {
	if format != "text" && format != "json" {
		return nil, exitCode(ExitUsage, fmt.Errorf("--format must be text or json, not %q", format))
	}
	v, err := parseVars(vars)
	if err != nil {
		return nil, exitCode(ExitUsage, err)
	}
	return loadWith(paths, dsl.Options{Vars: v}, stderr)
}

// jsonDiagnostic is one diagnostic in -json output.
type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
	Snippet  string     `json:"snippet,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func toJSONDiags(files map[string]*hcl.File, diags hcl.Diagnostics) []jsonDiagnostic {
	out := []jsonDiagnostic{}
	for _, d := range dsl.SortDiagnostics(diags) {
		jd := jsonDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			r := d.Subject
			jd.Range = &jsonRange{
				Filename: r.Filename,
				Start:    jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      jsonPos{r.End.Line, r.End.Column, r.End.Byte},
			}
			if f := files[r.Filename]; f != nil {
				jd.Snippet = lineOf(f.Bytes, r.Start.Line)
			}
		}
		out = append(out, jd)
	}
	return out
}

func lineOf(src []byte, line int) string {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	l := lines[line-1]
	if len(l) > 400 {
		l = l[:400] + "…"
	}
	return l
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
