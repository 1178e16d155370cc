package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// ownLoopbackListeners lists the ports this process listens on at
// 127.0.0.1: the stub servers of the cases it runs.
func ownLoopbackListeners(t *testing.T) []int {
	t.Helper()
	mine := map[string]bool{}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(l, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Skip("needs /proc/net/tcp")
	}
	defer f.Close()
	var ports []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 || fl[3] != "0A" || !strings.HasPrefix(fl[1], "0100007F:") || !mine[fl[9]] {
			continue
		}
		p, _ := strconv.ParseInt(strings.TrimPrefix(fl[1], "0100007F:"), 16, 32)
		ports = append(ports, int(p))
	}
	return ports
}

// meddle plays a local process that is not the client: it sends every
// stub this process runs what would change verdicts if it were counted
// (the metadata a client that skips discovery never fetches, token
// requests with junk, MCP requests) and returns how many it sent and how
// many were refused.
func meddle(t *testing.T) (sent, refused int) {
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, port := range ownLoopbackListeners(t) {
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		reqs := []func() (*http.Response, error){
			func() (*http.Response, error) { return hc.Get(base + "/.well-known/oauth-authorization-server") },
			func() (*http.Response, error) { return hc.Get(base + "/.well-known/oauth-protected-resource/mcp") },
			func() (*http.Response, error) {
				return hc.PostForm(base+"/token", url.Values{"grant_type": {"junk"}, "assertion": {"junk"}})
			},
			func() (*http.Response, error) {
				return hc.Post(base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`))
			},
		}
		for _, do := range reqs {
			resp, err := do()
			if err != nil {
				continue
			}
			resp.Body.Close()
			sent++
			if resp.StatusCode == http.StatusForbidden {
				refused++
			}
		}
	}
	return sent, refused
}

// TestForeignRequestsCannotChangeVerdicts: while a case runs, another
// process fetches the metadata, posts junk token requests and calls the
// MCP endpoint. None of it reaches the records: a client that skips
// discovery still fails wif-discovery (and the official
// authorization-server-metadata observation), a conformant client still
// passes every check, and the requests are counted as foreign.
func TestForeignRequestsCannotChangeVerdicts(t *testing.T) {
	needProc(t)
	for _, tt := range []struct {
		bug       string
		wantFails []string
	}{
		{"no-discovery", []string{"wif-discovery", "authorization-server-metadata"}},
		{"", nil},
	} {
		t.Run("bug="+tt.bug, func(t *testing.T) {
			dir := t.TempDir()
			ready := filepath.Join(dir, "ready")
			// The client waits until the meddling is done, then runs.
			client := fmt.Sprintf("touch %s; while [ ! -e %s.go ]; do sleep 0.01; done; exec %s",
				shellQuote(ready), shellQuote(ready), testclient.Command(tt.bug))
			done := make(chan *engine.CaseResult)
			go func() {
				done <- engine.RunCase(context.Background(), suiteCase(t, "happy-path"), engine.Options{Command: client, Timeout: 30 * time.Second})
			}()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the client did not start")
				}
			}
			sent, refused := meddle(t)
			if err := os.WriteFile(ready+".go", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			cr := <-done
			if sent < 8 || refused != sent {
				t.Errorf("%d foreign requests sent, %d refused", sent, refused)
			}
			if cr.Observations.ForeignRequests < 8 {
				t.Errorf("%d foreign requests counted", cr.Observations.ForeignRequests)
			}
			var fails []string
			for _, ch := range cr.Checks {
				if ch.Status != engine.StatusSuccess {
					fails = append(fails, ch.ID)
				}
			}
			if strings.Join(fails, ",") != strings.Join(tt.wantFails, ",") {
				t.Errorf("checks not passed %v, want %v", fails, tt.wantFails)
				logCase(t, cr)
			}
		})
	}
}
