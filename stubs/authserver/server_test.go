package authserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/wifdsl/wifdsl/jwt"
)

// t0 is the fixed clock of most tests, so no assertion depends on timing.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const subject = "spiffe://conformance.test/ns/default/sa/agent"

// testKeys is shared so the ES256 key is generated once.
var testKeys = jwt.NewKeySet()

func fixedClock() time.Time { return t0 }

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = testKeys
	}
	if cfg.Now == nil {
		cfg.Now = fixedClock
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}
}

var client = newClient()

// claimsFor returns valid assertion claims for s at t0.
func claimsFor(s *Server, jti string) jwt.Claims {
	return jwt.Claims{
		Issuer:   "https://idp.conformance.test",
		Subject:  subject,
		Audience: []string{s.TokenEndpoint()},
		IssuedAt: t0,
		Expiry:   t0.Add(5 * time.Minute),
		ID:       jti,
	}
}

func mint(t testing.TB, keys *jwt.KeySet, c jwt.Claims) string {
	t.Helper()
	tok, err := keys.Mint("ES256", c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func bearerForm(assertion string) url.Values {
	return url.Values{
		"grant_type": {GrantJWTBearer},
		"assertion":  {assertion},
		"resource":   {"http://127.0.0.1:1/mcp"},
	}
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// send performs req; it is safe to call from any goroutine.
func send(req *http.Request) (result, error) {
	resp, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// sendForm posts a form to the token endpoint; it is safe to call from any
// goroutine.
func sendForm(s *Server, body string) (result, error) {
	req, err := http.NewRequest(http.MethodPost, s.TokenEndpoint(), strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(req)
}

func do(t testing.TB, req *http.Request) result {
	t.Helper()
	r, err := send(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func post(t testing.TB, target, contentType, body string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func postForm(t testing.TB, s *Server, form url.Values) result {
	t.Helper()
	return post(t, s.TokenEndpoint(), "application/x-www-form-urlencoded", form.Encode())
}

func get(t testing.TB, target string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func lastTokenRequest(t *testing.T, s *Server) TokenRequest {
	t.Helper()
	reqs := s.TokenRequests()
	if len(reqs) == 0 {
		t.Fatal("no token request recorded")
	}
	return reqs[len(reqs)-1]
}

func checkNoStore(t *testing.T, r result) {
	t.Helper()
	if r.header.Get("Content-Type") != "application/json" ||
		r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("headers = %v", r.header)
	}
}

func TestURLsAreLoopback(t *testing.T) {
	s := newTestServer(t, Config{})
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" || strings.HasSuffix(s.URL(), "/") {
		t.Fatalf("URL = %q", s.URL())
	}
	if s.TokenEndpoint() != s.URL()+"/token" || s.MetadataURL() != s.URL()+"/.well-known/oauth-authorization-server" {
		t.Fatalf("endpoints %q %q", s.TokenEndpoint(), s.MetadataURL())
	}
}

func TestMetadata(t *testing.T) {
	s := newTestServer(t, Config{ScopesSupported: []string{"mcp:tools"}})
	for _, path := range []string{PathMetadata, PathOIDCMetadata} {
		r := get(t, s.URL()+path)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %v", path, r.status, r.header)
		}
		var meta oauthex.AuthServerMeta
		if err := json.Unmarshal([]byte(r.raw), &meta); err != nil {
			t.Fatal(err)
		}
		want := oauthex.AuthServerMeta{
			Issuer:                            s.URL(),
			AuthorizationEndpoint:             s.URL() + "/authorize",
			TokenEndpoint:                     s.URL() + "/token",
			JWKSURI:                           s.URL() + "/jwks",
			ScopesSupported:                   []string{"mcp:tools"},
			ResponseTypesSupported:            []string{"code"},
			GrantTypesSupported:               []string{GrantJWTBearer},
			TokenEndpointAuthMethodsSupported: []string{"none"},
			CodeChallengeMethodsSupported:     []string{"S256"},
		}
		if !reflect.DeepEqual(meta, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", path, meta, want)
		}
		if strings.Contains(r.raw, "registration_endpoint") {
			t.Errorf("registration_endpoint advertised without Registration: %s", r.raw)
		}
	}

	grants := []string{GrantJWTBearer, "client_credentials"}
	s2 := newTestServer(t, Config{Registration: true, GrantTypesSupported: grants})
	var meta oauthex.AuthServerMeta
	if err := json.Unmarshal([]byte(get(t, s2.MetadataURL()).raw), &meta); err != nil {
		t.Fatal(err)
	}
	if meta.RegistrationEndpoint != s2.URL()+"/register" || !reflect.DeepEqual(meta.GrantTypesSupported, grants) {
		t.Errorf("metadata = %+v", meta)
	}

	// A client built on the MCP Go SDK accepts the document.
	got, err := oauthex.GetAuthServerMeta(context.Background(), s.MetadataURL(), s.URL(), client)
	if err != nil || got == nil || got.TokenEndpoint != s.TokenEndpoint() {
		t.Errorf("GetAuthServerMeta = %+v, %v", got, err)
	}

	if r := post(t, s.MetadataURL(), "", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST metadata = %d", r.status)
	}
}

// verifyOnly is a KeySet without a JWKS method.
type verifyOnly struct{ keys *jwt.KeySet }

func (v verifyOnly) Verify(token string) (map[string]any, map[string]any, error) {
	return v.keys.Verify(token)
}

func TestJWKS(t *testing.T) {
	keys := jwt.NewKeySet()
	k, err := keys.Key("ES256")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Config{Keys: keys})
	r := get(t, s.URL()+"/jwks")
	if r.status != http.StatusOK {
		t.Fatalf("jwks status %d", r.status)
	}
	want, _ := keys.JWKS()
	if r.raw != string(want) || !strings.Contains(r.raw, k.ID()) {
		t.Fatalf("jwks = %s", r.raw)
	}

	s2 := newTestServer(t, Config{Keys: verifyOnly{keys}})
	if r := get(t, s2.URL()+"/jwks"); r.status != http.StatusNotFound {
		t.Fatalf("jwks without JWKS method = %d", r.status)
	}
}

func TestHappyPath(t *testing.T) {
	s := newTestServer(t, Config{TokenPrefix: "case-1", TokenTTL: 10 * time.Minute, Start: t0.Add(-2 * time.Second)})
	assertion := mint(t, testKeys, claimsFor(s, "happy-1"))
	form := bearerForm(assertion)
	form.Set("scope", "mcp:tools")
	r := postForm(t, s, form)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	checkNoStore(t, r)
	tok, _ := r.body["access_token"].(string)
	if !strings.HasPrefix(tok, "case-1-") || len(tok) != len("case-1-")+32 {
		t.Fatalf("access_token = %q", tok)
	}
	if r.body["token_type"] != "Bearer" || r.body["expires_in"] != 600.0 || r.body["scope"] != "mcp:tools" {
		t.Fatalf("body = %s", r.raw)
	}
	if !s.IsIssued(tok) || s.IsIssued(tok+"x") || s.IsIssued("") {
		t.Fatal("IsIssued wrong")
	}
	if got := s.IssuedTokens(); !reflect.DeepEqual(got, []string{tok}) {
		t.Fatalf("IssuedTokens = %v", got)
	}

	tr := lastTokenRequest(t, s)
	if tr.Seq != 1 || tr.At != 2*time.Second || !tr.Time.Equal(t0) || tr.Method != "POST" || tr.Path != "/token" ||
		tr.ContentType != "application/x-www-form-urlencoded" || tr.Body != form.Encode() || tr.BodyTruncated ||
		tr.FormError != "" || tr.RepeatedKeys != nil || tr.Query == nil {
		t.Fatalf("record = %+v", tr)
	}
	if !reflect.DeepEqual(tr.Form, map[string][]string(form)) {
		t.Fatalf("form = %v", tr.Form)
	}
	if tr.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || tr.Header.Get("User-Agent") == "" {
		t.Fatalf("header = %v", tr.Header)
	}
	if tr.Claims["sub"] != subject || tr.Claims["jti"] != "happy-1" || tr.AssertionHeader["alg"] != "ES256" {
		t.Fatalf("claims %v header %v", tr.Claims, tr.AssertionHeader)
	}
	want := TokenResponse{Status: 200, AccessToken: tok, TokenType: "Bearer", Scope: "mcp:tools", ExpiresIn: 600}
	if tr.Response != want {
		t.Fatalf("response = %+v", tr.Response)
	}
	if s.TokenRequestCount() != 1 {
		t.Fatalf("count = %d", s.TokenRequestCount())
	}

	// The records are copies.
	tr.Form["grant_type"][0] = "mutated"
	tr.Claims["sub"] = "mutated"
	again := lastTokenRequest(t, s)
	if again.Form["grant_type"][0] != GrantJWTBearer || again.Claims["sub"] != subject {
		t.Fatal("TokenRequests exposes internal state")
	}
}

type rejection struct {
	name    string
	cfg     Config
	setup   func(t *testing.T, s *Server) // before the request
	request func(t *testing.T, s *Server) result
	status  int
	code    string // "" = success
	reason  string
	rule    string
	descHas string
	check   func(t *testing.T, tr TokenRequest)
}

func TestTokenEndpointRejections(t *testing.T) {
	foreign := jwt.NewKeySet()
	valid := func(s *Server, jti string) string { return mint(t, testKeys, claimsFor(s, jti)) }
	withClaims := func(s *Server, f func(*jwt.Claims)) string {
		c := claimsFor(s, "")
		f(&c)
		return mint(t, testKeys, c)
	}
	rogue := Rule{
		Name: "subject-not-allowed",
		Match: func(req *TokenRequest, claims map[string]any) (bool, error) {
			return claims["sub"] == "spiffe://conformance.test/ns/default/sa/rogue", nil
		},
		Error:            "unauthorized_client",
		ErrorDescription: "subject is not allowed",
		Status:           403,
	}

	cases := []rejection{
		{
			name: "GET",
			request: func(t *testing.T, s *Server) result {
				return get(t, s.TokenEndpoint()+"?"+bearerForm(valid(s, "")).Encode())
			},
			status: 400, code: "invalid_request", reason: ReasonMethod, descHas: "POST",
			check: func(t *testing.T, tr TokenRequest) {
				if tr.Method != "GET" || tr.Query["grant_type"][0] != GrantJWTBearer || tr.Form != nil || tr.Claims["sub"] != subject {
					t.Errorf("record = %+v", tr)
				}
			},
		},
		{
			name: "JSON body",
			request: func(t *testing.T, s *Server) result {
				b, _ := json.Marshal(map[string]string{"grant_type": GrantJWTBearer, "assertion": valid(s, "")})
				return post(t, s.TokenEndpoint(), "Application/JSON; charset=utf-8", string(b))
			},
			status: 400, code: "invalid_request", reason: ReasonContentType, descHas: "application/json",
			check: func(t *testing.T, tr TokenRequest) {
				if tr.ContentType != "application/json" || tr.Form != nil || tr.FormError == "" || !strings.Contains(tr.Body, "grant_type") {
					t.Errorf("record = %+v", tr)
				}
			},
		},
		{
			name: "no content type",
			request: func(t *testing.T, s *Server) result {
				return post(t, s.TokenEndpoint(), "", bearerForm(valid(s, "")).Encode())
			},
			status: 400, code: "invalid_request", reason: ReasonContentType,
		},
		{
			name: "unparsable form",
			request: func(t *testing.T, s *Server) result {
				return post(t, s.TokenEndpoint(), "application/x-www-form-urlencoded", "grant_type=%zz&assertion=x")
			},
			status: 400, code: "invalid_request", reason: ReasonForm,
			check: func(t *testing.T, tr TokenRequest) {
				if tr.Form != nil || tr.FormError == "" {
					t.Errorf("record = %+v", tr)
				}
			},
		},
		{
			name: "repeated parameter",
			request: func(t *testing.T, s *Server) result {
				f := bearerForm(valid(s, ""))
				f.Add("scope", "a")
				f.Add("scope", "b")
				f.Add("assertion", "x")
				return postForm(t, s, f)
			},
			status: 400, code: "invalid_request", reason: ReasonRepeated, descHas: "assertion, scope",
			check: func(t *testing.T, tr TokenRequest) {
				if !reflect.DeepEqual(tr.RepeatedKeys, []string{"assertion", "scope"}) {
					t.Errorf("RepeatedKeys = %v", tr.RepeatedKeys)
				}
			},
		},
		{
			name: "missing grant_type",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"assertion": {valid(s, "")}})
			},
			status: 400, code: "invalid_request", reason: ReasonMissingGrantType,
		},
		{
			name: "empty grant_type",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"grant_type": {""}, "assertion": {valid(s, "")}})
			},
			status: 400, code: "invalid_request", reason: ReasonMissingGrantType,
		},
		{
			name: "unsupported grant_type",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_assertion": {valid(s, "")}})
			},
			status: 400, code: "unsupported_grant_type", reason: ReasonUnsupportedGrant, descHas: "client_credentials",
			check: func(t *testing.T, tr TokenRequest) {
				if tr.Claims["sub"] != subject {
					t.Errorf("client_assertion not decoded: %v", tr.Claims)
				}
			},
		},
		{
			name: "missing assertion",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"grant_type": {GrantJWTBearer}})
			},
			status: 400, code: "invalid_request", reason: ReasonMissingAssertion,
		},
		{
			name: "undecodable assertion",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm("not-a-jwt"))
			},
			status: 400, code: "invalid_grant", reason: ReasonSignature,
			check: func(t *testing.T, tr TokenRequest) {
				if tr.Claims != nil || tr.AssertionHeader != nil {
					t.Errorf("claims of garbage = %v", tr.Claims)
				}
			},
		},
		{
			name: "foreign key",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(mint(t, foreign, claimsFor(s, ""))))
			},
			status: 400, code: "invalid_grant", reason: ReasonSignature, descHas: "unknown kid",
			check: func(t *testing.T, tr TokenRequest) {
				if tr.Claims["sub"] != subject {
					t.Errorf("unverified claims not recorded: %v", tr.Claims)
				}
			},
		},
		{
			name: "tampered signature",
			request: func(t *testing.T, s *Server) result {
				tok := valid(s, "")
				parts := strings.Split(tok, ".")
				_, claims, _ := jwt.Decode(tok)
				claims["sub"] = "spiffe://conformance.test/ns/default/sa/rogue"
				b, _ := json.Marshal(claims)
				forged := parts[0] + "." + b64url(b) + "." + parts[2]
				return postForm(t, s, bearerForm(forged))
			},
			status: 400, code: "invalid_grant", reason: ReasonSignature,
		},
		{
			name: "key set rejects everything",
			cfg:  Config{Keys: rejectAll{}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 400, code: "invalid_grant", reason: ReasonSignature,
		},
		{
			name: "expired beyond leeway",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) {
					c.IssuedAt, c.Expiry = t0.Add(-10*time.Minute), t0.Add(-31*time.Second)
				})))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonExpired, descHas: "leeway 30s",
		},
		{
			name: "expired within leeway",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) {
					c.IssuedAt, c.Expiry = t0.Add(-10*time.Minute), t0.Add(-29*time.Second)
				})))
			},
			status: 200,
		},
		{
			name: "expired within custom leeway",
			cfg:  Config{Leeway: 2 * time.Minute},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) {
					c.IssuedAt, c.Expiry = t0.Add(-10*time.Minute), t0.Add(-time.Minute)
				})))
			},
			status: 200,
		},
		{
			name: "missing exp",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.Expiry = time.Time{} })))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonMissingExp,
		},
		{
			name: "not yet valid",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.NotBefore = t0.Add(time.Minute) })))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonNotYetValid,
		},
		{
			name: "issued in the future",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.IssuedAt = t0.Add(time.Minute) })))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonIssuedInFuture,
		},
		{
			name: "wrong audience",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) {
					c.Audience = []string{"https://as.example.com/token"}
				})))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonAudience, descHas: "https://as.example.com/token",
		},
		{
			name: "issuer as audience",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.Audience = []string{s.URL()} })))
			},
			status: 200,
		},
		{
			name: "missing iss",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.Issuer = "" })))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonMissingIss,
		},
		{
			name: "missing sub",
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) { c.Subject = "" })))
			},
			status: 400, code: "invalid_grant", reason: jwt.ReasonMissingSub,
		},
		{
			name: "replayed jti via MarkSeen",
			setup: func(t *testing.T, s *Server) {
				s.MarkSeen("used-1", "used-2")
			},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "used-2")))
			},
			status: 400, code: "invalid_grant", reason: ReasonReplay, descHas: "used-2",
		},
		{
			name: "replayed jti via SeenJTIs",
			cfg:  Config{SeenJTIs: []string{"old"}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "old")))
			},
			status: 400, code: "invalid_grant", reason: ReasonReplay,
		},
		{
			name: "replayed jti after success",
			setup: func(t *testing.T, s *Server) {
				if r := postForm(t, s, bearerForm(valid(s, "once"))); r.status != 200 {
					t.Fatalf("first use: %d %s", r.status, r.raw)
				}
			},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "once")))
			},
			status: 400, code: "invalid_grant", reason: ReasonReplay,
		},
		{
			name: "jti reusable after rule rejection",
			cfg: Config{Rules: []Rule{{Name: "first-scope", Match: func(req *TokenRequest, _ map[string]any) (bool, error) {
				return req.Form["scope"] != nil, nil
			}}}},
			setup: func(t *testing.T, s *Server) {
				f := bearerForm(valid(s, "retry"))
				f.Set("scope", "x")
				if r := postForm(t, s, f); r.status != 400 {
					t.Fatalf("first: %d %s", r.status, r.raw)
				}
			},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "retry")))
			},
			status: 200,
		},
		{
			name: "rule with custom status and error",
			cfg:  Config{Rules: []Rule{rogue}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(withClaims(s, func(c *jwt.Claims) {
					c.Subject = "spiffe://conformance.test/ns/default/sa/rogue"
				})))
			},
			status: 403, code: "unauthorized_client", rule: "subject-not-allowed", descHas: "subject is not allowed",
		},
		{
			name: "rule not matching",
			cfg:  Config{Rules: []Rule{rogue}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 200,
		},
		{
			name: "first matching rule wins, defaults",
			cfg: Config{Rules: []Rule{
				{Name: "never", Match: func(*TokenRequest, map[string]any) (bool, error) { return false, nil }},
				{Name: "always"},
				{Name: "later", Error: "invalid_scope"},
			}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 400, code: "invalid_grant", rule: "always",
		},
		{
			name: "invalid_client rule answers 401",
			cfg:  Config{Rules: []Rule{{Name: "bad-client", Error: "invalid_client"}}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 401, code: "invalid_client", rule: "bad-client",
		},
		{
			name: "rule Match error",
			cfg: Config{Rules: []Rule{{Name: "broken", Match: func(*TokenRequest, map[string]any) (bool, error) {
				return false, errors.New("cannot evaluate claims.sub")
			}}}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 500, code: "server_error", rule: "broken", reason: "rule broken: cannot evaluate claims.sub",
		},
		{
			name: "rule Match panic",
			cfg: Config{Rules: []Rule{{Name: "panics", Match: func(*TokenRequest, map[string]any) (bool, error) {
				var m map[string]int
				m["x"] = 1
				return true, nil
			}}}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(valid(s, "")))
			},
			status: 500, code: "server_error", rule: "panics",
			check: func(t *testing.T, tr TokenRequest) {
				if !strings.Contains(tr.Response.Reason, "panicked") {
					t.Errorf("reason = %q", tr.Response.Reason)
				}
			},
		},
		{
			name: "advertised non-JWT grant succeeds without assertion",
			cfg:  Config{GrantTypesSupported: []string{GrantJWTBearer, "client_credentials"}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"grant_type": {"client_credentials"}})
			},
			status: 200,
		},
		{
			name: "advertised non-JWT grant still meets rules",
			cfg: Config{
				GrantTypesSupported: []string{GrantJWTBearer, "client_credentials"},
				Rules: []Rule{{Name: "no-cc", Error: "unauthorized_client", Match: func(req *TokenRequest, _ map[string]any) (bool, error) {
					return req.Form["grant_type"][0] == "client_credentials", nil
				}}},
			},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, url.Values{"grant_type": {"client_credentials"}})
			},
			status: 400, code: "unauthorized_client", rule: "no-cc",
		},
		{
			name: "SkipVerification accepts a foreign expired assertion",
			cfg:  Config{SkipVerification: true},
			request: func(t *testing.T, s *Server) result {
				c := claimsFor(s, "")
				c.Expiry = t0.Add(-time.Hour)
				return postForm(t, s, bearerForm(mint(t, foreign, c)))
			},
			status: 200,
		},
		{
			name: "SkipVerification still checks replay",
			cfg:  Config{SkipVerification: true, SeenJTIs: []string{"dup"}},
			request: func(t *testing.T, s *Server) result {
				return postForm(t, s, bearerForm(mint(t, foreign, claimsFor(s, "dup"))))
			},
			status: 400, code: "invalid_grant", reason: ReasonReplay,
		},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var onError []string
			var mu sync.Mutex
			cfg := c.cfg
			cfg.OnError = func(at time.Time, code string) {
				mu.Lock()
				defer mu.Unlock()
				if !at.Equal(t0) {
					t.Errorf("OnError at %v", at)
				}
				onError = append(onError, code)
			}
			s := newTestServer(t, cfg)
			if c.setup != nil {
				c.setup(t, s)
			}
			mu.Lock()
			before := len(onError)
			mu.Unlock()

			r := c.request(t, s)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			checkNoStore(t, r)
			tr := lastTokenRequest(t, s)
			if tr.Seq != s.TokenRequestCount() || tr.Response.Status != c.status {
				t.Errorf("record seq %d status %d", tr.Seq, tr.Response.Status)
			}
			mu.Lock()
			calls := onError[before:]
			mu.Unlock()
			if c.code == "" {
				if _, ok := r.body["access_token"].(string); !ok || !s.IsIssued(tr.Response.AccessToken) || r.body["access_token"] != tr.Response.AccessToken {
					t.Errorf("success body %s, record %+v", r.raw, tr.Response)
				}
				if len(calls) != 0 {
					t.Errorf("OnError called on success: %v", calls)
				}
			} else {
				if r.body["error"] != c.code || tr.Response.Error != c.code {
					t.Errorf("error %v / record %q, want %q (%s)", r.body["error"], tr.Response.Error, c.code, r.raw)
				}
				desc, _ := r.body["error_description"].(string)
				if desc != tr.Response.ErrorDescription || !strings.Contains(desc, c.descHas) {
					t.Errorf("error_description %q (record %q), want it to contain %q", desc, tr.Response.ErrorDescription, c.descHas)
				}
				if c.reason != "" && tr.Response.Reason != c.reason {
					t.Errorf("reason %q, want %q", tr.Response.Reason, c.reason)
				}
				if tr.Response.Rule != c.rule {
					t.Errorf("rule %q, want %q", tr.Response.Rule, c.rule)
				}
				if tr.Response.AccessToken != "" || len(s.IssuedTokens()) != countSuccesses(s) {
					t.Errorf("token issued on error")
				}
				if !reflect.DeepEqual(calls, []string{c.code}) {
					t.Errorf("OnError calls %v, want [%s]", calls, c.code)
				}
			}
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			if last.Server != "auth" || last.Path != "/token" || last.Status != c.status || last.Method != tr.Method {
				t.Errorf("request record %+v", last)
			}
			if c.check != nil {
				c.check(t, tr)
			}
		})
	}
}

