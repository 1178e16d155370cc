package dsl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wifdsl/wifdsl/internal/scengen"
	"github.com/wifdsl/wifdsl/internal/soak"
)

// Parsing a large file in pieces gives the blocks, ranges and diagnostics
// of parsing it whole, including when cuts fall inside heredocs, comments
// and blocks, and when the file is broken.
func TestChunkedParseMatchesWhole(t *testing.T) {
	var tricky strings.Builder
	for i := 0; i < 2400; i++ {
		fmt.Fprintf(&tricky, "locals {\n  text_%d = <<EOT\nscenario \"not-a-block-%d\" {\ncheck \"x\" {}\nEOT\n}\n/*\nscenario \"in-a-comment\" {\n*/\nscenario \"s%d\" {\n  description = \"x\"\n}\n", i, i, i)
	}
	// 120 scenarios are just over chunkedParseMin; WIFDSL_SOAK=1 (see
	// package soak) parses 300.
	big := scengen.String(scengen.Options{Scenarios: soak.Runs(120, 300), Large: true})
	for name, src := range map[string]string{
		"generated":      big,
		"tricky":         tricky.String(),
		"broken":         big + "\nscenario \"unclosed\" {\n",
		"top attributes": big + "\nstray = 1\n" + big,
	} {
		t.Run(name, func(t *testing.T) {
			if len(src) < chunkedParseMin {
				t.Fatalf("%d bytes: too small to be parsed in pieces", len(src))
			}
			got, gd := parseConfig([]byte(src), "f.hcl")
			want, wd := hclsyntax.ParseConfig([]byte(src), "f.hcl", hcl.InitialPos)
			if fmt.Sprint(gd) != fmt.Sprint(wd) {
				t.Fatalf("diagnostics differ:\n%v\n%v", gd, wd)
			}
			gb, wb := got.Body.(*hclsyntax.Body), want.Body.(*hclsyntax.Body)
			if len(gb.Blocks) != len(wb.Blocks) || len(gb.Attributes) != len(wb.Attributes) {
				t.Fatalf("%d blocks and %d attributes, want %d and %d", len(gb.Blocks), len(gb.Attributes), len(wb.Blocks), len(wb.Attributes))
			}
			for i := range gb.Blocks {
				g, w := gb.Blocks[i], wb.Blocks[i]
				if g.Type != w.Type || strings.Join(g.Labels, ",") != strings.Join(w.Labels, ",") || g.Range() != w.Range() || g.Body.SrcRange != w.Body.SrcRange {
					t.Fatalf("block %d: %s %q at %v, want %s %q at %v", i, g.Type, g.Labels, g.Range(), w.Type, w.Labels, w.Range())
				}
			}
			if gb.SrcRange != wb.SrcRange {
				t.Errorf("body range %v, want %v", gb.SrcRange, wb.SrcRange)
			}
		})
	}
}
