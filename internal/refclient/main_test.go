package refclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestMainConformant(t *testing.T) {
	f := newFake(t, nil)
	jwt := testJWT(t, f.srv.URL+"/token")
	res := runMain(t, f, jwt)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "wifclient: ok:") || !strings.Contains(lines[0], `whoami: "spiffe://test/ns/default/sa/agent"`) {
		t.Errorf("stdout = %q, want one success line naming the whoami result", res.stdout)
	}
	if res.stderr != "" {
		t.Errorf("stderr = %q, want nothing", res.stderr)
	}
	assertNoSecret(t, f, jwt, res)

	reqs := f.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	if got := formKeys(reqs[0].Form); !slices.Equal(got, []string{"assertion", "grant_type", "resource"}) {
		t.Errorf("form keys %q", got)
	}
	if reqs[0].Form.Get("assertion") != jwt {
		t.Error("assertion is not byte-equal to valid_jwt")
	}
	for _, p := range f.requestPaths() {
		if strings.HasSuffix(p, "/register") || strings.HasSuffix(p, "/authorize") {
			t.Errorf("conformant client hit %s", p)
		}
	}

	issued := f.issuedTokens()
	var authorized []string
	for _, m := range f.mcpRequests() {
		if m.Query.Has("access_token") {
			t.Errorf("MCP request carries access_token in the query")
		}
		if m.Authorization == "" {
			continue
		}
		if m.Authorization != "Bearer "+issued[0] {
			t.Errorf("Authorization = %q, want the issued bearer token", m.Authorization)
		}
		authorized = append(authorized, m.RPCMethod)
	}
	for _, want := range []string{"initialize", "tools/list", "tools/call"} {
		if !slices.Contains(authorized, want) {
			t.Errorf("no authorized %s request; authorized methods %q", want, authorized)
		}
	}
	if n := f.whoamiCalls(); n != 1 {
		t.Errorf("whoami called %d times, want 1", n)
	}
}

func TestMainTokenErrors(t *testing.T) {
	for _, tc := range []struct {
		code, desc string
		hint       string // a word the hint must contain
		notInOut   string // a code the output must not mention
	}{
		{"invalid_grant", "assertion expired", "assertion", "invalid_scope"},
		{"invalid_scope", "scope admin is not allowed", "scope", "invalid_grant"},
		{"invalid_request", "missing resource", "malformed", "invalid_grant"},
		{"unauthorized_client", "subject not trusted", "not allowed", "invalid_grant"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := newFake(t, func(f *fake) { f.tokenError, f.tokenErrorDesc = tc.code, tc.desc })
			jwt := testJWT(t, "aud")
			res := runMain(t, f, jwt)
			if res.code != 1 {
				t.Fatalf("exit %d, want 1", res.code)
			}
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			want := "wifclient: token request rejected by the authorization server: " + tc.code + ": " + tc.desc
			if lines[0] != want {
				t.Errorf("first stderr line = %q\nwant %q", lines[0], want)
			}
			if len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") || !strings.Contains(lines[1], tc.hint) {
				t.Errorf("stderr = %q, want the error and one hint mentioning %q", res.stderr, tc.hint)
			}
			if strings.Contains(res.stdout+res.stderr, tc.notInOut) {
				t.Errorf("output mentions %s:\n%s", tc.notInOut, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q on failure", res.stdout)
			}
			if n := len(f.tokenRequests()); n != 1 {
				t.Errorf("%d token requests, want exactly 1", n)
			}
			if res.elapsed > 5*time.Second {
				t.Errorf("took %v to fail", res.elapsed)
			}
			assertNoSecret(t, f, jwt, res)
		})
	}
}

// With the go-sdk's default protocol version the client first tries
// server/discover and then falls back to initialize, so the transport
// challenges the handler twice; the failure is sticky and the token endpoint
// still sees one request.
func TestMainOneTokenRequestAcrossSDKFallback(t *testing.T) {
	for _, te := range []string{"", "invalid_grant"} {
		f := newFake(t, func(f *fake) { f.tokenError = te })
		res := runMainVersion(t, f, testJWT(t, "aud"), "")
		if wantCode := map[string]int{"": 0, "invalid_grant": 1}[te]; res.code != wantCode {
			t.Errorf("token error %q: exit %d, want %d; stderr %q", te, res.code, wantCode, res.stderr)
		}
		if n := len(f.tokenRequests()); n != 1 {
			t.Errorf("token error %q: %d token requests, want 1", te, n)
		}
		if mcpPosts := len(f.mcpRequests()); te != "" && mcpPosts != 2 {
			t.Errorf("token error %q: %d MCP requests, want discover and initialize", te, mcpPosts)
		}
	}
}