func countSuccesses(s *Server) int {
	n := 0
	for _, tr := range s.TokenRequests() {
		if tr.Response.Status == 200 {
			n++
		}
	}
	return n
}

// rejectAll is a KeySet that trusts no key.
type rejectAll struct{}

func (rejectAll) Verify(string) (map[string]any, map[string]any, error) {
	return nil, nil, errors.New("no trusted keys")
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestNilKeysRejects(t *testing.T) {
	s, err := New(Config{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, ""))))
	tr := lastTokenRequest(t, s)
	if r.status != 400 || tr.Response.Reason != ReasonSignature || !strings.Contains(tr.Response.ErrorDescription, "no trusted keys") {
		t.Fatalf("%d %+v", r.status, tr.Response)
	}
	if r := get(t, s.URL()+"/jwks"); r.status != 404 {
		t.Fatalf("jwks with nil keys = %d", r.status)
	}
}

func TestConcurrentReplayOneWinner(t *testing.T) {
	s := newTestServer(t, Config{})
	form := bearerForm(mint(t, testKeys, claimsFor(s, "race"))).Encode()
	const n = 16
	var ok, replayed atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := sendForm(s, form)
			if err != nil {
				t.Error(err)
				return
			}
			switch {
			case r.status == 200:
				ok.Add(1)
			case r.body["error"] == "invalid_grant":
				replayed.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != n-1 {
		t.Fatalf("%d successes, %d replays", ok.Load(), replayed.Load())
	}
}

func TestAuthorizeRegisterOther(t *testing.T) {
	for _, registration := range []bool{false, true} {
		s := newTestServer(t, Config{Registration: registration})
		type call struct {
			method, path string
			status       int
			code         string
		}
		regStatus, regCode := 404, "not_found"
		if registration {
			regStatus, regCode = 400, "invalid_client_metadata"
		}
		calls := []call{
			{"GET", "/authorize?response_type=code&client_id=x", 400, "unsupported_response_type"},
			{"POST", "/authorize", 400, "unsupported_response_type"},
			{"POST", "/register", regStatus, regCode},
			{"GET", "/nowhere", 404, "not_found"},
			{"PUT", "/authorize", 405, "invalid_request"},
		}
		for _, c := range calls {
			req, _ := http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(`{"redirect_uris":["http://127.0.0.1/cb"]}`))
			r := do(t, req)
			if r.status != c.status || r.body["error"] != c.code {
				t.Errorf("registration=%v %s %s = %d %s", registration, c.method, c.path, r.status, r.raw)
			}
		}
		reqs := s.Requests()
		if len(reqs) != len(calls) || s.RequestCount() != len(calls) || s.TokenRequestCount() != 0 {
			t.Fatalf("recorded %d/%d requests", len(reqs), s.RequestCount())
		}
		for i, c := range calls {
			got := reqs[i]
			path, _, _ := strings.Cut(c.path, "?")
			if got.Seq != i+1 || got.Method != c.method || got.Path != path || got.Status != c.status || got.Server != "auth" || !got.Time.Equal(t0) {
				t.Errorf("record %d = %+v", i, got)
			}
		}
		if reqs[0].Query["response_type"][0] != "code" {
			t.Errorf("query not recorded: %v", reqs[0].Query)
		}
	}
}

