package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestRunGCPercent(t *testing.T) {
	for _, tc := range []struct {
		live, target uint64
		want         int
	}{
		{0, 8 << 20, minRunGCPercent},
		{8 << 20, 8 << 20, minRunGCPercent},
		{8 << 20, 4 << 20, minRunGCPercent},
		{4 << 20, 6 << 20, minRunGCPercent}, // 50%, raised to the least
		{3 << 20, 12 << 20, 300},
		{1 << 20, 32 << 20, maxRunGCPercent}, // 3100%, bounded
		{2 << 20, 6 << 20, 150},              // 200%, but the least heap goal would be 8 MiB
		{1 << 20, 3 << 20, minRunGCPercent},  // a small run: the least heap goal is already over
	} {
		if got := runGCPercent(tc.live, tc.target); got != tc.want {
			t.Errorf("runGCPercent(%d, %d) = %d, want %d", tc.live, tc.target, got, tc.want)
		}
	}
}

// forcedGCs reads how many collections were forced so far.
func forcedGCs() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// gcPercent reads GOGC as set.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// paceRunGC raises GOGC after a collection leaves the live heap well under
// the heap goal it started with, and restores it; a process that is not
// wifdsl's own, or one run with GOGC set, keeps its GOGC.
func TestPaceRunGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if restore := paceRunGC(); gcPercent() != 100 {
		t.Errorf("not wifdsl's own process: GOGC %d", gcPercent())
		restore()
	}
	ownsRuntime.Store(true)
	defer ownsRuntime.Store(false)

	// A heap goal far above what stays live.
	held := make([][]byte, 0, 64)
	for range 64 {
		held = append(held, make([]byte, 256<<10))
	}
	runtime.GC()
	runtime.KeepAlive(held)
	held = nil

	restore := paceRunGC()
	deadline := time.Now().Add(10 * time.Second)
	for gcPercent() <= minRunGCPercent && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := gcPercent(); p <= minRunGCPercent || p > maxRunGCPercent {
		t.Errorf("GOGC %d while paced, want above %d and at most %d", p, minRunGCPercent, maxRunGCPercent)
	}
	restore()
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after restore, want 100", p)
	}
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after a collection once restored, want 100", p)
	}

	t.Setenv("GOGC", "100")
	restore = paceRunGC()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC set: GOGC %d while paced, want 100", p)
	}
	restore()
}

// paceCompileGC raises GOGC while the plan compiles and keeps it for
// paceRunGC once compiled; restore puts back the previous one. A process
// that is not wifdsl's own, or one run with GOGC set, keeps its GOGC.
func TestPaceCompileGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	compiled, restore := paceCompileGC()
	if p := gcPercent(); p != 100 {
		t.Errorf("not wifdsl's own process: GOGC %d", p)
	}
	compiled()
	restore()

	ownsRuntime.Store(true)
	defer ownsRuntime.Store(false)
	compiled, restore = paceCompileGC()
	if p := gcPercent(); p != compileGCPercent {
		t.Errorf("GOGC %d while compiling, want %d", p, compileGCPercent)
	}
	forced := forcedGCs()
	compiled()
	if forcedGCs() == forced {
		t.Error("no collection once compiled: the compilation's heap was not handed back")
	}
	if p := gcPercent(); p != compileGCPercent {
		t.Errorf("GOGC %d once compiled, want %d (paceRunGC starts from it)", p, compileGCPercent)
	}
	restore()
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after restore, want 100", p)
	}

	t.Setenv("GOGC", "100")
	compiled, restore = paceCompileGC()
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC set: GOGC %d while compiling, want 100", p)
	}
	compiled()
	restore()
}
