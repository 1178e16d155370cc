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

// paceRunGC starts from the GOGC whose least heap goal is the target,
// raises GOGC after a collection leaves the live heap well under the
// target, and restores it; a process that is not wifdsl's own, or one run
// with GOGC set, keeps its GOGC.
func TestPaceRunGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if restore := paceRunGC(runHeapTarget); gcPercent() != 100 {
		t.Errorf("not wifdsl's own process: GOGC %d", gcPercent())
		restore()
	}
	ownsRuntime.Store(true)
	defer ownsRuntime.Store(false)

	restore := paceRunGC(8 << 20)
	if p := gcPercent(); p != 200 {
		t.Errorf("GOGC %d before the first collection, want 200 (a least heap goal of 8 MiB)", p)
	}
	restore()

	// A target far above what stays live.
	restore = paceRunGC(64 << 20)
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
	restore = paceRunGC(64 << 20)
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC set: GOGC %d while paced, want 100", p)
	}
	restore()
}

// releaseCompileHeap collects and hands the heap back in wifdsl's own
// process, and does nothing in another or when GOGC is set.
func TestReleaseCompileHeap(t *testing.T) {
	t.Setenv("GOGC", "")
	forced := forcedGCs()
	releaseCompileHeap()
	if forcedGCs() != forced {
		t.Error("a collection in a process that is not wifdsl's own")
	}
	ownsRuntime.Store(true)
	defer ownsRuntime.Store(false)
	releaseCompileHeap()
	if forcedGCs() == forced {
		t.Error("no collection once compiled: the compilation's heap was not handed back")
	}
	t.Setenv("GOGC", "100")
	forced = forcedGCs()
	releaseCompileHeap()
	if forcedGCs() != forced {
		t.Error("GOGC set: a collection anyway")
	}
}
