package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

const (
	issuedToken = "wif-at-issued"
	initBody    = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
)

func issuedOnly(tok string) bool { return tok == issuedToken }

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// bearerTransport adds a fixed Authorization header, as a client holding an
// access token would.
type bearerTransport struct{ header string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.header)
	return http.DefaultTransport.RoundTrip(r)
}

// post sends body to url with the headers a streamable HTTP client sends.
func post(t *testing.T, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func drain(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func lastMCP(t *testing.T, s *Server) MCPRequest {
	t.Helper()
	recs := s.MCPRequests()
	if len(recs) == 0 {
		t.Fatal("no MCP request recorded")
	}
	return recs[len(recs)-1]
}

func TestURLs(t *testing.T) {
	s := start(t, Config{})
	if !strings.HasPrefix(s.BaseURL(), "http://127.0.0.1:") || strings.HasSuffix(s.BaseURL(), ":0") {
		t.Errorf("BaseURL = %q, want http://127.0.0.1:PORT", s.BaseURL())
	}
	if got, want := s.URL(), s.BaseURL()+"/mcp"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if got, want := s.MetadataURL(), s.BaseURL()+"/.well-known/oauth-protected-resource/mcp"; got != want {
		t.Errorf("MetadataURL = %q, want %q", got, want)
	}

	custom := start(t, Config{Path: "/v1/tenant/mcp"})
	if got, want := custom.MetadataURL(), custom.BaseURL()+"/.well-known/oauth-protected-resource/v1/tenant/mcp"; got != want {
		t.Errorf("MetadataURL = %q, want %q", got, want)
	}
	root := start(t, Config{Path: "/"})
	if got, want := root.MetadataURL(), root.BaseURL()+"/.well-known/oauth-protected-resource"; got != want {
		t.Errorf("MetadataURL for path / = %q, want %q", got, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Path: "mcp"},
		{Path: "/mcp?x=1"},
		{Path: "/mcp#frag"},
		{Path: "//host/mcp"},
		{MaxRecords: -1},
	} {
		s, err := New(cfg)
		if err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded, want an error", cfg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "mcpserver: ") {
			t.Errorf("New(%+v) error %q lacks the package prefix", cfg, err)
		}
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	s := start(t, Config{
		Path:                 "/v1/mcp",
		AuthorizationServers: []string{"http://127.0.0.1:1/", "http://127.0.0.1:2/tenant"},
		ScopesSupported:      []string{"mcp:tools", "mcp:read"},
	})
	// The path-based document describes the MCP endpoint; the root one
	// describes the origin, the resource its well-known path is derived
	// from (RFC 9728 §3.1).
	resources := map[string]string{s.MetadataURL(): s.URL(), s.BaseURL() + "/.well-known/oauth-protected-resource": s.BaseURL()}
	for _, u := range []string{s.MetadataURL(), s.BaseURL() + "/.well-known/oauth-protected-resource"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body := drain(t, resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, body %q", u, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", u, ct)
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatalf("GET %s: %v in %q", u, err, body)
		}
		want := map[string]any{
			"resource":                 resources[u],
			"authorization_servers":    []any{"http://127.0.0.1:1/", "http://127.0.0.1:2/tenant"},
			"scopes_supported":         []any{"mcp:tools", "mcp:read"},
			"bearer_methods_supported": []any{"header"},
		}
		for k, v := range want {
			if !reflect.DeepEqual(raw[k], v) {
				t.Errorf("GET %s: %s = %#v, want %#v", u, k, raw[k], v)
			}
		}
		var prm oauthex.ProtectedResourceMetadata
		if err := json.Unmarshal([]byte(body), &prm); err != nil || prm.Resource != resources[u] {
			t.Errorf("GET %s: resource %q (err %v), want %q", u, prm.Resource, err, resources[u])
		}
	}

	reqs := s.Requests()
	if len(reqs) != 2 || s.RequestCount() != 2 {
		t.Fatalf("Requests = %+v (count %d), want the two metadata fetches", reqs, s.RequestCount())
	}
	for i, path := range []string{"/.well-known/oauth-protected-resource/v1/mcp", "/.well-known/oauth-protected-resource"} {
		if r := reqs[i]; r.Server != "mcp" || r.Method != http.MethodGet || r.Path != path || r.Status != http.StatusOK {
			t.Errorf("Requests[%d] = %+v, want GET %s 200", i, r, path)
		}
	}
	if n := s.MCPRequestCount(); n != 0 {
		t.Errorf("MCPRequestCount = %d after metadata fetches only, want 0", n)
	}
}

func TestChallenge(t *testing.T) {
	for _, tc := range []struct {
		name, scope, wantScope string
	}{
		{name: "no scope"},
		{name: "scope", scope: "mcp:tools  mcp:read", wantScope: `, scope="mcp:tools mcp:read"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{ChallengeScope: tc.scope, ValidToken: issuedOnly})
			resp := post(t, s.URL(), initBody, nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			want := `Bearer resource_metadata="` + s.MetadataURL() + `"` + tc.wantScope
			if got := resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
				t.Errorf("WWW-Authenticate = %q, want [%q]", got, want)
			}
			m := lastMCP(t, s)
			if m.HasBearer || m.AuthScheme != "" || m.Bearer != "" || m.IssuedToken {
				t.Errorf("record %+v shows credentials, none were sent", m)
			}
			if m.Seq != 1 || m.HTTPMethod != http.MethodPost || m.Path != "/mcp" || m.RPCMethod != "initialize" ||
				!slices.Equal(m.RPCMethods, []string{"initialize"}) || m.Status != http.StatusUnauthorized {
				t.Errorf("record = %+v, want Seq 1 POST /mcp initialize 401", m)
			}
		})
	}
}

func TestNilValidTokenRejectsAll(t *testing.T) {
	s := start(t, Config{})
	resp := post(t, s.URL(), initBody, map[string]string{"Authorization": "Bearer " + issuedToken})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	if m := lastMCP(t, s); !m.HasBearer || m.IssuedToken {
		t.Errorf("record = %+v, want a bearer that was not issued", m)
	}
}

// connectIssued opens a go-sdk client session to s with the issued token.
func connectIssued(t *testing.T, s *Server) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "wifdsl-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint:   s.URL(),
		HTTPClient: &http.Client{Transport: bearerTransport{"Bearer " + issuedToken}},
	}, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return cs
}

func TestClientSession(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly, ChallengeScope: "mcp:tools"})
	ctx := context.Background()
	cs := connectIssued(t, s)
	version := cs.InitializeResult().ProtocolVersion
	if name := cs.InitializeResult().ServerInfo.Name; name != ServerName {
		t.Errorf("server name %q, want %q", name, ServerName)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if strings.Join(names, ",") != TestToolName+","+ToolName {
		t.Fatalf("tools = %v, want %s and %s", names, TestToolName, ToolName)
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: TestToolName}); err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != TestToolText {
		t.Fatalf("%s: %+v %v", TestToolName, res, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: ToolName})
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("CallTool result = %+v", res)
	}
	if text, ok := res.Content[0].(*mcp.TextContent); !ok || text.Text != ToolText {
		t.Errorf("CallTool content = %#v, want text %q", res.Content[0], ToolText)
	}
	if err := cs.Close(); err != nil {
		t.Errorf("session Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	recs := s.MCPRequests()
	if len(recs) != s.MCPRequestCount() {
		t.Errorf("kept %d records of %d, want all", len(recs), s.MCPRequestCount())
	}
	var methods []string
	initialized := false
	for i, m := range recs {
		if m.Seq != i+1 {
			t.Errorf("record %d has Seq %d", i, m.Seq)
		}
		if !m.HasBearer || m.AuthScheme != "Bearer" || m.Bearer != issuedToken || !m.IssuedToken || m.QueryToken != "" {
			t.Errorf("record %+v: want the issued token in the header only", m)
		}
		if m.Status < 200 || m.Status > 299 {
			t.Errorf("record %+v: want a 2xx status", m)
		}
		if initialized && m.ProtocolVersion != version {
			t.Errorf("record %+v after initialize: MCP-Protocol-Version %q, want %q", m, m.ProtocolVersion, version)
		}
		if m.RPCMethod == "initialize" {
			initialized = true
		}
		methods = append(methods, m.RPCMethods...)
	}
	for _, want := range []string{"initialize", "notifications/initialized", "tools/list", "tools/call"} {
		if !slices.Contains(methods, want) {
			t.Errorf("recorded methods %q lack %q", methods, want)
		}
	}
	if !initialized {
		t.Error("no initialize request recorded")
	}
	if n := s.RequestCount(); n != s.MCPRequestCount() {
		t.Errorf("RequestCount %d, MCPRequestCount %d: every request went to the MCP endpoint", n, s.MCPRequestCount())
	}
}

func TestClientWithWrongToken(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	client := mcp.NewClient(&mcp.Implementation{Name: "wifdsl-test", Version: "1"}, nil)
	_, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint:   s.URL(),
		HTTPClient: &http.Client{Transport: bearerTransport{"Bearer forged"}},
		MaxRetries: -1,
	}, nil)
	if err == nil {
		t.Fatal("Connect with a token that was not issued succeeded")
	}
	m := lastMCP(t, s)
	if !m.HasBearer || m.Bearer != "forged" || m.IssuedToken || m.Status != http.StatusUnauthorized {
		t.Errorf("record = %+v, want bearer forged, not issued, 401", m)
	}
}

func TestAuthorizationHeaderRecording(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	for _, tc := range []struct {
		header     string
		scheme     string
		bearer     string
		hasBearer  bool
		issued     bool
		wantStatus int
	}{
		{header: "Bearer wrong", scheme: "Bearer", bearer: "wrong", hasBearer: true, wantStatus: 401},
		{header: "bearer " + issuedToken, scheme: "bearer", bearer: issuedToken, hasBearer: true, issued: true, wantStatus: 200},
		{header: "BEARER " + issuedToken, scheme: "BEARER", bearer: issuedToken, hasBearer: true, issued: true, wantStatus: 200},
		{header: "Basic " + issuedToken, scheme: "Basic", wantStatus: 401},
		{header: "Bearer", scheme: "Bearer", hasBearer: true, wantStatus: 401},
		{header: issuedToken, scheme: issuedToken, wantStatus: 401},
	} {
		resp := post(t, s.URL(), initBody, map[string]string{"Authorization": tc.header})
		drain(t, resp)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%q: status %d, want %d", tc.header, resp.StatusCode, tc.wantStatus)
		}
		m := lastMCP(t, s)
		if m.AuthScheme != tc.scheme || m.Bearer != tc.bearer || m.HasBearer != tc.hasBearer ||
			m.IssuedToken != tc.issued || m.Status != tc.wantStatus {
			t.Errorf("%q: record = %+v", tc.header, m)
		}
	}
}

func TestQueryToken(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	resp := post(t, s.URL()+"?access_token="+issuedToken, initBody, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401: a query token must not authenticate", resp.StatusCode)
	}
	if m := lastMCP(t, s); m.QueryToken != issuedToken || m.HasBearer || m.Path != "/mcp" {
		t.Errorf("record = %+v, want QueryToken %q and no bearer", m, issuedToken)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || !slices.Equal(reqs[0].Query["access_token"], []string{issuedToken}) {
		t.Errorf("Requests = %+v, want the query recorded", reqs)
	}
	// The returned records are copies.
	reqs[0].Query["access_token"][0] = "changed"
	if got := s.Requests()[0].Query["access_token"][0]; got != issuedToken {
		t.Errorf("mutating a returned record changed the log: %q", got)
	}
}

func TestBodyMethods(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	for _, tc := range []struct {
		body   string
		single string
		all    []string
	}{
		{body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, single: "tools/list", all: []string{"tools/list"}},
		{body: ` {"jsonrpc":"2.0","method":"notifications/initialized"}`, single: "notifications/initialized", all: []string{"notifications/initialized"}},
		{body: `{"jsonrpc":"2.0","id":1,"result":{}}`},
		{body: `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"result":{}},{"jsonrpc":"2.0","method":"notifications/cancelled"}]`, all: []string{"ping", "notifications/cancelled"}},
		{body: `{"jsonrpc":"2.0","id":1,"method":7}`},
		{body: `{"jsonrpc":`},
		{body: `[1,2`},
		{body: ``},
	} {
		drain(t, post(t, s.URL(), tc.body, nil))
		m := lastMCP(t, s)
		if m.RPCMethod != tc.single || !slices.Equal(m.RPCMethods, tc.all) {
			t.Errorf("body %q: RPCMethod %q, RPCMethods %q; want %q, %q", tc.body, m.RPCMethod, m.RPCMethods, tc.single, tc.all)
		}
	}
}

// TestLargeBodyReachesHandler checks that the recorder hands the MCP handler
// the whole body even beyond the part it reads.
func TestLargeBodyReachesHandler(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	body := initBody + strings.Repeat(" ", maxRecordedBody+1024)
	resp := post(t, s.URL(), body, map[string]string{"Authorization": "Bearer " + issuedToken})
	out := drain(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"serverInfo"`) {
		t.Fatalf("status %d body %q: the handler did not get a whole initialize request", resp.StatusCode, out)
	}
	if m := lastMCP(t, s); m.RPCMethod != "" || m.Status != http.StatusOK || !m.IssuedToken {
		t.Errorf("record = %+v: want no method (body beyond the cap), status 200", m)
	}
}

func TestMaxRecords(t *testing.T) {
	s := start(t, Config{MaxRecords: 3})
	for range 5 {
		drain(t, post(t, s.URL(), `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil))
	}
	for range 2 {
		resp, err := http.Get(s.BaseURL() + "/other")
		if err != nil {
			t.Fatal(err)
		}
		drain(t, resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /other: status %d, want 404", resp.StatusCode)
		}
	}
	if n := s.MCPRequestCount(); n != 5 {
		t.Errorf("MCPRequestCount = %d, want 5", n)
	}
	if n := s.RequestCount(); n != 7 {
		t.Errorf("RequestCount = %d, want 7", n)
	}
	recs := s.MCPRequests()
	if len(recs) != 3 {
		t.Fatalf("kept %d MCP records, want 3", len(recs))
	}
	for i, m := range recs {
		if m.Seq != i+1 || m.Status != http.StatusUnauthorized {
			t.Errorf("record %d = %+v, want Seq %d status 401", i, m, i+1)
		}
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("kept %d requests, want 3", n)
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := start(t, Config{Start: t0, Now: func() time.Time { return t0.Add(7 * time.Second) }})
	drain(t, post(t, s.URL(), initBody, nil))
	m := lastMCP(t, s)
	if m.At != 7*time.Second || !m.Time.Equal(t0.Add(7*time.Second)) {
		t.Errorf("MCP record At %v Time %v, want 7s after %v", m.At, m.Time, t0)
	}
	if r := s.Requests()[0]; r.At != 7*time.Second {
		t.Errorf("request At %v, want 7s", r.At)
	}
}

// openStream opens the standalone SSE stream of a session (MCP streamable
// HTTP transport, GET) after a raw initialize handshake.
func openStream(t *testing.T, s *Server) *http.Response {
	t.Helper()
	auth := map[string]string{"Authorization": "Bearer " + issuedToken}
	resp := post(t, s.URL(), initBody, auth)
	drain(t, resp)
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || session == "" {
		t.Fatalf("initialize: status %d, session %q", resp.StatusCode, session)
	}
	auth["Mcp-Session-Id"] = session
	auth["MCP-Protocol-Version"] = "2025-11-25"
	resp = post(t, s.URL(), `{"jsonrpc":"2.0","method":"notifications/initialized"}`, auth)
	drain(t, resp)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: status %d", resp.StatusCode)
	}

	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range auth {
		req.Header.Set(k, v)
	}
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	t.Cleanup(func() { stream.Body.Close() })
	if stream.StatusCode != http.StatusOK || stream.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET stream: status %d, Content-Type %q", stream.StatusCode, stream.Header.Get("Content-Type"))
	}
	return stream
}

func TestCloseEndsStreams(t *testing.T) {
	s := start(t, Config{ValidToken: issuedOnly})
	stream := openStream(t, s)
	if m := lastMCP(t, s); m.HTTPMethod != http.MethodGet || m.Status != http.StatusOK || m.ProtocolVersion != "2025-11-25" {
		t.Errorf("open stream record = %+v, want GET 200 with protocol version", m)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream.Body)
		ended <- err
	}()

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the SSE stream stayed open after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if resp, err := http.Get(s.URL()); err == nil {
		resp.Body.Close()
		t.Error("request after Close succeeded")
	}
}

func TestRecoverFromPanic(t *testing.T) {
	s := start(t, Config{})
	h := s.record(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if m := lastMCP(t, s); m.Status != http.StatusInternalServerError || m.RPCMethod != "ping" {
		t.Errorf("record = %+v, want ping 500", m)
	}
}

func TestPanickingValidToken(t *testing.T) {
	s := start(t, Config{ValidToken: func(string) bool { panic("bad predicate") }})
	resp := post(t, s.URL(), initBody, map[string]string{"Authorization": "Bearer x"})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Status != http.StatusInternalServerError {
		t.Errorf("Requests = %+v, want one with status 500", reqs)
	}
	// The server keeps serving.
	resp, err := http.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("metadata after a panic: status %d", resp.StatusCode)
	}
}

func TestStatusWriterFlushes(t *testing.T) {
	var got []int
	rec := httptest.NewRecorder()
	w := &statusWriter{ResponseWriter: rec, onStatus: func(code int) { got = append(got, code) }}
	if err := http.NewResponseController(w).Flush(); err != nil {
		t.Fatalf("Flush through ResponseController: %v", err)
	}
	if !rec.Flushed || !slices.Equal(got, []int{200}) {
		t.Errorf("flushed %v, statuses %v; want a flush committing 200", rec.Flushed, got)
	}
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("SetWriteDeadline on a recorder: %v, want it to reach the recorder and be unsupported", err)
	}
	if w.Unwrap() != rec {
		t.Error("Unwrap does not return the wrapped writer")
	}

	got = nil
	w = &statusWriter{ResponseWriter: httptest.NewRecorder(), onStatus: func(code int) { got = append(got, code) }}
	w.WriteHeader(http.StatusEarlyHints)
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte("x"))
	w.commit(http.StatusOK)
	if !slices.Equal(got, []int{http.StatusAccepted}) {
		t.Errorf("statuses %v, want only the final 202", got)
	}
}

func TestParseAuthorization(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, token string
		bearer            bool
	}{
		{"", "", "", false},
		{"Bearer abc", "Bearer", "abc", true},
		{"bEaReR\tabc ", "bEaReR", "abc", true},
		{"Bearer  abc", "Bearer", "abc", true},
		{"DPoP abc", "DPoP", "", false},
	} {
		scheme, token, bearer := parseAuthorization(tc.in)
		if scheme != tc.scheme || token != tc.token || bearer != tc.bearer {
			t.Errorf("parseAuthorization(%q) = %q, %q, %v; want %q, %q, %v", tc.in, scheme, token, bearer, tc.scheme, tc.token, tc.bearer)
		}
	}
}

func TestRPCMethodsBatchOnly(t *testing.T) {
	single, all := rpcMethods(bytes.TrimSpace([]byte(`[{"jsonrpc":"2.0","id":1,"method":"initialize"}]`)))
	if single != "" || !slices.Equal(all, []string{"initialize"}) {
		t.Errorf("batch of one: %q, %q", single, all)
	}
}

// TestCloseEndsOnlyItsOwnSessions: the stubs of a process share one MCP
// server, yet closing a stub closes its own sessions and no other stub's.
func TestCloseEndsOnlyItsOwnSessions(t *testing.T) {
	ctx := context.Background()
	connect := func(s *Server) *mcp.ClientSession {
		t.Helper()
		cs := connectIssued(t, s)
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	a, b := start(t, Config{ValidToken: issuedOnly}), start(t, Config{ValidToken: issuedOnly})
	sa, sb := connect(a), connect(b)
	if a.mcp != b.mcp {
		t.Fatal("the stubs do not share their MCP server")
	}
	live := func() map[string]bool {
		ids := map[string]bool{}
		for ss := range a.mcp.Sessions() {
			ids[ss.ID()] = true
		}
		return ids
	}
	if ids := live(); !ids[sa.ID()] || !ids[sb.ID()] || !a.owns(sa.ID()) || a.owns(sb.ID()) || !b.owns(sb.ID()) {
		t.Fatalf("sessions %v: a owns %q: %v, b owns %q: %v", ids, sa.ID(), a.owns(sa.ID()), sb.ID(), b.owns(sb.ID()))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if ids := live(); ids[sa.ID()] || !ids[sb.ID()] {
		t.Errorf("after closing a, live sessions %v; want %q gone and %q kept", ids, sa.ID(), sb.ID())
	}
	if _, err := sb.ListTools(ctx, nil); err != nil {
		t.Errorf("b's session after a closed: %v", err)
	}
}
