package dsl

import (
	"bytes"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diagnostics for a terminal with hcl's text
// writer (a source snippet under each), with the location given as
// file:line:col so that editors and CI annotations can jump to it.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	for _, d := range diags {
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
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}