func TestMainUnsupportedProtocolVersion(t *testing.T) {
	f := newFake(t, nil)
	res := runMainVersion(t, f, testJWT(t, "aud"), "1999-01-01")
	if res.code != 0 || !strings.Contains(res.stderr, `protocol version "1999-01-01" is not supported`) {
		t.Errorf("exit %d stderr %q", res.code, res.stderr)
	}
}

func TestMainRedactsEchoedAssertion(t *testing.T) {
	jwt := testJWT(t, "aud")
	f := newFake(t, func(f *fake) { f.tokenError, f.tokenErrorDesc = "invalid_grant", "bad assertion "+jwt })
	res := runMain(t, f, jwt)
	if res.code != 1 {
		t.Fatalf("exit %d", res.code)
	}
	assertNoSecret(t, f, jwt, res)
	if !strings.Contains(res.stderr, "bad assertion [redacted]") {
		t.Errorf("stderr = %q, want the echoed assertion redacted", res.stderr)
	}
}

func TestMainGrantNotAdvertised(t *testing.T) {
	f := newFake(t, func(f *fake) { f.grantTypes = []string{"client_credentials"} })
	res := runMain(t, f, testJWT(t, "aud"))
	if res.code != 1 {
		t.Fatalf("exit %d", res.code)
	}
	if !strings.Contains(res.stderr, "does not offer grant_type="+GrantTypeJWTBearer) {
		t.Errorf("stderr = %q", res.stderr)
	}
	if n := len(f.tokenRequests()); n != 0 {
		t.Errorf("%d token requests, want none", n)
	}
}

func TestMainUsage(t *testing.T) {
	t.Setenv("MCP_CONFORMANCE_CONTEXT", `{"valid_jwt":"a.b.c"}`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown bug", []string{"-bug", "nope", "http://127.0.0.1:1/mcp"}, 2, "unknown bug \"nope\"; valid names: " + strings.Join(Bugs(), ", ")},
		{"no url", nil, 2, "usage: wifclient"},
		{"two urls", []string{"http://127.0.0.1:1/a", "http://127.0.0.1:1/b"}, 2, "exactly one argument"},
		{"bad flag", []string{"-nope", "http://127.0.0.1:1/mcp"}, 2, "flag provided but not defined"},
		{"not a url", []string{"mcp-server"}, 2, "not an http(s) URL"},
		{"help", []string{"-h"}, 0, "usage: wifclient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.stderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q", stdout.String())
			}
		})
	}
}

