package engine

import (
	"os"
	"os/exec"
	"testing"
)

// lastPid reads the kernel's last pid afresh each time, though its file
// stays open: after a process starts, it is at least that process's pid.
func TestLastPidIsFresh(t *testing.T) {
	before, ok := lastPid()
	if !ok {
		t.Skip("no /proc/sys/kernel/ns_last_pid here")
	}
	for range 3 {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		after, ok := lastPid()
		if !ok || after < cmd.Process.Pid || after == before {
			t.Fatalf("last pid %d, then %d (ok %v) after starting pid %d", before, after, ok, cmd.Process.Pid)
		}
		before = after
	}
}

// readProcFile reads what os.ReadFile reads, reusing and growing one
// buffer, also when a file is larger than the buffer or smaller than the
// previous file.
func TestReadProcFile(t *testing.T) {
	var buf []byte
	for _, name := range []string{"/proc/self/environ", "/proc/self/comm", "/proc/self/environ", "/proc/version", "/proc/self/cmdline"} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Skip(err)
		}
		got, err := readProcFile(name, &buf)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: %q (%v), want %q", name, got, err, want)
		}
	}
	if _, err := readProcFile("/proc/0/environ", &buf); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
