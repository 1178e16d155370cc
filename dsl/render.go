package dsl

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diagnostics for a terminal with hcl's text
// writer (a source snippet under each), with the location given as
// file:line:col so that editors and CI annotations can jump to it.
//
// Diagnostics are written in source order (hcl reports some in map order),
// and lines longer than MaxDiagnosticLine bytes are shortened.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	for _, d := range SortDiagnostics(diags) {
		var buf bytes.Buffer
		dw := hcl.NewDiagnosticTextWriter(&buf, files, 0, false)
		if err := dw.WriteDiagnostic(d); err != nil {
			return err
		}
		out := buf.Bytes()
		if d.Subject != nil {
			r := d.Subject
			old := []byte(fmt.Sprintf("  on %s line %d", r.Filename, r.Start.Line))
			loc := []byte(fmt.Sprintf("  on %s:%d:%d", r.Filename, r.Start.Line, r.Start.Column))
			out = bytes.Replace(out, old, loc, 1)
		}
		if _, err := w.Write(shortenLines(out, MaxDiagnosticLine)); err != nil {
			return err
		}
	}
	return nil
}

// MaxDiagnosticLine bounds a rendered diagnostic line, so that a
// megabyte-long source line does not flood the terminal.
const MaxDiagnosticLine = 500

// SortDiagnostics returns diags ordered by file and position; diagnostics
// without a location come first, and equal positions keep their order.
func SortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
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
