package authserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

// codeServer is a server with the authorization code grant, public
// clients and registration.
func codeServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.GrantTypesSupported = []string{record.GrantAuthorizationCode}
	cfg.Registration = true
	return newTestServer(t, cfg)
}

// authorize sends an authorization request and returns the response
// without following its redirect.
func authorize(t *testing.T, s *Server, q url.Values) (*http.Response, url.Values) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.URL() + PathAuthorize + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return resp, loc.Query()
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B

func authRequest() url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"http://127.0.0.1:9/cb?keep=1"},
		"state": {"xyz"}, "scope": {"mcp:basic"}, "resource": {"http://127.0.0.1:1/mcp"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
}

func codeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"app"},
		"redirect_uri": {"http://127.0.0.1:9/cb?keep=1"}, "code_verifier": {verifier}}
}

func TestPKCEChallengeMatchesRFC7636(t *testing.T) {
	if got := PKCEChallenge(verifier, "S256"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 challenge %q", got)
	}
	if PKCEChallenge("v", "plain") != "v" {
		t.Fatal("plain challenge is not the verifier")
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	s := codeServer(t, Config{})
	resp, q := authorize(t, s, authRequest())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	if q.Get("keep") != "1" || q.Get("state") != "xyz" || q.Get("iss") != s.URL() || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	rec := s.Requests()[0]
	if rec.Endpoint != record.EndpointAuthorize || rec.Location != resp.Header.Get("Location") || rec.Status != 302 {
		t.Fatalf("authorize record %+v", rec)
	}
	code := q.Get("code")

	// A wrong verifier is refused, and the code is then spent.
	if r := postForm(t, s, codeForm(code, "wrong-verifier-wrong-verifier-wrong-verifier")); r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %s", r.status, r.raw)
	}
	if tr := lastTokenRequest(t, s); tr.Code == nil || tr.Code.PKCE != "mismatch" || tr.Response.Reason != ReasonPKCE {
		t.Fatalf("wrong verifier record: %+v %+v", tr.Code, tr.Response)
	}

	_, q = authorize(t, s, authRequest())
	code = q.Get("code")
	r := postForm(t, s, codeForm(code, verifier))
	if r.status != 200 || r.body["scope"] != "mcp:basic" || r.body["token_type"] != "Bearer" {
		t.Fatalf("exchange: %d %s", r.status, r.raw)
	}
	tr := lastTokenRequest(t, s)
	if g := tr.Code; g == nil || !g.Known || g.PKCE != "verified" || g.ClientID != "app" || g.Resource != "http://127.0.0.1:1/mcp" || g.CodeChallengeMethod != "S256" {
		t.Fatalf("code record %+v", tr.Code)
	}
	if tok, ok := s.Lookup(r.body["access_token"].(string)); !ok || tok.Scope != "mcp:basic" || tok.Grant != record.GrantAuthorizationCode {
		t.Fatalf("issued %+v %v", tok, ok)
	}
	// A code is redeemed once (RFC 6749 §4.1.2).
	if r := postForm(t, s, codeForm(code, verifier)); r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %s", r.status, r.raw)
	}
	if tr := lastTokenRequest(t, s); !tr.Code.Reused {
		t.Fatalf("reuse not recorded: %+v", tr.Code)
	}
	for name, f := range map[string]url.Values{
		"unknown code":     codeForm("nope", verifier),
		"missing verifier": codeForm(q.Get("code"), ""),
		"other client":     func() url.Values { f := codeForm(code, verifier); f.Set("client_id", "other"); return f }(),
		"other redirect": func() url.Values {
			f := codeForm(code, verifier)
			f.Set("redirect_uri", "http://127.0.0.1:9/x")
			return f
		}(),
		"missing code": {"grant_type": {"authorization_code"}, "client_id": {"app"}},
	} {
		if name != "missing code" && name != "unknown code" {
			_, q := authorize(t, s, authRequest())
			f.Set("code", q.Get("code"))
		}
		want := "invalid_grant"
		if name == "missing code" {
			want = "invalid_request"
		}
		if r := postForm(t, s, f); r.status != 400 || r.body["error"] != want {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s := codeServer(t, Config{})
	for name, c := range map[string]struct {
		edit   func(url.Values)
		status int
		err    string
	}{
		"no redirect_uri":       {func(q url.Values) { q.Del("redirect_uri") }, 400, "invalid_request"},
		"relative redirect_uri": {func(q url.Values) { q.Set("redirect_uri", "/cb") }, 400, "invalid_request"},
		"no client_id":          {func(q url.Values) { q.Del("client_id") }, 400, "invalid_request"},
		"token response type":   {func(q url.Values) { q.Set("response_type", "token") }, 302, "unsupported_response_type"},
		"unknown method":        {func(q url.Values) { q.Set("code_challenge_method", "S512") }, 302, "invalid_request"},
	} {
		q := authRequest()
		c.edit(q)
		resp, red := authorize(t, s, q)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.status)
		}
		if c.status == 302 && (red.Get("error") != c.err || red.Get("code") != "" || red.Get("state") != "xyz") {
			t.Errorf("%s: redirect %v", name, red)
		}
	}
	// Without the authorization code grant there is no authorization endpoint.
	plain := newTestServer(t, Config{})
	if resp, _ := authorize(t, plain, authRequest()); resp.StatusCode != 400 {
		t.Errorf("a JWT-bearer server answers authorize with %d", resp.StatusCode)
	}
}