func TestOversizedBody(t *testing.T) {
	s := newTestServer(t, Config{MaxBody: 1024})
	body := "grant_type=" + url.QueryEscape(GrantJWTBearer) + "&assertion=" + strings.Repeat("a", 4096)
	r := post(t, s.TokenEndpoint(), "application/x-www-form-urlencoded", body)
	if r.status != http.StatusRequestEntityTooLarge || r.body["error"] != "invalid_request" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	tr := lastTokenRequest(t, s)
	if !tr.BodyTruncated || tr.Body != body[:1024] || tr.Form != nil || tr.Response.Reason != ReasonBodyTooLarge || tr.Response.Status != 413 {
		t.Fatalf("record: truncated %v len %d form %v response %+v", tr.BodyTruncated, len(tr.Body), tr.Form, tr.Response)
	}
	// A body of exactly MaxBody is fine.
	exact := "grant_type=x&pad=" + strings.Repeat("b", 1024-len("grant_type=x&pad="))
	r = post(t, s.TokenEndpoint(), "application/x-www-form-urlencoded", exact)
	tr = lastTokenRequest(t, s)
	if r.status != 400 || r.body["error"] != "unsupported_grant_type" || tr.BodyTruncated {
		t.Fatalf("exact-size body: %d %s", r.status, r.raw)
	}
}

