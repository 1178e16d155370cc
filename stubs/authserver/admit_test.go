package authserver_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/wifdsl/wifdsl/stubs/authserver"
	"github.com/wifdsl/wifdsl/stubs/mcpserver"
)

// TestAdmitRefusesAndCounts: a connection that Admit refuses gets 403 and
// leaves no record; the zero Config admits everyone.
func TestAdmitRefusesAndCounts(t *testing.T) {
	refuse := func(net.Addr, net.Addr) bool { return false }
	as, err := authserver.New(authserver.Config{Admit: refuse})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	m, err := mcpserver.New(mcpserver.Config{Admit: refuse})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	open, err := authserver.New(authserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	for _, u := range []string{as.MetadataURL(), as.TokenEndpoint(), m.MetadataURL(), m.URL()} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", u, resp.StatusCode)
		}
	}
	if as.RequestCount() != 0 || as.TokenRequestCount() != 0 || as.ForeignRequestCount() != 2 {
		t.Errorf("auth: %d requests, %d token requests, %d foreign", as.RequestCount(), as.TokenRequestCount(), as.ForeignRequestCount())
	}
	if m.RequestCount() != 0 || m.MCPRequestCount() != 0 || m.ForeignRequestCount() != 2 {
		t.Errorf("mcp: %d requests, %d MCP requests, %d foreign", m.RequestCount(), m.MCPRequestCount(), m.ForeignRequestCount())
	}
	resp, err := http.Get(open.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || open.RequestCount() != 1 || open.ForeignRequestCount() != 0 {
		t.Errorf("zero Config: %d, %d requests", resp.StatusCode, open.RequestCount())
	}
}
