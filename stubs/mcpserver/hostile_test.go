package mcpserver

// Malformed HTTP sent over raw loopback connections to the MCP stub: each
// request is recorded (when it reaches the handler) or refused by the HTTP
// server with the right status; the stub never crashes; slow clients are
// cut off by the server's timeouts.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/rawhttp"
)

func rawMCP(host, path, token, contentType, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json, text/event-stream\r\n", path, host)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	return []byte(b.String())
}

func TestMalformedHTTP(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	addr := strings.TrimPrefix(s.BaseURL(), "http://")
	path := DefaultPath
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"` + strings.Repeat("p", 5<<20) + `"}}`
	tests := []struct {
		name     string
		raw      []byte
		status   int
		recorded bool
		check    func(t *testing.T, m MCPRequest)
	}{
		{"no token", rawMCP(addr, path, "", "application/json", initBody), 401, true, func(t *testing.T, m MCPRequest) {
			if m.HasBearer || m.RPCMethod != "initialize" {
				t.Errorf("%+v", m)
			}
		}},
		{"unknown token", rawMCP(addr, path, "forged", "application/json", initBody), 401, true, func(t *testing.T, m MCPRequest) {
			if !m.HasBearer || m.IssuedToken {
				t.Errorf("%+v", m)
			}
		}},
		{"form instead of JSON", rawMCP(addr, path, issuedToken, "application/x-www-form-urlencoded", "a=b"), 415, true, nil},
		{"invalid JSON", rawMCP(addr, path, issuedToken, "application/json", `{"jsonrpc":`), 400, true, func(t *testing.T, m MCPRequest) {
			if m.RPCMethod != "" || !m.IssuedToken {
				t.Errorf("%+v", m)
			}
		}},
		{"invalid UTF-8 and NUL", rawMCP(addr, path, issuedToken, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\x00\"}"), 400, true, nil},
		{"body over the SDK's limit", rawMCP(addr, path, issuedToken, "application/json", big), 413, true, func(t *testing.T, m MCPRequest) {
			if m.RPCMethod != "" || len(m.RPCMethods) != 0 {
				t.Errorf("a body beyond the recording cap was parsed: %+v", m)
			}
		}},
		{"garbage request line", []byte("\x16\x03\x01 TLS hello?\r\n\r\n"), 400, false, nil},
		{"header without a colon", []byte("POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nno colon\r\n\r\n"), 400, false, nil},
		{"headers over 64 KiB", rawMCP(addr, path, strings.Repeat("t", 128<<10), "application/json", initBody), 431, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.RequestCount()
			if got := rawhttp.Exchange(t, addr, tt.raw); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
			if recorded := s.RequestCount() == before+1; recorded != tt.recorded {
				t.Fatalf("recorded %v, want %v (count %d → %d)", recorded, tt.recorded, before, s.RequestCount())
			}
			if !tt.recorded {
				return
			}
			m := lastMCP(t, s)
			if m.Status != tt.status {
				t.Errorf("recorded status %d, sent %d", m.Status, tt.status)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
	// Still up and still correct.
	resp := post(t, s.URL(), initBody, map[string]string{"Authorization": "Bearer " + issuedToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("initialize after the malformed requests: %s", resp.Status)
	}
}

func TestSlowClientsAreCutOff(t *testing.T) {
	// The server's timeouts are 5 s for the headers and 10 s for a body;
	// the test waits for a fifth of them. It is not parallel, so no other
	// server runs meanwhile.
	if s := start(t, Config{ValidToken: issuedOnly}); s.srv.ReadHeaderTimeout != 5*time.Second || bodyReadTimeout != 10*time.Second {
		t.Fatalf("timeouts %v and %v, want 5s and 10s", s.srv.ReadHeaderTimeout, bodyReadTimeout)
	}
	defer func(h, b time.Duration) { readHeaderTimeout, bodyReadTimeout = h, b }(readHeaderTimeout, bodyReadTimeout)
	readHeaderTimeout, bodyReadTimeout = readHeaderTimeout/5, bodyReadTimeout/5
	s := start(t, Config{ValidToken: issuedOnly})
	addr := strings.TrimPrefix(s.BaseURL(), "http://")
	const limit = 40 * time.Second
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []string
	slow := func(what, prefix string) {
		defer wg.Done()
		if !rawhttp.Slow(t, addr, prefix, 200*time.Millisecond, limit) {
			mu.Lock()
			open = append(open, what)
			mu.Unlock()
		}
	}
	for i := range 10 {
		wg.Add(1)
		go slow("slow headers", fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nX-Slow-%d: ", DefaultPath, addr, i))
	}
	wg.Add(1)
	go slow("slow body", fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n{", DefaultPath, addr, issuedToken))
	resp := post(t, s.URL(), initBody, map[string]string{"Authorization": "Bearer " + issuedToken})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("initialize during the slow requests: %s", resp.Status)
	}
	wg.Wait()
	for _, what := range open {
		t.Errorf("a %s connection stayed open for %v", what, limit)
	}
}
