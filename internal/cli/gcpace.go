package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// ownsRuntime is set by Main: only a process of its own may retune the
// garbage collector for the length of a command. Run, called in-process
// (by the tests, many at once), leaves it as it is.
var ownsRuntime atomic.Bool

// compileGCPercent is the GOGC while `run` compiles its plan (see
// paceCompileGC).
const compileGCPercent = 200

// paceCompileGC sets the garbage collector's target while a run's plan is
// compiled, and returns what ends that phase once the syntax trees are
// released (dsl.Loaded.Release).
//
// Compiling is mostly HCL's lexer and parser, whose garbage (the token
// slices, about 40% of what the embedded catalogue allocates) dies young
// while what stays live grows slowly: at GOGC=100 the runtime's least heap
// goal of 4 MiB made the catalogue collect seven times before its first
// case ran. At compileGCPercent the least goal is 8 MiB, the heap the run
// grows to anyway (paceRunGC), and it collects three or four times.
//
// What the returned function does: one collection, of everything that only
// compiling needed, and the free heap handed back to the operating system
// (debug.FreeOSMemory), so that the pages the compilation touched do not
// add to the pages the run touches; without it the higher goal costs as
// much peak RSS as it saves time. It leaves GOGC at compileGCPercent for
// paceRunGC, whose target is then the least goal of that GOGC. restore
// puts back the GOGC from before.
//
// Nothing changes when GOGC is set, or when the process is not wifdsl's
// own.
func paceCompileGC() (compiled, restore func()) {
	if !ownsRuntime.Load() || os.Getenv("GOGC") != "" {
		return func() {}, func() {}
	}
	prev := debug.SetGCPercent(compileGCPercent)
	return debug.FreeOSMemory, func() { debug.SetGCPercent(prev) }
}

// Bounds of the GOGC that paceRunGC sets.
const (
	minRunGCPercent = 100
	maxRunGCPercent = 400
)

// paceRunGC paces the garbage collector while a run's plan runs, after the
// syntax trees are released (dsl.Loaded.Release). The live heap is then
// small, while the heap the compilation grew to stays with the process;
// Go's default pacing (GOGC=100) would still collect each time the live
// heap doubles: for the embedded catalogue, most of the collections of a
// run, at a sixth of its CPU time. Instead, after each collection GOGC is
// set so that the next one comes when the heap reaches the heap goal the
// compilation ended with (see runGCPercent): the run then collects less
// often, and its heap stays within what the compilation's could grow to.
// On the embedded catalogue that is about 5% less wall time for about one
// MiB more peak RSS (BENCHMARKS.md, "The official catalogue").
// A run whose live heap grows (many cases keep their results) is paced as
// by default. It returns what restores the previous GOGC. Nothing changes
// when GOGC is set, or when the process is not wifdsl's own.
func paceRunGC() (restore func()) {
	if !ownsRuntime.Load() || os.Getenv("GOGC") != "" {
		return func() {}
	}
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	read := func() (live, goal uint64, ok bool) {
		metrics.Read(m)
		if m[0].Value.Kind() != metrics.KindUint64 || m[1].Value.Kind() != metrics.KindUint64 {
			return 0, 0, false
		}
		return m[0].Value.Uint64(), m[1].Value.Uint64(), true
	}
	live, goal, ok := read()
	if !ok {
		return func() {}
	}
	target := goal
	percent := func(live uint64) int { return runGCPercent(live, target) }
	var mu sync.Mutex
	done := false
	prev := debug.SetGCPercent(percent(live))
	afterEachGC(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return false
		}
		if live, _, ok := read(); ok {
			debug.SetGCPercent(percent(live))
		}
		return true
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			done = true
			debug.SetGCPercent(prev)
		}
	}
}

// runGCPercent is the GOGC under which a heap of live bytes grows to
// target before the next collection, bounded by minRunGCPercent and
// maxRunGCPercent, and such that the runtime's least heap goal, which
// grows with GOGC (4 MiB at 100), stays within target.
func runGCPercent(live, target uint64) int {
	if live == 0 || target <= live {
		return minRunGCPercent
	}
	p := min((target-live)*100/live, maxRunGCPercent, target*100/runtimeHeapMinimum)
	return int(max(p, minRunGCPercent))
}

// runtimeHeapMinimum is the Go runtime's least heap goal at GOGC=100; it
// scales with GOGC.
const runtimeHeapMinimum = 4 << 20

// gcSentinel is an object nothing refers to, whose cleanup tells that a
// collection has run.
type gcSentinel struct{ _ [4]*byte }

// afterEachGC calls f after each garbage collection, on the runtime's
// cleanup goroutine, for as long as f returns true.
func afterEachGC(f func() bool) {
	runtime.AddCleanup(new(gcSentinel), func(f func() bool) {
		if f() {
			afterEachGC(f)
		}
	}, f)
}