func TestAuthorizationResponseIss(t *testing.T) {
	for name, c := range map[string]struct {
		f          func() (string, bool, error)
		want       string
		send, fail bool
	}{
		"omitted": {f: func() (string, bool, error) { return "", false, nil }},
		"wrong":   {f: func() (string, bool, error) { return "https://evil.example.com", true, nil }, want: "https://evil.example.com", send: true},
		"failing": {f: func() (string, bool, error) { return "", false, errors.New("boom") }, fail: true},
	} {
		var reported error
		s := codeServer(t, Config{AuthorizationResponseIss: c.f,
			ResponseRules: &rules.Set{OnError: func(_ string, err error) { reported = err }}})
		resp, q := authorize(t, s, authRequest())
		if c.fail {
			// The scenario's fault: a 500, reported to the server's owner.
			if resp.StatusCode != 500 || reported == nil {
				t.Errorf("%s: status %d, reported %v", name, resp.StatusCode, reported)
			}
			continue
		}
		if _, has := q["iss"]; has != c.send || q.Get("iss") != c.want {
			t.Errorf("%s: iss %v", name, q["iss"])
		}
		var meta map[string]any
		if err := json.Unmarshal(s.metadata, &meta); err != nil || meta["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("%s: metadata %v", name, meta)
		}
	}
}

func TestRegistration(t *testing.T) {
	s := codeServer(t, Config{TokenEndpointAuthMethods: []string{AuthClientSecretBasic, AuthNone}})
	register := func(body string) result {
		t.Helper()
		return post(t, s.URL()+PathRegister, "application/json", body)
	}
	r := register(`{"redirect_uris":["http://127.0.0.1:9/cb"],"client_name":"x","application_type":"native"}`)
	if r.status != 201 || r.body["client_secret"] == nil || r.body["token_endpoint_auth_method"] != AuthClientSecretBasic ||
		r.body["application_type"] != "native" || !strings.HasPrefix(r.body["client_id"].(string), "auth-client-") {
		t.Fatalf("confidential registration: %d %s", r.status, r.raw)
	}
	id, secret := r.body["client_id"].(string), r.body["client_secret"].(string)
	if rec := s.Requests()[0]; !strings.Contains(rec.Body, `"application_type":"native"`) {
		t.Fatalf("registration body not recorded: %q", rec.Body)
	}
	pub := register(`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`)
	if pub.status != 201 || pub.body["client_secret"] != nil || pub.body["token_endpoint_auth_method"] != AuthNone {
		t.Fatalf("public registration: %d %s", pub.status, pub.raw)
	}
	for body, want := range map[string]string{
		`{"client_name":"x"}`:                    "invalid_redirect_uri",
		`{"redirect_uris":["/relative"]}`:        "invalid_redirect_uri",
		`[1,2]`:                                  "invalid_client_metadata",
		`{"grant_types":["client_credentials"]}`: "",
	} {
		r := register(body)
		if want == "" {
			if r.status != 201 {
				t.Errorf("%s: %d %s", body, r.status, r.raw)
			}
			continue
		}
		if r.status != 400 || r.body["error"] != want {
			t.Errorf("%s: %d %s", body, r.status, r.raw)
		}
	}

	// The registered confidential client authenticates at the token endpoint.
	q := authRequest()
	q.Set("client_id", id)
	_, red := authorize(t, s, q)
	f := codeForm(red.Get("code"), verifier)
	f.Del("client_id")
	req, _ := http.NewRequest(http.MethodPost, s.TokenEndpoint(), strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", formType)
	req.SetBasicAuth(id, secret)
	if r := do(t, req); r.status != 200 {
		t.Fatalf("registered client: %d %s", r.status, r.raw)
	}
	if tr := lastTokenRequest(t, s); !tr.ClientAuth.Verified || tr.ClientAuth.ClientID != id {
		t.Fatalf("client auth %+v", tr.ClientAuth)
	}
}
