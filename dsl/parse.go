package dsl

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// MaxFileSize bounds one scenario file.
const MaxFileSize = 16 << 20

// Parser reads scenario files in HCL native syntax (*.hcl) and in HCL's
// JSON form (*.hcl.json), and keeps their sources for rendering
// diagnostics with snippets.
type Parser struct {
	p *hclparse.Parser
}

// NewParser returns an empty Parser.
func NewParser() *Parser { return &Parser{p: hclparse.NewParser()} }

// Files returns the sources parsed so far, by file name, as
// hcl.NewDiagnosticTextWriter wants them.
func (p *Parser) Files() map[string]*hcl.File { return p.p.Files() }

// IsScenarioFile reports whether name has a scenario file extension.
func IsScenarioFile(name string) bool {
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")
}

// ParseSource parses src as the file name; the syntax follows the name's
// extension (.json means the JSON form).
func (p *Parser) ParseSource(name string, src []byte) (*hcl.File, hcl.Diagnostics) {
	if f := p.p.Files()[name]; f != nil {
		return f, nil // parsed before, as hclparse does
	}
	f, diags := parseSyntax(name, src)
	if f != nil {
		p.p.AddFile(name, f)
	}
	return f, diags
}

// ParseSources parses the sources (in memory, in the order given) as
// ParseSource does one by one, but on up to GOMAXPROCS goroutines at once:
// HCL's parsers share no state, so only keeping the files is done in
// order.
func (p *Parser) ParseSources(in []InlineFile) ([]*hcl.File, hcl.Diagnostics) {
	return p.parseEach(len(in), func(i int) int64 { return int64(len(in[i].Bytes)) }, func(i int) (string, []byte, hcl.Diagnostics) {
		return in[i].Name, in[i].Bytes, nil
	})
}

// parseEach parses n sources, each read by load (which may run on any
// goroutine and returns the file's name and bytes, or diagnostics instead
// of bytes), at once, and keeps the files in order.
//
// The largest sources are parsed first (size, where known, tells the time
// a parse takes), so that the last to finish is a small one.
func (p *Parser) parseEach(n int, size func(i int) int64, load func(i int) (string, []byte, hcl.Diagnostics)) ([]*hcl.File, hcl.Diagnostics) {
	type parsed struct {
		name   string
		f      *hcl.File
		diags  hcl.Diagnostics
		unread bool
	}
	out := make([]parsed, n)
	known := p.p.Files() // only read until every parse is done
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sizes := make([]int64, n)
	for i := range sizes {
		sizes[i] = size(i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	parseOne := func(i int) {
		name, src, diags := load(i)
		out[i] = parsed{name: name, diags: diags, unread: diags.HasErrors()}
		if !out[i].unread && known[name] == nil {
			f, ds := parseSyntax(name, src)
			out[i].f, out[i].diags = f, append(diags, ds...)
		}
	}
	forEach(n, runtime.GOMAXPROCS(0), func(k int) { parseOne(order[k]) })
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, r := range out {
		if prev := known[r.name]; prev != nil && !r.unread {
			// The same name again: the file parsed first, and no
			// diagnostics, as hclparse answers.
			files = append(files, prev)
			continue
		}
		diags = append(diags, r.diags...)
		if r.f != nil {
			p.p.AddFile(r.name, r.f)
			files = append(files, r.f)
		}
	}
	return files, diags
}

// parseSyntax parses src as the file name in the syntax its extension
// names, keeping no state.
func parseSyntax(name string, src []byte) (*hcl.File, hcl.Diagnostics) {
	switch {
	case strings.HasSuffix(name, ".json"):
		return hcljson.Parse(src, name)
	case len(src) >= chunkedParseMin:
		return parseConfig(src, name) // parsechunks.go
	default:
		return hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	}
}

// ParsePaths parses files and directories; a directory contributes every
// scenario file below it, in lexical order.
func (p *Parser) ParsePaths(paths []string) ([]*hcl.File, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read scenario file",
				Detail:   fmt.Sprintf("The path %q cannot be read: %s.", path, osReason(err)),
			})
			continue
		}
		if !fi.IsDir() {
			names = append(names, path)
			continue
		}
		var found []string
		_ = filepath.WalkDir(path, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cannot read scenario directory",
					Detail:   fmt.Sprintf("The path %q cannot be read: %s.", q, osReason(err)),
				})
				return nil
			}
			if !d.IsDir() && IsScenarioFile(d.Name()) {
				found = append(found, q)
			}
			return nil
		})
		if len(found) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No scenario files",
				Detail:   fmt.Sprintf("The directory %q holds no *.hcl or *.hcl.json files.", path),
			})
		}
		sort.Strings(found)
		names = append(names, found...)
	}
	size := func(i int) int64 {
		if fi, err := os.Stat(names[i]); err == nil {
			return fi.Size()
		}
		return 0
	}
	files, ds := p.parseEach(len(names), size, func(i int) (string, []byte, hcl.Diagnostics) {
		src, ds := readScenarioFile(names[i])
		return names[i], src, ds
	})
	diags = append(diags, ds...)
	// Recursion through functions of different files.
	if !diags.HasErrors() {
		for _, d := range recursiveFunctions(files) {
			if !slices.ContainsFunc(diags, func(e *hcl.Diagnostic) bool {
				return e.Summary == d.Summary && e.Subject != nil && *e.Subject == *d.Subject
			}) {
				diags = append(diags, d)
			}
		}
	}
	return files, diags
}

