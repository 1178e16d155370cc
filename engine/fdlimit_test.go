package engine

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestOutOfDescriptorsIsAHarnessError: with every file descriptor in use,
// starting a client fails with an error that says so and that the runner
// reports as a harness error, not as a client that could not be started.
// The descriptors are used up in a child process, so this test process
// keeps its own.
func TestOutOfDescriptorsIsAHarnessError(t *testing.T) {
	if os.Getenv("WIFDSL_FD_CHILD") == "1" {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
		lim.Cur = 256
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skip(err)
		}
		var held []*os.File
		for {
			f, err := os.Open(os.DevNull)
			if err != nil {
				break
			}
			held = append(held, f)
		}
		_, err := startClient("true", nil, os.Environ(), 0, nil)
		he := startFailure(err)
		for _, f := range held {
			f.Close()
		}
		if he == nil || !strings.Contains(he.Error(), "out of file descriptors") {
			t.Fatalf("start error %v, harness error %v", err, he)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutOfDescriptorsIsAHarnessError$", "-test.v")
	cmd.Env = append(os.Environ(), "WIFDSL_FD_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("%v\n%s", err, out)
	}
	if startFailure(exec.ErrNotFound) != nil {
		t.Error("a missing client command is not a harness error")
	}
}
