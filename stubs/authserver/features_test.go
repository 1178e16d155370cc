package authserver

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

func TestIssuerPathAndMetadataLocations(t *testing.T) {
	s := newTestServer(t, Config{IssuerPath: "/tenant1", MetadataAt: []string{MetadataOAuth, MetadataOpenID}})
	if !strings.HasSuffix(s.URL(), "/tenant1") || s.TokenEndpoint() != s.URL()+"/token" {
		t.Fatalf("issuer %s token endpoint %s", s.URL(), s.TokenEndpoint())
	}
	for path, want := range map[string]int{
		"/.well-known/oauth-authorization-server/tenant1": 200, // RFC 8414 §3.1 path insertion
		"/tenant1/.well-known/openid-configuration":       200, // OIDC path appended
		"/.well-known/oauth-authorization-server":         404, // the root is a trap
		"/.well-known/openid-configuration":               404,
	} {
		r := get(t, s.Origin()+path)
		if r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
		if want == 200 && r.body["issuer"] != s.URL() {
			t.Errorf("GET %s: issuer %v", path, r.body["issuer"])
		}
	}
	legacy := newTestServer(t, Config{MetadataAt: []string{}})
	if r := get(t, legacy.Origin()+PathMetadata); r.status != 404 || legacy.MetadataURL() != "" {
		t.Errorf("a legacy server serves metadata: %d %q", r.status, legacy.MetadataURL())
	}
}

func TestMetadataFieldsOverride(t *testing.T) {
	s := newTestServer(t, Config{MetadataFields: map[string]any{"issuer": "https://attacker.example.com", "jwks_uri": nil, "x": true}})
	r := get(t, s.MetadataURL())
	if r.body["issuer"] != "https://attacker.example.com" || r.body["x"] != true {
		t.Fatalf("metadata %v", r.body)
	}
	if _, ok := r.body["jwks_uri"]; ok {
		t.Fatal("a field set to nil is still there")
	}
}

func TestResponseRulesOnAnyEndpoint(t *testing.T) {
	var ruleErrs []string
	set := &rules.Set{
		Rules: []rules.Rule{
			{Name: "busy", Endpoint: record.EndpointToken,
				Match: func(in *record.Incoming) (bool, error) { return in.Attempt == 1, nil },
				Reply: rules.Reply{Status: 503, Error: "temporarily_unavailable", Headers: map[string]string{"Retry-After": "1"}}},
			{Name: "moved", Endpoint: record.EndpointMetadata,
				Reply: rules.Reply{Status: 404, Body: `{"gone":true}`}},
			{Name: "broken", Endpoint: record.EndpointJWKS,
				Match: func(*record.Incoming) (bool, error) { return false, errors.New("boom") }},
		},
		OnError: func(rule string, err error) { ruleErrs = append(ruleErrs, rule+": "+err.Error()) },
	}
	s := newTestServer(t, Config{ResponseRules: set})
	first := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "r-1"))))
	if first.status != 503 || first.header.Get("Retry-After") != "1" || first.body["error"] != "temporarily_unavailable" {
		t.Fatalf("first attempt: %d %v %v", first.status, first.header, first.body)
	}
	if tr := lastTokenRequest(t, s); tr.Response.Rule != "busy" || tr.Response.Status != 503 || tr.Response.Error != "temporarily_unavailable" {
		t.Fatalf("record %+v", tr.Response)
	}
	if second := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "r-2")))); second.status != 200 {
		t.Fatalf("second attempt: %d %v", second.status, second.body)
	}
	if r := get(t, s.MetadataURL()); r.status != 404 || r.raw != `{"gone":true}` {
		t.Fatalf("metadata rule: %d %s", r.status, r.raw)
	}
	if r := get(t, s.JWKSURL()); r.status != 500 || len(ruleErrs) != 1 || !strings.Contains(ruleErrs[0], "broken: boom") {
		t.Fatalf("a failing rule: %d, reported %v", r.status, ruleErrs)
	}
	var endpoints []string
	for _, r := range s.Requests() {
		endpoints = append(endpoints, r.Endpoint+"/"+r.Rule)
	}
	if got := strings.Join(endpoints, " "); got != "token/busy token/ metadata/moved jwks/broken" {
		t.Fatalf("records %s", got)
	}
}

func basicAuth(id, secret string) string {
	return "Basic " + encodeBasic(url.QueryEscape(id)+":"+url.QueryEscape(secret))
}

