package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procAlive reports whether pid exists and is not a zombie.
func procAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// groupAlive lists the live processes of process group pgid.
func groupAlive(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			out = append(out, pid)
		}
	}
	return out
}

// TestInterruptedRun sends SIGINT or SIGTERM to a wifdsl run whose clients
// hang, and requires: what was observed so far on stdout, exit status 130,
// and no client process left behind.
func TestInterruptedRun(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the client's processes")
	}
	wifdsl, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Skip("the wifdsl test command is not on PATH")
	}
	for _, tt := range []struct {
		name   string
		signal syscall.Signal
		format string
	}{
		{"sigint-text", syscall.SIGINT, "text"},
		{"sigterm-json", syscall.SIGTERM, "json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			pgidFile := filepath.Join(dir, "pgid")
			const jobs = 2
			client := fmt.Sprintf("echo $$ >> '%s'; exec wifdsl reference-client -bug hang-start", pgidFile)
			cmd := exec.Command(wifdsl, "run", "--client", client, "-j", strconv.Itoa(jobs), "--timeout", "5m", "--format", tt.format)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
				}
			}()

			// Wait until both workers run a hanging client.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
				b, _ := os.ReadFile(pgidFile)
				if strings.Count(string(b), "\n") >= jobs {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the clients did not start; stderr %s", stderr.String())
				}
			}
			if err := cmd.Process.Signal(tt.signal); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(time.Minute):
				t.Fatalf("wifdsl did not exit within a minute of %v", tt.signal)
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit status %d, want 130; stderr %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "wifdsl: interrupted") {
				t.Errorf("stderr does not say the run was interrupted: %s", stderr.String())
			}
			switch tt.format {
			case "text":
				out := stdout.String()
				for _, want := range []string{"client killed: run interrupted (before any request)", "interrupted: results so far"} {
					if n := strings.Count(out, want); n == 0 || (want != "interrupted: results so far" && n != jobs) {
						t.Errorf("stdout has %q %d times:\n%s", want, n, out)
					}
				}
			case "json":
				var doc struct {
					Interrupted bool `json:"interrupted"`
					Cases       []struct {
						Case     string `json:"case"`
						Timeline []struct {
							Text string `json:"text"`
						} `json:"timeline"`
					} `json:"cases"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
					t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout.String())
				}
				if !doc.Interrupted || len(doc.Cases) != jobs {
					t.Errorf("interrupted %v, %d cases; want true, %d", doc.Interrupted, len(doc.Cases), jobs)
				}
				for _, c := range doc.Cases {
					if n := len(c.Timeline); n == 0 || !strings.Contains(c.Timeline[n-1].Text, "run interrupted") {
						t.Errorf("case %s timeline %+v", c.Case, c.Timeline)
					}
				}
			}
			// No client process outlives the run.
			b, _ := os.ReadFile(pgidFile)
			for _, f := range strings.Fields(string(b)) {
				pgid, _ := strconv.Atoi(f)
				if left := groupAlive(pgid); len(left) > 0 {
					t.Errorf("client process group %d still has %v", pgid, left)
					for _, pid := range left {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
				if procAlive(pgid) {
					t.Errorf("client %d is still running", pgid)
				}
			}
		})
	}
}

// TestHostileClientsEndOnTime runs wifdsl on clients that hang or leave
// children behind: it exits with the verdict's status well within the
// case budgets, and no client process outlives it.
func TestHostileClientsEndOnTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the client's processes")
	}
	wifdsl, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Skip("the wifdsl test command is not on PATH")
	}
	for _, tt := range []struct {
		bug, caseName string
		status        int
		stdout        string
	}{
		{"hang-start", "happy-path", 1, "client killed at the case timeout (before any request)"},
		{"hang", "rejected-scope", 1, "(after the token endpoint's error response)"},
		{"fork", "happy-path", 0, "PASS  auth/wif-jwt-bearer/happy-path"},
	} {
		t.Run(tt.bug, func(t *testing.T) {
			t.Parallel()
			pgidFile := filepath.Join(t.TempDir(), "pgid")
			client := fmt.Sprintf("echo $$ >> '%s'; exec wifdsl reference-client -bug %s", pgidFile, tt.bug)
			cmd := exec.Command(wifdsl, "run", "--client", client, "--case", tt.caseName, "--timeout", "3s", "--fail-fast", "1s", "-v")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-exited:
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("wifdsl did not exit within a minute; the case budget is 3 s")
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.status {
				t.Errorf("exit status %d, want %d\n%s%s", code, tt.status, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout does not say %q:\n%s", tt.stdout, stdout.String())
			}
			b, _ := os.ReadFile(pgidFile)
			pgids := strings.Fields(string(b))
			if len(pgids) != 1 {
				t.Fatalf("client process groups %v", pgids)
			}
			pgid, _ := strconv.Atoi(pgids[0])
			if left := groupAlive(pgid); len(left) > 0 {
				t.Errorf("client process group %d still has %v", pgid, left)
				for _, pid := range left {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		})
	}
}
