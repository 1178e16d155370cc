package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangingRun starts a real wifdsl run whose clients hang before any
// request, with -o and --junit, and waits until jobs clients run. It
// returns the command, the file the clients' pids go to, and the report
// paths.
type hangingRun struct {
	cmd            *exec.Cmd
	pidFile        string
	outDir, junit  string
	stdout, stderr bytes.Buffer
	exited         chan error
	stdoutPipe     io.ReadCloser
	jobs           int
	t              *testing.T
}

func startHangingRun(t *testing.T, format string, pipeStdout bool) *hangingRun {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the client's processes")
	}
	wifdsl, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Skip("the wifdsl test command is not on PATH")
	}
	dir := t.TempDir()
	h := &hangingRun{pidFile: filepath.Join(dir, "pids"), outDir: filepath.Join(dir, "results"), junit: filepath.Join(dir, "junit.xml"), jobs: 2, t: t}
	client := fmt.Sprintf("echo $$ >> '%s'; exec wifdsl reference-client -bug hang-start", h.pidFile)
	h.cmd = exec.Command(wifdsl, "run", "--client", client, "-j", strconv.Itoa(h.jobs), "--timeout", "5m",
		"--format", format, "-o", h.outDir, "--junit", h.junit)
	h.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	h.cmd.Stderr = &h.stderr
	if pipeStdout {
		if h.stdoutPipe, err = h.cmd.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
	} else {
		h.cmd.Stdout = &h.stdout
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.exited = make(chan error, 1)
	if !pipeStdout {
		go func() { h.exited <- h.cmd.Wait() }()
	}
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			_ = h.cmd.Process.Kill()
		}
		h.killLeft()
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if len(h.pids()) >= h.jobs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clients did not start; stderr %s", h.stderr.String())
		}
	}
	return h
}

func (h *hangingRun) pids() []int {
	b, _ := os.ReadFile(h.pidFile)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		out = append(out, pid)
	}
	return out
}

