//go:build bench

// Command cliprof runs a wifdsl command line in-process -n times under the
// CPU profiler, for finding what a whole `wifdsl run` spends its time on:
//
//	go run ./bench/cmd/cliprof -n 50 -o /tmp/run.pprof -- run --client /bin/true
//	go tool pprof -top /tmp/run.pprof
//
// -allocs FILE also writes the allocation profile of the runs.
//
// The command's own output is discarded. Note that `run` without --client
// starts the bundled reference client from os.Executable(), which is this
// program: give --client.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/wifdsl/wifdsl/internal/cli"
)

func main() {
	n := flag.Int("n", 20, "how many times to run the command line")
	out := flag.String("o", "cpu.pprof", "CPU profile file")
	allocs := flag.String("allocs", "", "also write the allocation profile of the runs to this file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cliprof:", err)
		os.Exit(2)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "cliprof:", err)
		os.Exit(2)
	}
	start := time.Now()
	codes := map[int]int{}
	for i := 0; i < *n; i++ {
		codes[cli.Run(flag.Args(), io.Discard, io.Discard)]++
	}
	elapsed := time.Since(start)
	pprof.StopCPUProfile()
	if *allocs != "" {
		if err := writeAllocs(*allocs); err != nil {
			fmt.Fprintln(os.Stderr, "cliprof:", err)
			os.Exit(2)
		}
	}
	fmt.Printf("%d runs in %v (%.1f ms each), exit codes %v; profile in %s\n",
		*n, elapsed.Round(time.Millisecond), float64(elapsed)/float64(time.Millisecond)/float64(*n), codes, *out)
}

// writeAllocs writes the allocation profile (go tool pprof
// -sample_index=alloc_space) to name.
func writeAllocs(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
