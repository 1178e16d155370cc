package mcpserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/tlsca"
)

func TestTLS(t *testing.T) {
	ca, err := tlsca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{TLS: ca.ServerConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.HasPrefix(s.MetadataURL(), "https://") {
		t.Fatalf("URL %q, metadata URL %q: want https", s.URL(), s.MetadataURL())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	resp, err := c.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Post(s.URL(), "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	for _, r := range s.Requests() {
		if r.Scheme != "https" {
			t.Errorf("request %s %s recorded with scheme %q", r.Method, r.Path, r.Scheme)
		}
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("%d requests recorded, want 2", n)
	}
}