func TestMainContextErrors(t *testing.T) {
	for name, ctx := range map[string]string{
		"unset":        "",
		"not json":     "{valid_jwt: secret-value}",
		"no valid_jwt": `{"name":"auth/wif-jwt-bearer","client_id":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("MCP_CONFORMANCE_CONTEXT", ctx)
			var stdout, stderr bytes.Buffer
			if code := Main([]string{"http://127.0.0.1:1/mcp"}, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), "MCP_CONFORMANCE_CONTEXT") || strings.Contains(stderr.String(), "secret-value") {
				t.Errorf("stderr = %q", stderr.String())
			}
		})
	}
}

func TestBugsListAndDocs(t *testing.T) {
	want := []string{
		"assertion-audience", "assertion-issuer", "assertion-subject", "assertion-type",
		"client-credentials", "crash", "exit-zero", "expired-jwt", "flood", "forged-token", "fork", "get-request", "grant-fallback", "grant-without-id-jag",
		"hammer", "hang", "hang-start", "hang-success", "ignore-scope", "json-body", "leak", "no-assertion", "no-bearer",
		"no-client-auth", "no-discovery", "no-protocol-version", "no-renewal", "no-resource", "quit", "refresh-grant", "register", "repeated-params", "retry",
		"scope-as-grant", "secret-post", "self-assertion", "stale-jwt-file", "tls-downgrade", "token-in-query", "vague", "wrong-audience-jwt", "wrong-grant", "wrong-secret",
	}
	if got := Bugs(); !slices.Equal(got, want) {
		t.Fatalf("Bugs() = %q\nwant %q", got, want)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		if d, ok := DescribeBug(name); !ok || d == "" {
			t.Errorf("DescribeBug(%q) = %q, %v", name, d, ok)
		}
		if !bytes.Contains(doc, []byte("//   - "+name+":")) {
			t.Errorf("doc.go does not document %q", name)
		}
	}
	if _, ok := DescribeBug("nope"); ok {
		t.Error("DescribeBug accepts an unknown name")
	}
}

// The hostile variants are exercised by the runner's own tests; here only
// that their names parse (Main gets as far as the missing URL).
func TestHostileVariantsParse(t *testing.T) {
	t.Setenv("MCP_CONFORMANCE_CONTEXT", `{"valid_jwt":"a.b.c"}`)
	for _, name := range []string{"crash", "fork", "flood", "hammer"} {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"-bug", name}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "exactly one argument") {
			t.Errorf("-bug %s: exit %d, stderr %q", name, code, stderr.String())
		}
	}
}

func TestFloodWritesAndStops(t *testing.T) {
	var n countingWriter
	flood(&n)
	if n.n != 300<<20 {
		t.Errorf("flood wrote %d bytes, want %d", n.n, 300<<20)
	}
	w := &failingWriter{after: 3}
	flood(w)
	if w.calls != 4 {
		t.Errorf("flood made %d writes to a failing writer, want 4", w.calls)
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

type failingWriter struct{ after, calls int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.calls > w.after {
		return 0, errors.New("closed")
	}
	return len(p), nil
}

// variantCase runs one -bug variant against a fake and checks what it did.
type variantCase struct {
	bug       string
	configure func(*fake)
	code      int
	check     func(t *testing.T, f *fake, jwt string, res result)
}

func TestVariants(t *testing.T) {
	invalidGrant := func(f *fake) { f.tokenError, f.tokenErrorDesc = "invalid_grant", "assertion expired" }
	for _, tc := range []variantCase{
		{"retry", invalidGrant, 1, func(t *testing.T, f *fake, _ string, res result) {
			reqs := f.tokenRequests()
			if len(reqs) != 4 {
				t.Fatalf("%d token requests, want 4", len(reqs))
			}
			for i := 1; i < len(reqs); i++ {
				if gap := reqs[i].At.Sub(reqs[i-1].At); gap < 40*time.Millisecond {
					t.Errorf("retry %d came %v after the previous request", i, gap)
				}
			}
			if !strings.Contains(res.stderr, "invalid_grant") {
				t.Errorf("stderr = %q", res.stderr)
			}
		}},
		{"grant-fallback", invalidGrant, 1, func(t *testing.T, f *fake, _ string, res result) {
			reqs := f.tokenRequests()
			if len(reqs) != 2 {
				t.Fatalf("%d token requests, want 2", len(reqs))
			}
			if reqs[0].Form.Get("grant_type") != GrantTypeJWTBearer {
				t.Errorf("first grant_type %q", reqs[0].Form.Get("grant_type"))
			}
			if reqs[1].Form.Get("grant_type") != "client_credentials" || reqs[1].Form.Get("client_id") != "conformance-wif-workload" {
				t.Errorf("fallback form %v", reqs[1].Form)
			}
			if !strings.Contains(res.stderr, "invalid_grant: assertion expired") {
				t.Errorf("stderr = %q", res.stderr)
			}
		}},
		{"no-resource", nil, 0, func(t *testing.T, f *fake, jwt string, res result) {
			form := f.tokenRequests()[0].Form
			if form.Has("resource") || form.Get("assertion") != jwt {
				t.Errorf("form keys %q", formKeys(form))
			}
		}},
		{"token-in-query", nil, 0, func(t *testing.T, f *fake, _ string, res result) {
			tok := f.issuedTokens()[0]
			n := 0
			for _, m := range f.mcpRequests() {
				if m.Authorization == "" {
					continue
				}
				n++
				if m.Query.Get("access_token") != tok || m.Authorization != "Bearer "+tok {
					t.Errorf("request %s: query %v, Authorization %q", m.RPCMethod, m.Query, m.Authorization)
				}
			}
			if n == 0 {
				t.Error("no authorized MCP request")
			}
			assertNoSecret(t, f, testJWT(t, "aud"), res)
		}},
		{"leak", nil, 0, func(t *testing.T, f *fake, jwt string, res result) {
			if !strings.Contains(res.stdout, jwt) || !strings.Contains(res.stdout, f.issuedTokens()[0]) {
				t.Errorf("stdout = %q, want the assertion and the token", res.stdout)
			}
		}},
		{"leak", invalidGrant, 1, func(t *testing.T, f *fake, jwt string, res result) {
			if !strings.Contains(res.stdout, jwt) {
				t.Errorf("stdout = %q, want the assertion", res.stdout)
			}
			if strings.Contains(res.stderr, jwt) {
				t.Error("the leak goes to stderr too")
			}
		}},
		{"self-assertion", invalidGrant, 1, func(t *testing.T, f *fake, jwt string, res result) {
			got := f.tokenRequests()[0].Form.Get("assertion")
			if got == "" || got == jwt {
				t.Fatal("the assertion is the workload JWT")
			}
			jws, err := jose.ParseSignedCompact(got, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			if kid := jws.Signatures[0].Header.KeyID; kid != "idp-key-1" {
				t.Errorf("kid = %q", kid)
			}
			var mine, orig map[string]any
			if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &mine); err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
			if err := json.Unmarshal(raw, &orig); err != nil {
				t.Fatal(err)
			}
			if mine["jti"] == orig["jti"] {
				t.Error("jti was not replaced")
			}
			for _, k := range []string{"iss", "sub", "aud", "exp", "iat"} {
				if mine[k] != orig[k] {
					t.Errorf("claim %s = %v, want %v", k, mine[k], orig[k])
				}
			}
			if strings.Contains(res.stdout+res.stderr, got) {
				t.Error("the self-signed assertion was printed")
			}
		}},
		{"json-body", nil, 0, func(t *testing.T, f *fake, jwt string, res result) {
			r := f.tokenRequests()[0]
			var body map[string]string
			if r.ContentType != "application/json" || json.Unmarshal([]byte(r.Body), &body) != nil {
				t.Fatalf("content type %q body %q", r.ContentType, r.Body)
			}
			if body["assertion"] != jwt || body["grant_type"] != GrantTypeJWTBearer || body["resource"] != f.mcpURL() {
				t.Errorf("body %v", body)
			}
		}},
		{"get-request", nil, 0, func(t *testing.T, f *fake, jwt string, res result) {
			r := f.tokenRequests()[0]
			if r.Method != "GET" || r.Query.Get("assertion") != jwt || r.Query.Get("grant_type") != GrantTypeJWTBearer || r.Body != "" {
				t.Errorf("%s query %v body %q", r.Method, formKeys(r.Query), r.Body)
			}
		}},
		{"client-credentials", nil, 0, func(t *testing.T, f *fake, jwt string, res result) {
			form := f.tokenRequests()[0].Form
			if form.Get("grant_type") != "client_credentials" ||
				form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
				form.Get("client_assertion") != jwt || form.Has("assertion") {
				t.Errorf("form keys %q grant_type %q", formKeys(form), form.Get("grant_type"))
			}
		}},
		{"repeated-params", nil, 0, func(t *testing.T, f *fake, _ string, res result) {
			r := f.tokenRequests()[0]
			if !slices.Equal(r.Repeated, []string{"grant_type"}) {
				t.Errorf("repeated keys %q", r.Repeated)
			}
		}},
		{"no-discovery", func(f *fake) { f.noASMetadata = true }, 0, func(t *testing.T, f *fake, _ string, res result) {
			paths := f.requestPaths()
			if slices.Contains(paths, "GET /.well-known/oauth-authorization-server") {
				t.Errorf("fetched AS metadata: %q", paths)
			}
			if n := len(f.tokenRequests()); n != 1 || f.tokenRequests()[0].Path != "/token" {
				t.Errorf("token requests %d", n)
			}
		}},
		{"register", nil, 0, func(t *testing.T, f *fake, _ string, res result) {
			paths := f.requestPaths()
			iReg, iTok := slices.Index(paths, "POST /register"), slices.Index(paths, "POST /token")
			if iReg < 0 || iTok < iReg {
				t.Errorf("requests %q, want a registration before the token request", paths)
			}
		}},
		{"no-bearer", nil, 1, func(t *testing.T, f *fake, _ string, res result) {
			tok := f.issuedTokens()[0]
			found := false
			for _, m := range f.mcpRequests() {
				if strings.HasPrefix(m.Authorization, "Bearer ") {
					t.Errorf("Bearer header sent: %q", m.Authorization)
				}
				found = found || m.Authorization == "Token "+tok
			}
			if !found {
				t.Error("no request with Authorization: Token <token>")
			}
			assertNoSecret(t, f, testJWT(t, "aud"), res)
			if n := len(f.tokenRequests()); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
		}},
		{"exit-zero", invalidGrant, 0, func(t *testing.T, f *fake, _ string, res result) {
			if !strings.Contains(res.stderr, "token request rejected by the authorization server: invalid_grant") {
				t.Errorf("stderr = %q", res.stderr)
			}
		}},
		{"vague", invalidGrant, 1, func(t *testing.T, f *fake, _ string, res result) {
			if res.stderr != "authorization failed\n" {
				t.Errorf("stderr = %q", res.stderr)
			}
		}},
		{"scope-as-grant", func(f *fake) { f.tokenError = "invalid_scope" }, 1, func(t *testing.T, f *fake, _ string, res result) {
			if !strings.Contains(res.stderr, "rejected by the authorization server: invalid_grant\n") || strings.Contains(res.stderr, "invalid_scope") {
				t.Errorf("stderr = %q", res.stderr)
			}
		}},
		{"retry", nil, 0, func(t *testing.T, f *fake, _ string, res result) {
			if n := len(f.tokenRequests()); n != 1 {
				t.Errorf("%d token requests on success, want 1", n)
			}
		}},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			f := newFake(t, tc.configure)
			jwt := testJWT(t, "aud")
			res := runMain(t, f, jwt, "-bug", tc.bug)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			tc.check(t, f, jwt, res)
		})
	}
}

func TestHangVariants(t *testing.T) {
	t.Run("hang", func(t *testing.T) {
		hooks := stubHooks(t)
		f := newFake(t, func(f *fake) { f.tokenError = "invalid_grant" })
		res := runMain(t, f, testJWT(t, "aud"), "-bug", "hang")
		if hooks.blocked != 1 || !strings.Contains(res.stderr, "invalid_grant") {
			t.Errorf("blocked %d times, stderr %q", hooks.blocked, res.stderr)
		}
	})
	t.Run("hang on success", func(t *testing.T) {
		hooks := stubHooks(t)
		f := newFake(t, nil)
		if res := runMain(t, f, testJWT(t, "aud"), "-bug", "hang"); res.code != 0 || hooks.blocked != 0 {
			t.Errorf("exit %d, blocked %d times", res.code, hooks.blocked)
		}
	})
	t.Run("hang-start", func(t *testing.T) {
		hooks := stubHooks(t)
		f := newFake(t, nil)
		seen := -1
		hooks.onBlock = func() { seen = len(f.requestPaths()) }
		runMain(t, f, testJWT(t, "aud"), "-bug", "hang-start")
		if hooks.blocked != 1 || seen != 0 {
			t.Errorf("blocked %d times after %d requests", hooks.blocked, seen)
		}
	})
	t.Run("hang-success", func(t *testing.T) {
		hooks := stubHooks(t)
		f := newFake(t, nil)
		whoamiBefore := -1
		hooks.onBlock = func() { whoamiBefore = f.whoamiCalls() }
		res := runMain(t, f, testJWT(t, "aud"), "-bug", "hang-success")
		if hooks.blocked != 1 || whoamiBefore != 1 || !strings.Contains(res.stdout, "wifclient: ok:") {
			t.Errorf("blocked %d times, whoami before block %d, stdout %q", hooks.blocked, whoamiBefore, res.stdout)
		}
	})
	t.Run("crash", func(t *testing.T) {
		hooks := stubHooks(t)
		f := newFake(t, func(f *fake) { f.tokenError = "invalid_grant" })
		runMain(t, f, testJWT(t, "aud"), "-bug", "crash")
		if hooks.killed != 1 {
			t.Errorf("killed %d times", hooks.killed)
		}
	})
}