// ParseFile parses one file from disk.
func (p *Parser) ParseFile(name string) (*hcl.File, hcl.Diagnostics) {
	src, diags := readScenarioFile(name)
	if diags.HasErrors() {
		return nil, diags
	}
	return p.ParseSource(name, src)
}

// readScenarioFile reads one scenario file, refusing one larger than
// MaxFileSize.
func readScenarioFile(name string) ([]byte, hcl.Diagnostics) {
	fi, err := os.Stat(name)
	if err == nil && fi.Size() > MaxFileSize {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Scenario file too large",
			Detail:   fmt.Sprintf("The file %q is %d bytes; scenario files are limited to %d bytes.", name, fi.Size(), MaxFileSize),
		}}
	}
	src, err := readLimited(name, MaxFileSize)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read scenario file",
			Detail:   fmt.Sprintf("The file %q cannot be read: %s.", name, osReason(err)),
		}}
	}
	if len(src) > MaxFileSize {
		// Not a regular file whose size Stat knew: a device or a pipe
		// that goes on (/dev/zero, /dev/urandom).
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Scenario file too large",
			Detail:   fmt.Sprintf("The file %q holds more than %d bytes; scenario files are limited to %d bytes.", name, MaxFileSize, MaxFileSize),
		}}
	}
	return src, nil
}

// ReadFile reads a scenario file, refusing one larger than MaxFileSize
// (including endless ones such as /dev/zero) without reading it all.
func ReadFile(name string) ([]byte, error) {
	src, err := readLimited(name, MaxFileSize)
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("%s holds more than %d bytes; scenario files are limited to that", name, MaxFileSize)
	}
	return src, nil
}

// readLimited reads at most limit+1 bytes of the named file, so that a
// source that never ends cannot exhaust memory.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func osReason(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// callRE finds the names of function calls in the source text of an
// expression in the JSON form, where no syntax tree is at hand.
var callRE = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_-]*(?:::[A-Za-z_][A-Za-z0-9_-]*)*)\s*\(`)

// recursiveFunctions reports the function blocks whose result calls the
// function itself, directly or through other function blocks. No such
// recursion ever ends, since HCL evaluates both results of a conditional:
// evaluating it would exhaust the stack and crash the program, so it is
// refused here, before any evaluation.
func recursiveFunctions(files []*hcl.File) hcl.Diagnostics {
	builtin := Functions()
	type userFunc struct {
		calls []string
		decl  hcl.Range
	}
	funcs := map[string]*userFunc{}
	var names []string
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "function", LabelNames: []string{"name"}}}}
	for _, f := range files {
		if f == nil || f.Body == nil {
			continue
		}
		content, _, _ := f.Body.PartialContent(schema)
		for _, b := range content.Blocks {
			name := b.Labels[0]
			if _, taken := builtin[name]; taken || funcs[name] != nil {
				continue // diagnosed when the functions are decoded
			}
			attrs, _ := b.Body.JustAttributes()
			result := attrs["result"]
			if result == nil {
				continue
			}
			funcs[name] = &userFunc{calls: calledFunctions(result.Expr, f.Bytes), decl: b.DefRange}
			names = append(names, name)
		}
	}
	var diags hcl.Diagnostics
	for _, name := range names {
		// Breadth first from the functions name calls, back to name.
		from := map[string]string{}
		queue := slices.Clone(funcs[name].calls)
		for _, c := range queue {
			from[c] = name
		}
		found := false
		for len(queue) > 0 && !found {
			c := queue[0]
			queue = queue[1:]
			if c == name {
				found = true
				break
			}
			if funcs[c] == nil {
				continue
			}
			for _, next := range funcs[c].calls {
				if _, seen := from[next]; !seen {
					from[next] = c
					queue = append(queue, next)
				}
			}
		}
		if !found {
			continue
		}
		path := []string{name}
		for at := from[name]; at != name; at = from[at] {
			path = append([]string{at}, path...)
		}
		path = append([]string{name}, path...)
		decl := funcs[name].decl
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Recursive function",
			Detail: fmt.Sprintf("The function %q calls itself (%s). Functions cannot recurse: HCL evaluates both results of a conditional, so the recursion would never end.",
				name, strings.Join(path, " → ")),
			Subject: &decl,
		})
	}
	return diags
}

// calledFunctions lists the names of the functions expr calls.
func calledFunctions(expr hcl.Expression, src []byte) []string {
	var names []string
	if e, ok := expr.(hclsyntax.Expression); ok {
		_ = hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				names = append(names, call.Name)
			}
			return nil
		})
		return names
	}
	r := expr.Range()
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return nil
	}
	for _, m := range callRE.FindAllSubmatch(src[r.Start.Byte:r.End.Byte], -1) {
		names = append(names, string(m[1]))
	}
	return names
}
