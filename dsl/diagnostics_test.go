package dsl_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/dsl"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Each folder under testdata/diagnostics is a broken configuration; its
// want.txt holds the exact diagnostics, as rendered for a terminal.
// Run with -update to rewrite them after a deliberate change.
func TestDiagnosticsCorpus(t *testing.T) {
	dirs, err := filepath.Glob("testdata/diagnostics/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 25 {
		t.Fatalf("the corpus has %d cases; it should keep at least 25", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := diagnose(t, dir)
			golden := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dsl -run TestDiagnosticsCorpus -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("diagnostics differ from %s\n--- got ---\n%s\n--- want ---\n%s", golden, got, want)
			}
			if len(bytes.TrimSpace(got)) == 0 {
				t.Errorf("no diagnostics for a broken configuration")
			}
		})
	}
}

// diagnose parses, decodes and compiles every scenario file in dir, named
// relative to it, and renders all diagnostics.
func diagnose(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if dsl.IsScenarioFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	p := dsl.NewParser()
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		f, ds := p.ParseSource(n, src)
		diags = append(diags, ds...)
		if f != nil {
			files = append(files, f)
		}
	}
	if !diags.HasErrors() {
		cfg, ds := dsl.Decode(files)
		diags = append(diags, ds...)
		_, ds = cfg.Compile()
		diags = append(diags, ds...)
	}
	var buf bytes.Buffer
	if err := dsl.WriteDiagnostics(&buf, p.Files(), diags); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