func TestMaxRecordsBound(t *testing.T) {
	s := newTestServer(t, Config{MaxRecords: 100})
	const total = 2000
	const workers = 8
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var (
					r   result
					err error
				)
				if i%2 == 0 {
					r, err = sendForm(s, url.Values{"grant_type": {fmt.Sprint("g", i)}}.Encode())
				} else {
					req, _ := http.NewRequest(http.MethodGet, s.MetadataURL(), nil)
					r, err = send(req)
				}
				if err != nil || (r.status != 400 && r.status != 200) {
					t.Errorf("request %d: %d %v", i, r.status, err)
				}
			}
		}()
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	if s.RequestCount() != total || s.TokenRequestCount() != total/2 {
		t.Fatalf("counts %d %d", s.RequestCount(), s.TokenRequestCount())
	}
	reqs, treqs := s.Requests(), s.TokenRequests()
	if len(reqs) != 100 || len(treqs) != 100 {
		t.Fatalf("kept %d requests, %d token requests", len(reqs), len(treqs))
	}
	for i := range 100 {
		if reqs[i].Seq != i+1 || treqs[i].Seq != i+1 {
			t.Fatalf("record %d has seq %d / %d", i, reqs[i].Seq, treqs[i].Seq)
		}
	}
}

func TestMalformedInputNeverCrashes(t *testing.T) {
	s := newTestServer(t, Config{})
	bodies := []string{
		"", "&&&", "=", "grant_type", "a=%", strings.Repeat("x=1&", 500),
		"grant_type=" + url.QueryEscape(GrantJWTBearer) + "&assertion=a.b.c",
		"grant_type=" + url.QueryEscape(GrantJWTBearer) + "&assertion=" + url.QueryEscape("eyJhbGciOiJub25lIn0.e30."),
		"grant_type=" + url.QueryEscape(GrantJWTBearer) + "&assertion=%00%ff",
	}
	for _, b := range bodies {
		r := post(t, s.TokenEndpoint(), "application/x-www-form-urlencoded; charset=\"broken", b)
		if r.status != 400 {
			t.Errorf("body %q: %d %s", b, r.status, r.raw)
		}
	}
	// Non-ASCII and quotes in descriptions stay inside the RFC 6749 §5.2 charset.
	r := postForm(t, s, url.Values{"grant_type": {"gr\"ant\\é\n"}})
	desc := r.body["error_description"].(string)
	for _, c := range []byte(desc) {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Fatalf("error_description has %q: %q", c, desc)
		}
	}
	if s.TokenRequestCount() != len(bodies)+1 {
		t.Fatalf("count %d", s.TokenRequestCount())
	}
}

