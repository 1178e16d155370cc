//go:build bench

// Command compile parses and compiles scenario files the way wifdsl does
// before a run (dsl.Load) and exits:
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

	"github.com/wifdsl/wifdsl/dsl"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compile FILE|DIR...")
		os.Exit(2)
	}
	// The parse stage alone, for the breakdown; then the front door.
	t0 := time.Now()
	_, _ = dsl.NewParser().ParsePaths(os.Args[1:])
	t1 := time.Now()
	l, diags := dsl.Load(dsl.Source{Paths: os.Args[1:]}, dsl.Options{})
	t2 := time.Now()
	if !diags.HasErrors() {
		parse, load := t1.Sub(t0), t2.Sub(t1)
		fmt.Printf("compiled %d scenarios, %d cases: parse %.1f ms, compile %.1f ms\n",
			len(l.Plan.Scenarios), len(l.Plan.Cases()), ms(parse), ms(load-parse))
		os.Exit(0)
	}
	_ = dsl.WriteDiagnostics(os.Stderr, l.Files, diags)
	os.Exit(2)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
