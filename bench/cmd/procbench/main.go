//go:build bench

// Command procbench measures whole processes: wall time, CPU time (user
// plus system, the process and every descendant it waited for) and peak
// resident set size (the largest single process of that tree), read from
// the rusage that wait4 returns for each run. It runs several commands in
// turns, so that a change in the machine's speed during the run affects
// them alike, and prints the median, minimum and maximum of each, and the
// ratios of each command's medians to the first command's.
//
//	procbench [-n 20] [-warmup 2] [-timeout 60s] -- LABEL ARGV... [:: LABEL ARGV...]...
//
// Commands run without a shell, with stdin, stdout and stderr on
// /dev/null (-passthrough keeps stdout and stderr); their exit status is
// recorded, not judged. The last line tells how much CPU other processes
// used meanwhile: a busy machine makes every number worse.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wifdsl/wifdsl/bench/internal/hostload"
)

type command struct {
	label string
	argv  []string
	wall  []time.Duration
	cpu   []time.Duration
	rss   []int64 // KiB
	exits map[int]int
}

func main() {
	n := flag.Int("n", 20, "measured runs of each command")
	warmup := flag.Int("warmup", 2, "unmeasured runs of each command first")
	timeout := flag.Duration("timeout", 60*time.Second, "kill a run after this long")
	passthrough := flag.Bool("passthrough", false, "let the commands write to this stdout and stderr")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: procbench [-n N] [-warmup N] [-timeout D] -- LABEL ARGV... [:: LABEL ARGV...]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	cmds, err := parse(flag.Args())
	if err != nil || *n < 1 || *warmup < 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "procbench:", err)
		}
		flag.Usage()
		os.Exit(2)
	}
	load := hostload.Take()
	for i := 0; i < *warmup+*n; i++ {
		// Rotate the order so that no command always runs first.
		for j := range cmds {
			c := cmds[(i+j)%len(cmds)]
			wall, cpu, rss, code, err := runOnce(c.argv, *timeout, *passthrough)
			if err != nil {
				fmt.Fprintf(os.Stderr, "procbench: %s: %v\n", c.label, err)
				os.Exit(1)
			}
			if i < *warmup {
				continue
			}
			c.wall = append(c.wall, wall)
			c.cpu = append(c.cpu, cpu)
			c.rss = append(c.rss, rss)
			c.exits[code]++
		}
	}
	report(cmds, *n, *warmup)
	fmt.Printf("\n%s\n", load.Since())
}

func parse(args []string) ([]*command, error) {
	var cmds []*command
	var cur []string
	flush := func() error {
		if len(cur) < 2 {
			return errors.New("each command needs a label and an argv")
		}
		cmds = append(cmds, &command{label: cur[0], argv: cur[1:], exits: map[int]int{}})
		cur = nil
		return nil
	}
	for _, a := range args {
		if a == "::" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, a)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return cmds, nil
}

func runOnce(argv []string, timeout time.Duration, passthrough bool) (wall, cpu time.Duration, rssKiB int64, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if passthrough {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if ctx.Err() != nil {
		return 0, 0, 0, 0, fmt.Errorf("did not finish within %v", timeout)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 0, 0, 0, 0, err
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, 0, 0, errors.New("no rusage")
	}
	cpu = tv(ru.Utime) + tv(ru.Stime)
	return wall, cpu, ru.Maxrss, cmd.ProcessState.ExitCode(), nil
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

func med[T int64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func report(cmds []*command, n, warmup int) {
	fmt.Printf("procbench: %d measured runs of each command (after %d warm-up runs), in turns\n\n", n, warmup)
	for _, c := range cmds {
		fmt.Printf("%s: %s\n", c.label, strings.Join(c.argv, " "))
	}
	fmt.Println()
	fmt.Printf("%-24s %10s %10s %10s   %10s %10s   %11s %11s   %s\n",
		"command", "wall ms", "min", "max", "cpu ms", "min", "rss MiB", "max", "exit codes")
	for _, c := range cmds {
		var codes []string
		for code, k := range c.exits {
			codes = append(codes, fmt.Sprintf("%d×%d", k, code))
		}
		slices.Sort(codes)
		fmt.Printf("%-24s %10.1f %10.1f %10.1f   %10.1f %10.1f   %11.1f %11.1f   %s\n",
			c.label, ms(med(c.wall)), ms(slices.Min(c.wall)), ms(slices.Max(c.wall)),
			ms(med(c.cpu)), ms(slices.Min(c.cpu)),
			float64(med(c.rss))/1024, float64(slices.Max(c.rss))/1024, strings.Join(codes, " "))
	}
	if len(cmds) < 2 {
		return
	}
	base := cmds[0]
	fmt.Printf("\nratios of medians to %s (wall, cpu, peak rss):\n", base.label)
	for _, c := range cmds[1:] {
		fmt.Printf("  %-24s wall %.3f (1/%.1f)   cpu %.3f (1/%.1f)   rss %.3f (1/%.1f)\n", c.label,
			ratio(ms(med(c.wall)), ms(med(base.wall))), ratio(ms(med(base.wall)), ms(med(c.wall))),
			ratio(ms(med(c.cpu)), ms(med(base.cpu))), ratio(ms(med(base.cpu)), ms(med(c.cpu))),
			ratio(float64(med(c.rss)), float64(med(base.rss))), ratio(float64(med(base.rss)), float64(med(c.rss))))
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