func TestCloseIdempotent(t *testing.T) {
	s, err := New(Config{Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient()
	resp, err := c.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Get(s.MetadataURL()); err == nil {
		t.Fatal("server still answers after Close")
	}
	if s.RequestCount() != 1 {
		t.Fatalf("records lost after Close: %d", s.RequestCount())
	}
}

func TestStartAndClockDefaults(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newTestServer(t, Config{Now: clock})
	mu.Lock()
	now = now.Add(1500 * time.Millisecond)
	mu.Unlock()
	get(t, s.MetadataURL())
	if r := s.Requests()[0]; r.At != 1500*time.Millisecond || !r.Time.Equal(t0.Add(1500*time.Millisecond)) {
		t.Fatalf("At %v Time %v", r.At, r.Time)
	}
}

func TestConfigIsCopied(t *testing.T) {
	scopes := []string{"a"}
	grants := []string{GrantJWTBearer}
	s := newTestServer(t, Config{ScopesSupported: scopes, GrantTypesSupported: grants})
	scopes[0], grants[0] = "changed", "changed"
	var meta oauthex.AuthServerMeta
	_ = json.Unmarshal([]byte(get(t, s.MetadataURL()).raw), &meta)
	if meta.ScopesSupported[0] != "a" || meta.GrantTypesSupported[0] != GrantJWTBearer {
		t.Fatalf("metadata follows caller's slices: %+v", meta)
	}
	if r := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "")))); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

