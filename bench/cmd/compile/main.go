// Command compile parses and compiles scenario files the way wifdsl does
// before a run (dsl.NewParser().ParsePaths, then dsl.Compile) and exits:
// 0 when they compile, 2 with diagnostics otherwise. It stands in for
// `wifdsl validate` in the compile-speed benchmark and prints how many
// scenarios and cases it compiled and how long parsing and compiling took.
//
//	go run ./bench/cmd/compile FILE...
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/dsl"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compile FILE|DIR...")
		os.Exit(2)
	}
	t0 := time.Now()
	p := dsl.NewParser()
	files, diags := p.ParsePaths(os.Args[1:])
	t1 := time.Now()
	if !diags.HasErrors() {
		plan, ds := dsl.Compile(files)
		diags = append(diags, ds...)
		t2 := time.Now()
		if !diags.HasErrors() {
			fmt.Printf("compiled %d scenarios, %d cases: parse %.1f ms, compile %.1f ms\n",
				len(plan.Scenarios), len(plan.Cases()), ms(t1.Sub(t0)), ms(t2.Sub(t1)))
			os.Exit(0)
		}
	}
	w := hcl.NewDiagnosticTextWriter(os.Stderr, p.Files(), 100, false)
	_ = w.WriteDiagnostics(diags)
	os.Exit(2)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
