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
	// origin names what was loaded, for messages: "the scenario files",
	// "the built-in suite" or "the embedded official catalogue".
	origin string
}

// release drops the definitions and syntax trees that only compiling
// needed (dsl.Loaded.Release); the plan and the sources stay.
func (c *compiled) release() {
	l := dsl.Loaded{Config: c.cfg, Files: c.files}
	l.Release()
	c.cfg, c.files = nil, l.Files
}

// source is what a command loads.
type source struct {
	paths []string
	// catalogue, when there are no paths, loads the embedded official
	// catalogue (catalogue/*.hcl) instead of the built-in suite.
	catalogue bool
}

// compile loads paths, or the built-in suite when there are none, through
// the front door of the language.
func compile(paths []string, opts dsl.Options) *compiled {
	return compileFrom(source{paths: paths}, opts)
}

// compileFrom loads src through the front door of the language, under
// the heap watchdog.
func compileFrom(src source, opts dsl.Options) *compiled {
	return compileGuarded(func() *compiled { return compileUnguarded(src, opts) })
}

func compileUnguarded(src source, opts dsl.Options) *compiled {
	in := dsl.Source{Paths: src.paths}
	origin := "the scenario files"
	switch {
	case len(src.paths) > 0:
	case src.catalogue:
		// The same embedded folder the tests prove (testclient.CataloguePlan),
		// named catalogue/<file> as on disk.
		fs, err := dsl.SourceFS(wifdsl.Catalogue, "catalogue")
		if err != nil {
			return &compiled{files: map[string]*hcl.File{}, origin: "the embedded official catalogue", diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Cannot read the embedded catalogue", Detail: err.Error() + ".",
			}}}
		}
		// With the built-in suite: its auth/wif-jwt-bearer is the
		// catalogue's, one scenario, not two.
		fs.Inline = append(fs.Inline, dsl.InlineFile{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite})
		in, origin = fs, "the embedded official catalogue"
	default:
		in.Inline = []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}
		origin = "the built-in suite"
	}
	l, diags := dsl.Load(in, opts)
	return &compiled{files: l.Files, cfg: l.Config, plan: l.Plan, diags: diags, origin: origin}
}

// loadWith compiles and prints diagnostics; errors give exit code 2.
func loadWith(src source, opts dsl.Options, stderr io.Writer) (*compiled, error) {
	c := compileFrom(src, opts)
	writeDiags(stderr, c.files, c.diags)
	if c.diags.HasErrors() {
		return nil, exitCode(ExitUsage, fmt.Errorf("%d error(s) in %s", countErrors(c.diags), c.origin))
	}
	return c, nil
}

// loadCommand is the start of the authoring commands that show a
// compiled configuration: check --format, read --var values and the
// selection's flags, compile what the selection names.
func loadCommand(format string, paths, vars []string, sel *selection, stderr io.Writer) (*compiled, error) {
	if format != "text" && format != "json" {
		return nil, exitCode(ExitUsage, fmt.Errorf("--format must be text or json, not %q", format))
	}
	v, err := parseVars(vars)
	if err != nil {
		return nil, exitCode(ExitUsage, err)
	}
	opts, err := sel.options(v)
	if err != nil {
		return nil, exitCode(ExitUsage, err)
	}
	return loadWith(sel.source(paths), opts, stderr)
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
