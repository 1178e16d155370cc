package refclient

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// tokenRecord is one request to the fake token endpoint, as seen on the wire.
type tokenRecord struct {
	At          time.Time
	Method      string
	Path        string
	ContentType string
	Body        string
	Query       url.Values
	Form        url.Values // urlencoded body (POST) or query (GET)
	Repeated    []string
	Basic       string // "id:secret" of an Authorization: Basic header
}

// mcpRecord is one request to the fake MCP endpoint.
type mcpRecord struct {
	HTTPMethod    string
	RPCMethod     string
	Authorization string
	Query         url.Values
}

// fake is a loopback PRM + authorization server + MCP server in one
// httptest.Server. The MCP endpoint is the go-sdk's streamable handler behind
// auth.RequireBearerToken, accepting only tokens the fake issued.
type fake struct {
	srv *httptest.Server

	// Behaviour, set before the client runs.
	tokenError     string   // token endpoint answers 400 with this code
	tokenErrorDesc string   // and this description
	grantTypes     []string // advertised; nil means only the JWT-bearer grant
	noASMetadata   bool     // RFC 8414 metadata answers 404
	challengeScope string   // scope="…" in the 401 challenge
	expiresIn      int      // expires_in of issued tokens; 0 means 3600

	mu       sync.Mutex
	paths    []string // "METHOD /path" of every request, in order
	tokens   []tokenRecord
	mcpReqs  []mcpRecord
	issued   []string
	whoamiOK int
}

func newFake(t *testing.T, configure func(*fake)) *fake {
	t.Helper()
	f := &fake{}
	if configure != nil {
		configure(f)
	}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(f.record(mux))
	t.Cleanup(f.srv.Close)

	mux.HandleFunc("GET /.well-known/oauth-protected-resource/mcp", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, oauthex.ProtectedResourceMetadata{
			Resource:             f.mcpURL(),
			AuthorizationServers: []string{f.srv.URL},
			ScopesSupported:      []string{"mcp:tools"},
		})
	})
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		if f.noASMetadata {
			http.NotFound(w, r)
			return
		}
		gts := f.grantTypes
		if gts == nil {
			gts = []string{GrantTypeJWTBearer}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                   f.srv.URL,
			"token_endpoint":           f.srv.URL + "/token",
			"grant_types_supported":    gts,
			"response_types_supported": []string{},
		})
	})
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("POST /register", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client_metadata"})
	})

	server := mcp.NewServer(&mcp.Implementation{Name: "fake-mcp", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "whoami", Description: "who am I"},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			f.mu.Lock()
			f.whoamiOK++
			f.mu.Unlock()
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "spiffe://test/ns/default/sa/agent"}}}, nil, nil
		})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	var scopes []string
	if f.challengeScope != "" {
		scopes = strings.Fields(f.challengeScope)
	}
	verify := func(_ context.Context, tok string, _ *http.Request) (*auth.TokenInfo, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !slices.Contains(f.issued, tok) {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{Scopes: scopes, Expiration: time.Now().Add(time.Hour)}, nil
	}
	protected := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL: f.srv.URL + "/.well-known/oauth-protected-resource/mcp",
		Scopes:              scopes,
	})(mcpHandler)
	mux.Handle("/mcp", f.recordMCP(protected))
	return f
}

