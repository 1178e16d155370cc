package mcpserver

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

const listBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
const callBody = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test-tool"}}`
const notifyBody = `{"jsonrpc":"2.0","method":"notifications/initialized"}`

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestExpiryAndScopes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	tokens := map[string]record.IssuedToken{
		"basic": {Server: "as", Token: "basic", Scope: "mcp:basic", ExpiresAt: now.Add(time.Minute)},
		"write": {Server: "as", Token: "write", Scope: "mcp:basic mcp:write", ExpiresAt: now.Add(time.Minute)},
	}
	s := start(t, Config{
		Lookup:         func(tok string) (record.IssuedToken, bool) { it, ok := tokens[tok]; return it, ok },
		EnforceExpiry:  true,
		RequiredScopes: []string{"mcp:basic"},
		MethodScopes:   map[string][]string{"tools/call": {"mcp:write"}},
		OpenMethods:    []string{"initialize", "notifications/*"},
		Now:            func() time.Time { return time.Unix(0, clock.Load()) },
	})
	for _, tc := range []struct {
		name, body, token string
		status            int
		challenge         string
	}{
		{"open initialize", initBody, "", 200, ""},
		{"open notification", notifyBody, "", 202, ""},
		{"no token", listBody, "", 401, `Bearer resource_metadata="` + s.MetadataURL() + `", scope="mcp:basic"`},
		{"unknown token", listBody, "forged", 401, `error="invalid_token"`},
		{"basic lists", listBody, "basic", 200, ""},
		{"basic cannot call", callBody, "basic", 403, `error="insufficient_scope"`},
		{"step-up scope", callBody, "basic", 403, `scope="mcp:basic mcp:write"`},
		{"write calls", callBody, "write", 200, ""},
	} {
		h := map[string]string{}
		if tc.token != "" {
			h = bearer(tc.token)
		}
		resp := post(t, s.URL(), tc.body, h)
		drain(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tc.challenge) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tc.status, tc.challenge)
		}
	}
	clock.Store(now.Add(2 * time.Minute).UnixNano())
	resp := post(t, s.URL(), listBody, bearer("write"))
	drain(t, resp)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("an expired token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if m := lastMCP(t, s); !m.IssuedToken || !m.TokenExpired || m.TokenIssuer != "as" {
		t.Fatalf("record %+v", m)
	}
}

func TestPRMLocations(t *testing.T) {
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, drain(t, resp)
	}
	custom := start(t, Config{PRMAt: []string{"/custom/metadata/location.json"}, OmitResourceMetadata: true,
		PRMFields: map[string]any{"resource": "https://evil.example.com/mcp"}})
	if custom.MetadataURL() != custom.BaseURL()+"/custom/metadata/location.json" {
		t.Fatalf("metadata URL %s", custom.MetadataURL())
	}
	if code, body := get(custom.MetadataURL()); code != 200 || !strings.Contains(body, `"resource":"https://evil.example.com/mcp"`) {
		t.Fatalf("custom PRM: %d %s", code, body)
	}
	for _, p := range []string{WellKnownPath, WellKnownPath + "/mcp"} {
		if code, _ := get(custom.BaseURL() + p); code != 404 {
			t.Errorf("%s served where it was not asked: %d", p, code)
		}
	}
	resp := post(t, custom.URL(), listBody, nil)
	drain(t, resp)
	if c := resp.Header.Get("WWW-Authenticate"); strings.Contains(c, "resource_metadata") {
		t.Errorf("challenge %q names the metadata", c)
	}
	root := start(t, Config{PRMAt: []string{"root"}})
	if code, _ := get(root.BaseURL() + WellKnownPath + "/mcp"); code != 404 {
		t.Errorf("root-only PRM also at the path: %d", code)
	}
	if code, _ := get(root.BaseURL() + WellKnownPath); code != 200 {
		t.Errorf("root PRM: %d", code)
	}
	none := start(t, Config{PRMAt: []string{}})
	if none.MetadataURL() != "" {
		t.Errorf("no PRM, yet URL %q", none.MetadataURL())
	}
}

func TestMCPRules(t *testing.T) {
	s := start(t, Config{
		ValidToken: issuedOnly,
		ResponseRules: &rules.Set{Rules: []rules.Rule{{
			Name: "done", Endpoint: record.EndpointMCP,
			Match: func(in *record.Incoming) (bool, error) {
				return in.MCP != nil && in.MCP.HasBearer && in.Attempt > 2, nil
			},
			Reply: rules.Reply{Status: 410, Body: `{"error":"test_complete"}`},
		}, {
			Name: "prm-down", Endpoint: record.EndpointPRM,
			Reply: rules.Reply{Status: 503, Headers: map[string]string{"Retry-After": "2"}},
		}}},
	})
	codes := []int{}
	for range 4 {
		resp := post(t, s.URL(), initBody, bearer(issuedToken))
		drain(t, resp)
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[2] != 410 || codes[3] != 410 {
		t.Fatalf("statuses %v", codes)
	}
	resp, err := http.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	drain(t, resp)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("PRM rule: %d %v", resp.StatusCode, resp.Header)
	}
	var answered []string
	for _, r := range s.Requests() {
		answered = append(answered, r.Endpoint+":"+r.Rule)
	}
	if got := strings.Join(answered, " "); got != "mcp: mcp: mcp:done mcp:done protected_resource_metadata:prm-down" {
		t.Fatalf("records %s", got)
	}
}