// TestHammering sends 10,000 requests from one keep-alive client; memory
// stays bounded by MaxRecords while the counters stay exact.
func TestHammering(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 requests")
	}
	s := newTestServer(t, Config{MaxRecords: 50})
	form := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {"x.y.z"}}.Encode()
	const total = 10000
	for i := range total {
		var (
			r   result
			err error
		)
		if i%2 == 0 {
			r, err = sendForm(s, form)
		} else {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/nowhere", nil)
			r, err = send(req)
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 400 && r.status != 404 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	if s.RequestCount() != total || s.TokenRequestCount() != total/2 || len(s.Requests()) != 50 || len(s.TokenRequests()) != 50 {
		t.Fatalf("counts %d %d kept %d %d", s.RequestCount(), s.TokenRequestCount(), len(s.Requests()), len(s.TokenRequests()))
	}
}

func TestOnErrorPanicRecovered(t *testing.T) {
	s := newTestServer(t, Config{OnError: func(time.Time, string) { panic("observer broke") }})
	r := postForm(t, s, url.Values{"grant_type": {"password"}})
	if r.status != 400 || r.body["error"] != "unsupported_grant_type" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

// *jwt.KeySet is the KeySet the engine passes in.
var _ KeySet = (*jwt.KeySet)(nil)
