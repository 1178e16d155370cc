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

// runHeapTarget is the heap `run` lets grow between two collections
// (paceRunGC), as long as what stays live is at most half of it.
const runHeapTarget = 8 << 20

// Bounds of the GOGC that paceRunGC sets.
const (
	minRunGCPercent = 100
	maxRunGCPercent = 400
)

// paceRunGC paces the garbage collector for the whole of `run`: after each
// collection it sets GOGC so that the next one comes when the heap reaches
// target (see runGCPercent), and returns what restores the previous GOGC.
//
// Go's default pacing (GOGC=100) collects each time the live heap doubles,
// from a least heap goal of 4 MiB. That suits neither phase of a run:
//   - Compiling is mostly HCL's lexer and parser, whose garbage (the token
//     slices, about 40% of what compiling the catalogue allocates) dies
//     young while what stays live grows slowly to a few MiB: the catalogue
//     collected seven times before its first case ran.
//   - Once the plan is compiled and the syntax trees are released
//     (dsl.Loaded.Release, then releaseCompileHeap), little stays live,
//     and a run of many short cases would collect each time it allocates
//     a few MiB: for the catalogue, a sixth of a run's CPU time.
//
// A fixed target instead lets each phase grow to the same heap, the one
// that decides the peak RSS anyway, and no further: a live heap of a third
// of the target does not raise the heap goal to three times itself, as a
// fixed higher GOGC would (measured on the catalogue at GOGC=200: the
// compilation's peak then moved with the timing of its collections). On
// the embedded catalogue it is about 10% less wall time and 7% less CPU
// than Go's default pacing, for about 1.6 MiB (6%) more peak RSS
// (BENCHMARKS.md, "Round two"). A run whose live heap grows past half the
// target (many cases that keep their results) is paced as by default.
//
// Nothing changes when GOGC is set, or when the process is not wifdsl's
// own.
func paceRunGC(target uint64) (restore func()) {
	if !ownsRuntime.Load() || os.Getenv("GOGC") != "" {
		return func() {}
	}
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() (uint64, bool) {
		metrics.Read(m)
		if m[0].Value.Kind() != metrics.KindUint64 {
			return 0, false
		}
		return m[0].Value.Uint64(), true
	}
	var mu sync.Mutex
	done := false
	// Before the first collection the live heap is not known: the least
	// heap goal is the target.
	prev := debug.SetGCPercent(int(max(min(target*100/runtimeHeapMinimum, maxRunGCPercent), minRunGCPercent)))
	afterEachGC(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return false
		}
		if l, ok := live(); ok {
			debug.SetGCPercent(runGCPercent(l, target))
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

// releaseCompileHeap collects what only compiling needed, once the syntax
// trees are released, and hands the free heap back to the operating system
// (debug.FreeOSMemory): the pages the compilation touched then do not add
// to those the run touches. Without it the run's peak RSS is the two
// phases' heaps together. `run` calls it in the background, as its first
// cases start. Nothing happens when GOGC is set, or when the
// process is not wifdsl's own.
func releaseCompileHeap() {
	if ownsRuntime.Load() && os.Getenv("GOGC") == "" {
		debug.FreeOSMemory()
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
