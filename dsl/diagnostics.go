package dsl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// WriteDiagnostics renders diagnostics for a terminal: severity and
// summary, the location as file:line:col (so that editors and CI
// annotations can jump to it) with the enclosing block, the source lines
// of the subject, the values of the variables the expression referenced,
// and the detail.
//
// Diagnostics are written in source order (hcl reports some in map order),
// and lines longer than MaxDiagnosticLine bytes are shortened.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	for _, d := range SortDiagnostics(diags) {
		var buf bytes.Buffer
		writeDiagnostic(&buf, files, d)
		if _, err := w.Write(shortenLines(buf.Bytes(), MaxDiagnosticLine)); err != nil {
			return err
		}
	}
	return nil
}

func writeDiagnostic(buf *bytes.Buffer, files map[string]*hcl.File, d *hcl.Diagnostic) {
	severity := "Error"
	if d.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	fmt.Fprintf(buf, "%s: %s\n\n", severity, d.Summary)
	if r := d.Subject; r != nil {
		f := files[r.Filename]
		in := ""
		if c := blockContext(f, r.Start.Byte); c != "" {
			in = ", in " + c
		}
		fmt.Fprintf(buf, "  on %s:%d:%d%s:\n", r.Filename, r.Start.Line, r.Start.Column, in)
		if f == nil || f.Bytes == nil {
			buf.WriteString("  (source code not available)\n")
		} else {
			snip := *r
			if d.Context != nil {
				snip = hcl.RangeOver(snip, *d.Context)
			}
			if snip.Empty() {
				snip.End.Byte++
			}
			sc := hcl.NewRangeScanner(f.Bytes, r.Filename, bufio.ScanLines)
			for sc.Scan() {
				if sc.Range().Overlaps(snip) {
					fmt.Fprintf(buf, "%4d: %s\n", sc.Range().Start.Line, sc.Bytes())
				}
			}
		}
		buf.WriteString("\n")
		if d.Expression != nil && d.EvalContext != nil {
			writeExpressionValues(buf, d.Expression, d.EvalContext)
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(buf, "%s\n\n", d.Detail)
	}
}

// writeExpressionValues lists the known values of the variables expr
// refers to, in name order.
func writeExpressionValues(buf *bytes.Buffer, expr hcl.Expression, ctx *hcl.EvalContext) {
	seen := map[string]bool{}
	var lines []string
	for _, t := range expr.Variables() {
		v, diags := t.TraverseAbs(ctx)
		name := traversalString(t)
		if diags.HasErrors() || seen[name] || !v.IsWhollyKnown() {
			continue
		}
		seen[name] = true
		lines = append(lines, name+" = "+renderValue(v, 200))
	}
	sort.Strings(lines)
	for i, l := range lines {
		prefix := "  where "
		if i > 0 {
			prefix = "        "
		}
		buf.WriteString(prefix + l + "\n")
	}
	if len(lines) > 0 {
		buf.WriteString("\n")
	}
}

// traversalString renders a traversal as written, such as a.b[0].
func traversalString(t hcl.Traversal) string {
	var sb strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(s.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			sb.WriteString("[" + renderValue(s.Key, 40) + "]")
		default:
			sb.WriteString("[*]")
		}
	}
	return sb.String()
}

// MaxDiagnosticLine bounds a rendered diagnostic line, so that a
// megabyte-long source line does not flood the terminal.
const MaxDiagnosticLine = 500

// SortDiagnostics returns diags with the errors before the warnings, each
// ordered by file and position; diagnostics without a location come first,
// and equal positions keep their order.
func SortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity == hcl.DiagError
		}
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	return out
}

func shortenLines(b []byte, max int) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		if len(l) > max {
			cut := max
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			lines[i] = append(append([]byte{}, l[:cut]...), []byte("…")...)
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

// blockContext names the blocks that enclose the byte offset in f, outer
// first: `scenario "s", case "c", check "x"`. For the JSON form it falls
// back to hcl's own navigation, which names the outermost block.
func blockContext(f *hcl.File, offset int) string {
	if f == nil {
		return ""
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		if nav, ok := f.Nav.(interface{ ContextString(int) string }); ok {
			return nav.ContextString(offset)
		}
		return ""
	}
	var parts []string
	for body != nil {
		var inner *hclsyntax.Body
		for _, b := range body.Blocks {
			if r := b.Range(); offset >= r.Start.Byte && offset < r.End.Byte {
				s := b.Type
				for _, l := range b.Labels {
					s += fmt.Sprintf(" %q", l)
				}
				parts = append(parts, s)
				inner = b.Body
				break
			}
		}
		body = inner
	}
	return strings.Join(parts, ", ")
}

// dedupeDiagnostics drops repeats of a diagnostic: a check of a check set
// is checked for every case that includes it, and finds the same mistake
// each time.
func dedupeDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
		located         bool
	}
	seen := map[key]bool{}
	out := diags[:0:0]
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject, k.located = *d.Subject, true
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
