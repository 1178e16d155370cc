//go:build bench

// Package hostload tells how much CPU other processes used while a
// benchmark ran, so that a result taken on a busy machine says so. It reads
// the machine's CPU time from /proc/stat and subtracts the benchmark's own
// (this process and the children it waited for, from getrusage).
package hostload

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat; 100 on Linux.
const clockTicks = 100

// Sample is the machine's and this process tree's CPU time at one instant.
type Sample struct {
	at          time.Time
	busy, steal time.Duration // whole machine
	own         time.Duration // this process and its waited-for children
	ok          bool
}

// Take samples now.
func Take() Sample {
	s := Sample{at: time.Now()}
	s.own = rusage(syscall.RUSAGE_SELF) + rusage(syscall.RUSAGE_CHILDREN)
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	var v [8]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	tick := time.Second / clockTicks
	s.busy = time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick
	s.steal = time.Duration(v[7]) * tick
	s.ok = true
	return s
}

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

// Since describes the CPU that other processes used (and that the
// hypervisor stole) between s and now.
func (s Sample) Since() string {
	e := Take()
	if !s.ok || !e.ok {
		return "other processes' CPU use: unknown (no /proc/stat)"
	}
	wall := e.at.Sub(s.at)
	other := (e.busy - s.busy) - (e.own - s.own)
	if other < 0 {
		other = 0
	}
	steal := e.steal - s.steal
	return fmt.Sprintf("other processes used %.2f CPU-s and the hypervisor stole %.2f CPU-s during these %.1f s (%.0f%% and %.0f%% of %d CPUs)",
		other.Seconds(), steal.Seconds(), wall.Seconds(),
		100*other.Seconds()/wall.Seconds()/float64(runtime.NumCPU()),
		100*steal.Seconds()/wall.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU())
}