func (h *hangingRun) killLeft() {
	for _, pid := range h.pids() {
		for _, p := range groupAlive(pid) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

// wait waits for wifdsl to exit and returns its status.
func (h *hangingRun) wait() int {
	h.t.Helper()
	select {
	case <-h.exited:
	case <-time.After(time.Minute):
		h.t.Fatalf("wifdsl did not exit within a minute")
	}
	return h.cmd.ProcessState.ExitCode()
}

// noClientLeft requires every client process (and its group) to be gone,
// waiting at most wait for them to die.
func (h *hangingRun) noClientLeft(wait time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var left []int
		for _, pid := range h.pids() {
			left = append(left, groupAlive(pid)...)
			if procAlive(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Errorf("client processes still running: %v", left)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reportsWritten requires the JUnit report and a results directory per
// interrupted case.
func (h *hangingRun) reportsWritten() {
	h.t.Helper()
	b, err := os.ReadFile(h.junit)
	if err != nil {
		h.t.Errorf("--junit was not written: %v", err)
	} else if err := xml.Unmarshal(b, new(struct{})); err != nil {
		h.t.Errorf("--junit is not XML: %v", err)
	}
	if bytes.Contains(b, []byte("<failure")) || !bytes.Contains(b, []byte(`name="status" value="INTERRUPTED"`)) {
		h.t.Errorf("--junit does not mark the cases interrupted, or blames the client:\n%s", b)
	}
	dirs, _ := filepath.Glob(filepath.Join(h.outDir, "auth", "wif-jwt-bearer-*", "checks.json"))
	if len(dirs) != h.jobs {
		h.t.Errorf("%d results directories, want %d", len(dirs), h.jobs)
	}
	for _, d := range dirs {
		b, _ := os.ReadFile(d)
		var checks []struct {
			Status  string         `json:"status"`
			Details map[string]any `json:"details"`
		}
		if err := json.Unmarshal(b, &checks); err != nil || len(checks) == 0 {
			h.t.Errorf("%s: %v", d, err)
		}
		for _, c := range checks {
			if c.Status != "SKIPPED" || c.Details["caseStatus"] != "INTERRUPTED" {
				h.t.Errorf("%s: a check is %s %v, want SKIPPED in an INTERRUPTED case", d, c.Status, c.Details)
			}
		}
	}
}

// stdoutMarksInterrupted requires the report on stdout to give the cases
// their own status, never FAILURE.
func (h *hangingRun) stdoutMarksInterrupted(format string) {
	h.t.Helper()
	out := h.stdout.String()
	if strings.Contains(out, "FAILURE") || strings.Contains(out, "FAIL ") {
		h.t.Errorf("%s report blames the client:\n%s", format, out)
	}
	switch format {
	case "text":
		if strings.Count(out, "INTERRUPTED auth/wif-jwt-bearer/") != h.jobs {
			h.t.Errorf("text report:\n%s", out)
		}
	case "markdown":
		if strings.Count(out, "(interrupted, not judged)") != h.jobs {
			h.t.Errorf("markdown report:\n%s", out)
		}
	case "json":
		var doc struct {
			Interrupted bool `json:"interrupted"`
			Summary     struct {
				Failed, Interrupted int
			} `json:"summary"`
			Cases []struct {
				Status string `json:"status"`
			} `json:"cases"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			h.t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if !doc.Interrupted || doc.Summary.Failed != 0 || doc.Summary.Interrupted != h.jobs || len(doc.Cases) != h.jobs {
			h.t.Errorf("JSON report: %+v", doc)
		}
		for _, c := range doc.Cases {
			if c.Status != "INTERRUPTED" {
				h.t.Errorf("JSON case status %q", c.Status)
			}
		}
	}
}

// TestSignalsEndTheRun sends each signal that ends a run to a wifdsl whose
// clients hang: exit 130, reports written, no client left.
func TestSignalsEndTheRun(t *testing.T) {
	for _, tt := range []struct {
		sig    syscall.Signal
		format string
		cause  string
	}{
		{syscall.SIGHUP, "text", "SIGHUP"},
		{syscall.SIGQUIT, "json", "SIGQUIT"},
		{syscall.SIGINT, "markdown", "SIGINT"},
		{syscall.SIGTERM, "text", "SIGTERM"},
	} {
		t.Run(tt.cause, func(t *testing.T) {
			t.Parallel()
			h := startHangingRun(t, tt.format, false)
			if err := h.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := h.wait(); code != 130 {
				t.Errorf("exit status %d, want 130; stderr %s", code, h.stderr.String())
			}
			if !strings.Contains(h.stderr.String(), "wifdsl: interrupted by "+tt.cause) {
				t.Errorf("stderr does not name %s: %s", tt.cause, h.stderr.String())
			}
			if strings.Contains(h.stderr.String(), "goroutine ") {
				t.Errorf("a stack dump: %s", h.stderr.String())
			}
			h.noClientLeft(0)
			h.reportsWritten()
			h.stdoutMarksInterrupted(tt.format)
		})
	}
}

// TestStraySIGPIPEIsIgnored: the kernel raises SIGPIPE when a stub server
// writes to a connection the client has closed (a TLS client that hangs up
// early does it every run). With stdout and stderr still read, a SIGPIPE
// must not end the run; a later SIGTERM does, and is named as the cause.
func TestStraySIGPIPEIsIgnored(t *testing.T) {
	h := startHangingRun(t, "json", false)
	for range 3 {
		if err := h.cmd.Process.Signal(syscall.SIGPIPE); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-h.exited:
		h.exited <- err
		t.Fatalf("a SIGPIPE with the outputs still read ended the run: %v; stderr %s", err, h.stderr.String())
	case <-time.After(time.Second):
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := h.wait(); code != 130 {
		t.Errorf("exit status %d, want 130; stderr %s", code, h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "wifdsl: interrupted by SIGTERM") {
		t.Errorf("stderr does not name SIGTERM: %s", h.stderr.String())
	}
	h.noClientLeft(0)
	h.reportsWritten()
}

// TestClosedStdoutEndsTheRun: wifdsl run … | head -1. The reader goes away
// after the first line; the run ends at once with its reports written and
// no client left.
func TestClosedStdoutEndsTheRun(t *testing.T) {
	h := startHangingRun(t, "text", true)
	line, err := bufio.NewReader(h.stdoutPipe).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "wifdsl ") {
		t.Fatalf("first line %q, %v", line, err)
	}
	h.stdoutPipe.Close()
	go func() { h.exited <- h.cmd.Wait() }()
	if code := h.wait(); code != 130 {
		t.Errorf("exit status %d, want 130; stderr %s", code, h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "wifdsl: interrupted by ") {
		t.Errorf("stderr: %s", h.stderr.String())
	}
	h.noClientLeft(0)
	h.reportsWritten()
}

// TestClientsDieWithWifdsl: after kill -9 of wifdsl, its clients die too
// (the kernel's parent-death signal).
func TestClientsDieWithWifdsl(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	h := startHangingRun(t, "text", false)
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.wait()
	// SIGKILL is delivered asynchronously: give the kernel a moment.
	h.noClientLeft(30 * time.Second)
}

// TestRunawayScenarioIsADiagnostic: a scenario whose locals build a list of
// 64 million elements without a function call is stopped by the compile
// budget with a diagnostic and exit 2, not a runtime crash.
func TestRunawayScenarioIsADiagnostic(t *testing.T) {
	t.Parallel()
	wifdsl, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Skip("the wifdsl test command is not on PATH")
	}
	dir := t.TempDir()
	src := `locals {
  k   = range(1000)
  big = flatten([for a in local.k : [for b in local.k : [for c in range(64) : c]]])
}
requirement "r" {
  level = MUST
  text  = "r"
}
scenario "s" {
  case "c" {
    check "x" {
      verifies  = requirement.r
      condition = length(local.big) > 0
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "big.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"validate", "run"} {
		cmd := exec.Command(wifdsl, sub, filepath.Join(dir, "big.hcl"))
		cmd.Env = append(os.Environ(), "WIFDSL_COMPILE_MEMORY_MIB=128", "GORACE=atexit_sleep_ms=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 2 {
			t.Errorf("%s: exit %d (%v), want 2; stderr %s", sub, code, err, shortText(stderr.String()))
		}
		if !strings.Contains(stderr.String(), "out of budget") || strings.Contains(stderr.String(), "goroutine ") {
			t.Errorf("%s: stderr %s", sub, shortText(stderr.String()))
		}
	}
}

func shortText(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