func (f *fake) mcpURL() string { return f.srv.URL + "/mcp" }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fake) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (f *fake) recordMCP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(body, &msg)
		f.mu.Lock()
		f.mcpReqs = append(f.mcpReqs, mcpRecord{
			HTTPMethod:    r.Method,
			RPCMethod:     msg.Method,
			Authorization: r.Header.Get("Authorization"),
			Query:         r.URL.Query(),
		})
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := tokenRecord{
		At:     time.Now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Body:   string(body),
		Query:  r.URL.Query(),
	}
	rec.ContentType, _, _ = mime.ParseMediaType(r.Header.Get("Content-Type"))
	if id, secret, ok := r.BasicAuth(); ok {
		rec.Basic = id + ":" + secret
	}
	switch {
	case r.Method == http.MethodGet:
		rec.Form = rec.Query
	case rec.ContentType == "application/x-www-form-urlencoded":
		rec.Form, _ = url.ParseQuery(string(body))
	}
	for k, vs := range rec.Form {
		if len(vs) > 1 {
			rec.Repeated = append(rec.Repeated, k)
		}
	}
	slices.Sort(rec.Repeated)

	f.mu.Lock()
	f.tokens = append(f.tokens, rec)
	n := len(f.tokens)
	f.mu.Unlock()

	if f.tokenError != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": f.tokenError, "error_description": f.tokenErrorDesc})
		return
	}
	tok := fmt.Sprintf("issued-access-token-%d-%d", n, time.Now().UnixNano())
	f.mu.Lock()
	f.issued = append(f.issued, tok)
	f.mu.Unlock()
	resp := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": cmp.Or(f.expiresIn, 3600)}
	if f.challengeScope != "" {
		resp["scope"] = f.challengeScope
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *fake) tokenRequests() []tokenRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens)
}

func (f *fake) mcpRequests() []mcpRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.mcpReqs)
}

func (f *fake) requestPaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.paths)
}

func (f *fake) issuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// testJWT is a compact JWS with readable claims and a fake signature; the
// fake authorization server does not verify it.
func testJWT(t *testing.T, audience string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := enc(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "idp-key-1"})
	claims := enc(map[string]any{
		"iss": "https://idp.conformance.test",
		"sub": "spiffe://conformance.test/ns/default/sa/agent",
		"aud": audience,
		"iat": 1700000000,
		"exp": 4102444800,
		"jti": "original-jti-0001",
	})
	return header + "." + claims + ".ZmFrZS1zaWduYXR1cmUtYnl0ZXMtZm9yLXRlc3Rz"
}

// result is what one Main run produced.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runMain runs Main against f with the conformance environment set.
func runMain(t *testing.T, f *fake, jwt string, args ...string) result {
	t.Helper()
	return runMainVersion(t, f, jwt, "2025-11-25", args...)
}

// runMainVersion is runMain with MCP_CONFORMANCE_PROTOCOL_VERSION set to pv.
func runMainVersion(t *testing.T, f *fake, jwt, pv string, args ...string) result {
	t.Helper()
	ctxJSON, err := json.Marshal(map[string]string{
		"name":               "auth/wif-jwt-bearer",
		"client_id":          "conformance-wif-workload",
		"valid_jwt":          jwt,
		"wrong_audience_jwt": jwt + "x",
		"expired_jwt":        jwt + "y",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MCP_CONFORMANCE_SCENARIO", "auth/wif-jwt-bearer")
	t.Setenv("MCP_CONFORMANCE_PROTOCOL_VERSION", pv)
	t.Setenv("MCP_CONFORMANCE_CONTEXT", string(ctxJSON))
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Main(append(args, f.mcpURL()), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
}

// assertNoSecret fails when the output contains the JWT or an issued token.
func assertNoSecret(t *testing.T, f *fake, jwt string, res result) {
	t.Helper()
	out := res.stdout + res.stderr
	if strings.Contains(out, jwt) {
		t.Errorf("output contains the assertion:\n%s", out)
	}
	for _, tok := range f.issuedTokens() {
		if strings.Contains(out, tok) {
			t.Errorf("output contains the access token %q:\n%s", tok, out)
		}
	}
}

// formKeys returns the sorted keys of a form.
func formKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stubHooks replaces blockForever and killSelf for one test and reports
// how often each was called.
type hookCalls struct {
	mu      sync.Mutex
	blocked int
	killed  int
	onBlock func()
}

func stubHooks(t *testing.T) *hookCalls {
	t.Helper()
	h := &hookCalls{}
	oldBlock, oldKill := blockForever, killSelf
	blockForever = func() {
		h.mu.Lock()
		h.blocked++
		fn := h.onBlock
		h.mu.Unlock()
		if fn != nil {
			fn()
		}
	}
	killSelf = func() {
		h.mu.Lock()
		h.killed++
		h.mu.Unlock()
	}
	t.Cleanup(func() { blockForever, killSelf = oldBlock, oldKill })
	return h
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func (f *fake) whoamiCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.whoamiOK
}
