package dsl_test

import (
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/dsl"
)

// A requirement or a variant repeated word for word in another file is
// one definition; any difference is a duplicate.
func TestIdenticalDefinitionsMayRepeat(t *testing.T) {
	shared := `
requirement "r" {
  level = MUST
  text  = "The client does r."
}
variant "v" {
  description = "exits 0"
  exit_code   = 0
}
`
	scenario := `
scenario "s" {
  case "c" {
    check "x" {
      verifies  = requirement.r
      condition = true
    }
  }
}
`
	load := func(files ...string) (*dsl.Loaded, string) {
		var in []dsl.InlineFile
		for i, f := range files {
			in = append(in, dsl.InlineFile{Name: string(rune('a'+i)) + ".hcl", Bytes: []byte(f)})
		}
		l, diags := dsl.Load(dsl.Source{Inline: in}, dsl.Options{})
		if !diags.HasErrors() {
			return l, ""
		}
		return l, diags.Error()
	}
	l, errs := load(shared+scenario, shared)
	if errs != "" {
		t.Fatalf("identical repeats: %s", errs)
	}
	if n := len(l.Config.Variants); n != 1 {
		t.Errorf("%d variants, want 1", n)
	}
	for name, other := range map[string]string{
		"requirement text":    strings.Replace(shared, "does r.", "does q.", 1),
		"requirement level":   strings.Replace(shared, "MUST", "SHOULD", 1),
		"variant description": strings.Replace(shared, "exits 0", "exits zero", 1),
		"variant field":       strings.Replace(shared, "exit_code   = 0", "exit_code   = 1", 1),
	} {
		if _, errs := load(shared+scenario, other); !strings.Contains(errs, "Duplicate") {
			t.Errorf("%s differs: %q, want a duplicate error", name, errs)
		}
	}
}
