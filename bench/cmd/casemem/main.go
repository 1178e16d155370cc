//go:build bench

// Command casemem measures how memory grows with the number of cases a run
// holds: it compiles a generated file of N cases (internal/scengen), runs every
// case against a client that exits at once, and prints the heap in use
// after compiling and after the run, and the peak RSS, so that a run of
// 1,000 cases and one of 10,000 can be compared.
//
//	go run ./bench/cmd/casemem -cases 10000 [-memprofile FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/scengen"
)

func main() {
	cases := flag.Int("cases", 10000, "number of cases (two per generated scenario)")
	jobs := flag.Int("j", 2, "cases at once")
	memprofile := flag.String("memprofile", "", "write a heap profile after the run")
	flag.Parse()
	src := scengen.String(scengen.Options{Scenarios: (*cases + 1) / 2})
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: "gen.hcl", Bytes: []byte(src)}}}, dsl.Options{})
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, diags)
		os.Exit(2)
	}
	plan := l.Plan
	src = ""
	afterCompile := heapMiB()
	res, err := engine.Run(context.Background(), plan, engine.Options{Command: "true", Parallel: *jobs})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	afterRun := heapMiB()
	if *memprofile != "" {
		out, err := os.Create(*memprofile)
		if err == nil {
			_ = pprof.WriteHeapProfile(out)
			out.Close()
		}
	}
	n := len(res.Cases)
	fmt.Printf("cases %d: heap after compile %.1f MiB, after run %.1f MiB (%.1f KiB per case held), peak RSS %s\n",
		n, afterCompile, afterRun, (afterRun-afterCompile)*1024/float64(max(n, 1)), peakRSS())
	runtime.KeepAlive(plan)
	runtime.KeepAlive(res)
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// peakRSS is VmHWM from /proc/self/status.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}