func TestClientAuthentication(t *testing.T) {
	key, _ := jwt.NewKey("ES256")
	other, _ := jwt.NewKey("ES256")
	s := newTestServer(t, Config{
		GrantTypesSupported:      []string{record.GrantClientCredentials},
		TokenEndpointAuthMethods: []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT},
		Clients:                  []Client{{ID: "c1", Secret: "s e:cret"}, {ID: "c2", Keys: jwt.Keys{key}}},
	})
	cc := url.Values{"grant_type": {record.GrantClientCredentials}, "scope": {"mcp:tools"}}
	req := func(form url.Values, auth string) result {
		r, _ := http.NewRequest(http.MethodPost, s.TokenEndpoint(), strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return do(t, r)
	}
	with := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range cc {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	assertion := func(k *jwt.Key, iss, aud string) string {
		tok, err := k.Mint(jwt.Claims{Issuer: iss, Subject: iss, Audience: []string{aud}, IssuedAt: t0, Expiry: t0.Add(time.Minute), ID: "a"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		auth   string
		status int
		method string
		basic  bool
	}{
		{"basic", with(), basicAuth("c1", "s e:cret"), 200, AuthClientSecretBasic, false},
		{"basic wrong secret", with(), basicAuth("c1", "nope"), 401, AuthClientSecretBasic, true},
		{"post", with("client_id", "c1", "client_secret", "s e:cret"), "", 200, AuthClientSecretPost, false},
		{"post wrong secret", with("client_id", "c1", "client_secret", "x"), "", 401, AuthClientSecretPost, false},
		{"private_key_jwt", with("client_assertion_type", ClientAssertionJWT, "client_assertion", assertion(key, "c2", s.URL())), "", 200, AuthPrivateKeyJWT, false},
		{"private_key_jwt other key", with("client_assertion_type", ClientAssertionJWT, "client_assertion", assertion(other, "c2", s.URL())), "", 401, AuthPrivateKeyJWT, false},
		{"private_key_jwt wrong audience", with("client_assertion_type", ClientAssertionJWT, "client_assertion", assertion(key, "c2", "https://elsewhere")), "", 401, AuthPrivateKeyJWT, false},
		{"private_key_jwt wrong type", with("client_assertion_type", "x", "client_assertion", assertion(key, "c2", s.URL())), "", 401, AuthPrivateKeyJWT, false},
		{"none", with("client_id", "c1"), "", 401, AuthNone, false},
	} {
		r := req(tc.form, tc.auth)
		tr := lastTokenRequest(t, s)
		if r.status != tc.status || tr.ClientAuth.Method != tc.method {
			t.Errorf("%s: %d %v (auth %+v), want %d %s", tc.name, r.status, r.body, tr.ClientAuth, tc.status, tc.method)
		}
		if tc.status == 401 && r.body["error"] != "invalid_client" {
			t.Errorf("%s: error %v, want invalid_client", tc.name, r.body["error"])
		}
		if got := r.header.Get("WWW-Authenticate") != ""; got != tc.basic {
			t.Errorf("%s: WWW-Authenticate %q; a challenge is due exactly when Basic failed (RFC 6749 §5.2)", tc.name, r.header.Get("WWW-Authenticate"))
		}
	}
	md := get(t, s.MetadataURL())
	if m := md.body["token_endpoint_auth_methods_supported"].([]any); len(m) != 3 || m[0] != AuthClientSecretBasic {
		t.Errorf("advertised methods %v", m)
	}
}

func TestRefreshTokensRotate(t *testing.T) {
	s := newTestServer(t, Config{GrantTypesSupported: []string{GrantJWTBearer, record.GrantRefreshToken}, IssueRefreshTokens: true, TokenTTL: time.Minute})
	first := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "rt-1"))))
	rt, _ := first.body["refresh_token"].(string)
	if first.status != 200 || rt == "" {
		t.Fatalf("no refresh token: %d %v", first.status, first.body)
	}
	refresh := url.Values{"grant_type": {record.GrantRefreshToken}, "refresh_token": {rt}}
	second := postForm(t, s, refresh)
	if second.status != 200 || second.body["refresh_token"] == rt || second.body["refresh_token"] == nil {
		t.Fatalf("refresh: %d %v", second.status, second.body)
	}
	if again := postForm(t, s, refresh); again.status != 400 || again.body["error"] != "invalid_grant" {
		t.Fatalf("a rotated refresh token was accepted again: %d %v", again.status, again.body)
	}
	at := first.body["access_token"].(string)
	info, ok := s.Lookup(at)
	if !ok || info.Refresh || !info.ExpiresAt.Equal(t0.Add(time.Minute)) || info.Grant != GrantJWTBearer {
		t.Fatalf("issued %+v %v", info, ok)
	}
	if s.IsIssued(rt) {
		t.Fatal("a refresh token counts as an access token")
	}
}

func TestTokenExchangeIssuesIDJAG(t *testing.T) {
	idpKey, _ := jwt.NewKey("ES256")
	user, _ := jwt.NewKey("ES256")
	s := newTestServer(t, Config{
		GrantTypesSupported: []string{record.GrantTokenExchange},
		Keys:                jwt.Keys{user},
		Exchange:            &Exchange{Signer: idpKey},
		MetadataAt:          []string{MetadataOpenID},
	})
	idToken, _ := user.Mint(jwt.Claims{Issuer: s.URL(), Subject: "demo-user@example.com", Audience: []string{"idp-client"}, IssuedAt: t0, Expiry: t0.Add(time.Hour)})
	form := url.Values{
		"grant_type": {record.GrantTokenExchange}, "subject_token": {idToken},
		"subject_token_type": {TokenTypeIDToken}, "requested_token_type": {TokenTypeIDJAG},
		"audience": {"https://as.example"}, "resource": {"https://mcp.example/mcp"}, "client_id": {"xaa"},
	}
	r := postForm(t, s, form)
	if r.status != 200 || r.body["issued_token_type"] != TokenTypeIDJAG || r.body["token_type"] != "N_A" {
		t.Fatalf("exchange: %d %v", r.status, r.body)
	}
	h, c, err := jwt.Keys{idpKey}.Verify(r.body["access_token"].(string))
	if err != nil || h["typ"] != IDJAGType || c["sub"] != "demo-user@example.com" || c["resource"] != "https://mcp.example/mcp" || c["client_id"] != "xaa" || c["iss"] != s.URL() {
		t.Fatalf("ID-JAG header %v claims %v err %v", h, c, err)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Del("resource")
	if r := postForm(t, s, bad); r.status != 400 || r.body["error"] != "invalid_request" {
		t.Fatalf("no resource: %d %v", r.status, r.body)
	}
	forged, _ := idpKey.Mint(jwt.Claims{Subject: "x", Expiry: t0.Add(time.Hour)})
	bad.Set("resource", "r")
	bad.Set("subject_token", forged)
	if r := postForm(t, s, bad); r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("an untrusted subject token: %d %v", r.status, r.body)
	}
}

func encodeBasic(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
