//go:build bench

// Command gen-scenarios writes a scenario file with N generated scenarios
// (internal/scengen) for the compile-speed benchmark.
//
//	go run ./bench/cmd/gen-scenarios -n 1000 -o /tmp/gen-1000.hcl
//	go run ./bench/cmd/gen-scenarios -n 1000 -large -o /tmp/gen-1000-large.hcl
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wifdsl/wifdsl/internal/scengen"
)

func main() {
	n := flag.Int("n", 1000, "number of scenarios")
	large := flag.Bool("large", false, "the large scenario shape (4 cases each) instead of the small one (2)")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "gen-scenarios: -n must be at least 1")
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen-scenarios:", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	if err := scengen.Write(w, scengen.Options{Scenarios: *n, Large: *large}); err != nil {
		fmt.Fprintln(os.Stderr, "gen-scenarios:", err)
		os.Exit(2)
	}
}
