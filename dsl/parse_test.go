package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// ParseSources parses at once what ParseSource parses one by one: the
// same files, in the order given, with the same diagnostics in the same
// order, whatever order the parses finish in. The same name twice is one
// file, parsed once, as ParseSource answers; both syntaxes are read.
func TestParseSourcesMatchesOneByOne(t *testing.T) {
	in := []InlineFile{
		{Name: "a.hcl", Bytes: []byte("scenario \"a\" {\n  description = \"a\"\n}\n")},
		{Name: "broken.hcl", Bytes: []byte("scenario \"b\" {\n  description = \n")},
		{Name: "c.hcl.json", Bytes: []byte(`{"scenario": {"c": {"description": "c"}}}`)},
		{Name: "a.hcl", Bytes: []byte("this is not even HCL {{{")},
		{Name: "also-broken.hcl", Bytes: []byte("requirement \"R\" {\n  level = \n")},
	}
	for i := 0; i < 40; i++ {
		in = append(in, InlineFile{Name: fmt.Sprintf("gen%02d.hcl", i), Bytes: fmt.Appendf(nil, "scenario \"s%d\" {\n  description = \"%s\"\n}\n", i, make([]byte, i*97))})
	}
	one := NewParser()
	var wantFiles []*hcl.File
	var wantDiags hcl.Diagnostics
	for _, f := range in {
		file, ds := one.ParseSource(f.Name, f.Bytes)
		wantDiags = append(wantDiags, ds...)
		if file != nil {
			wantFiles = append(wantFiles, file)
		}
	}
	for range 20 {
		all := NewParser()
		files, diags := all.ParseSources(in)
		if fmt.Sprint(diags) != fmt.Sprint(wantDiags) {
			t.Fatalf("diagnostics:\n%v\nwant\n%v", diags, wantDiags)
		}
		if len(files) != len(wantFiles) {
			t.Fatalf("%d files, want %d", len(files), len(wantFiles))
		}
		for i := range files {
			if string(files[i].Bytes) != string(wantFiles[i].Bytes) {
				t.Fatalf("file %d is %q, want %q", i, files[i].Bytes, wantFiles[i].Bytes)
			}
		}
		if files[0] != files[3] {
			t.Error("a.hcl given twice is not one file")
		}
		if !reflect.DeepEqual(keys(all.Files()), keys(one.Files())) {
			t.Errorf("files by name %v, want %v", keys(all.Files()), keys(one.Files()))
		}
	}
}

// ParsePaths parses files and directories at once with the same result as
// one by one: unreadable paths, broken files and their order included.
func TestParsePathsOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	paths := []string{
		write("z.hcl", "scenario \"z\" {}\n"),
		filepath.Join(dir, "missing.hcl"),
		write("broken.hcl", "scenario \"b\" {\n"),
		write("a.hcl", "scenario \"a\" {}\n"),
	}
	files, diags := NewParser().ParsePaths(paths)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Body.MissingItemRange().Filename))
	}
	if got := fmt.Sprint(names); got != "[z.hcl broken.hcl a.hcl]" {
		t.Errorf("files %s, want [z.hcl broken.hcl a.hcl]", got)
	}
	if len(diags) != 2 || diags[0].Summary != "Cannot read scenario file" || diags[1].Subject == nil || filepath.Base(diags[1].Subject.Filename) != "broken.hcl" {
		t.Errorf("diagnostics %v", diags)
	}
}

func keys(m map[string]*hcl.File) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
