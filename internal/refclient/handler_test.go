package refclient

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// challenge401 sends an unauthenticated MCP request to f and returns the
// request and its 401 response, as the transport hands them to Authorize.
func challenge401(t *testing.T, f *fake) (*http.Request, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.mcpURL(), strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("MCP endpoint answered %d, want 401", resp.StatusCode)
	}
	return req, resp
}

func newHandler(t *testing.T, jwt string) *JWTBearerHandler {
	t.Helper()
	h, err := NewJWTBearerHandler(JWTBearerConfig{Assertion: jwt})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewJWTBearerHandlerRequiresAssertion(t *testing.T) {
	_, err := NewJWTBearerHandler(JWTBearerConfig{})
	if err == nil || !strings.HasPrefix(err.Error(), "refclient: ") {
		t.Fatalf("err = %v, want a refclient error", err)
	}
}

func TestHandlerObtainsToken(t *testing.T) {
	f := newFake(t, nil)
	jwt := testJWT(t, f.srv.URL+"/token")
	h := newHandler(t, jwt)

	if ts, err := h.TokenSource(context.Background()); err != nil || ts != nil {
		t.Fatalf("TokenSource before Authorize = %v, %v; want nil, nil", ts, err)
	}
	req, resp := challenge401(t, f)
	if err := h.Authorize(context.Background(), req, resp); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	ts, err := h.TokenSource(context.Background())
	if err != nil || ts == nil {
		t.Fatalf("TokenSource after Authorize = %v, %v", ts, err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	issued := f.issuedTokens()
	if len(issued) != 1 || tok.AccessToken != issued[0] {
		t.Fatalf("token = %q, issued %q", tok.AccessToken, issued)
	}
	if tok.Type() != "Bearer" || tok.Expiry.IsZero() {
		t.Errorf("token type %q expiry %v; want Bearer with an expiry from expires_in", tok.Type(), tok.Expiry)
	}

	reqs := f.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("token request %s %s, want POST application/x-www-form-urlencoded", r.Method, r.ContentType)
	}
	if got, want := formKeys(r.Form), []string{"assertion", "grant_type", "resource"}; !slices.Equal(got, want) {
		t.Errorf("form keys %q, want exactly %q", got, want)
	}
	if r.Form.Get("assertion") != jwt {
		t.Errorf("assertion differs from the workload JWT")
	}
	if r.Form.Get("grant_type") != GrantTypeJWTBearer || r.Form.Get("resource") != f.mcpURL() {
		t.Errorf("grant_type=%q resource=%q", r.Form.Get("grant_type"), r.Form.Get("resource"))
	}

	// The discovery happened, in order, before the token request.
	paths := f.requestPaths()
	iPRM := slices.Index(paths, "GET /.well-known/oauth-protected-resource/mcp")
	iASM := slices.Index(paths, "GET /.well-known/oauth-authorization-server")
	iTok := slices.Index(paths, "POST /token")
	if iPRM < 0 || iASM < iPRM || iTok < iASM {
		t.Errorf("request order %q; want PRM, AS metadata, token", paths)
	}

	// A second challenge while the token is valid means the resource refused
	// it; the handler fails instead of presenting the assertion again.
	req, resp = challenge401(t, f)
	if err := h.Authorize(context.Background(), req, resp); !errors.Is(err, ErrTokenRefused) {
		t.Fatalf("second Authorize with a valid token = %v, want ErrTokenRefused", err)
	}
	if n := len(f.tokenRequests()); n != 1 {
		t.Errorf("%d token requests after a second challenge, want 1", n)
	}
}

func TestHandlerSendsChallengeScope(t *testing.T) {
	f := newFake(t, func(f *fake) { f.challengeScope = "mcp:tools" })
	h := newHandler(t, testJWT(t, "aud"))
	req, resp := challenge401(t, f)
	if err := h.Authorize(context.Background(), req, resp); err != nil {
		t.Fatal(err)
	}
	r := f.tokenRequests()[0]
	if got, want := formKeys(r.Form), []string{"assertion", "grant_type", "resource", "scope"}; !slices.Equal(got, want) {
		t.Errorf("form keys %q, want %q", got, want)
	}
	if r.Form.Get("scope") != "mcp:tools" {
		t.Errorf("scope = %q, want the challenge scope", r.Form.Get("scope"))
	}
}

func TestHandlerOAuthErrorIsTypedAndSticky(t *testing.T) {
	f := newFake(t, func(f *fake) { f.tokenError, f.tokenErrorDesc = "invalid_grant", "assertion expired" })
	h := newHandler(t, testJWT(t, "aud"))
	req, resp := challenge401(t, f)
	err := h.Authorize(context.Background(), req, resp)
	var oerr *OAuthError
	if !errors.As(err, &oerr) {
		t.Fatalf("err = %v, want an *OAuthError", err)
	}
	if oerr.Code != "invalid_grant" || oerr.Description != "assertion expired" || oerr.Status != http.StatusBadRequest {
		t.Errorf("OAuthError = %+v", oerr)
	}
	if got := oerr.Error(); got != "oauth2: token request failed: invalid_grant: assertion expired" {
		t.Errorf("Error() = %q", got)
	}
	if ts, _ := h.TokenSource(context.Background()); ts != nil {
		t.Error("TokenSource is non-nil after a failure")
	}

	req, resp = challenge401(t, f)
	if err2 := h.Authorize(context.Background(), req, resp); err2 != err {
		t.Errorf("second Authorize = %v, want the first error again", err2)
	}
	if n := len(f.tokenRequests()); n != 1 {
		t.Errorf("%d token requests, want exactly 1 (no retry)", n)
	}
}

func TestHandlerRequiresAdvertisedGrant(t *testing.T) {
	f := newFake(t, func(f *fake) { f.grantTypes = []string{"authorization_code", "client_credentials"} })
	h := newHandler(t, testJWT(t, "aud"))
	req, resp := challenge401(t, f)
	err := h.Authorize(context.Background(), req, resp)
	if !errors.Is(err, ErrJWTBearerNotSupported) {
		t.Fatalf("err = %v, want ErrJWTBearerNotSupported", err)
	}
	if n := len(f.tokenRequests()); n != 0 {
		t.Errorf("%d token requests, want none", n)
	}
}

func TestHandlerDoesNotGuessTokenEndpoint(t *testing.T) {
	f := newFake(t, func(f *fake) { f.noASMetadata = true })
	h := newHandler(t, testJWT(t, "aud"))
	req, resp := challenge401(t, f)
	err := h.Authorize(context.Background(), req, resp)
	if err == nil || !strings.Contains(err.Error(), "RFC 8414") {
		t.Fatalf("err = %v, want a missing-metadata error", err)
	}
	if n := len(f.tokenRequests()); n != 0 {
		t.Errorf("%d token requests without metadata, want none", n)
	}
	paths := f.requestPaths()
	if !slices.Contains(paths, "GET /.well-known/openid-configuration") {
		t.Errorf("OIDC discovery location not tried: %q", paths)
	}
}

func TestHandlerWellKnownWithoutResourceMetadata(t *testing.T) {
	f := newFake(t, nil)
	h := newHandler(t, testJWT(t, "aud"))
	req, resp := challenge401(t, f)
	resp.Header.Del("WWW-Authenticate") // force RFC 9728 §3.1 derivation
	if err := h.Authorize(context.Background(), req, resp); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if got := f.tokenRequests()[0].Form.Get("resource"); got != f.mcpURL() {
		t.Errorf("resource = %q, want %q", got, f.mcpURL())
	}
}

func TestParseTokenResponseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no access token", `{"token_type":"Bearer"}`, 200, "no access_token"},
		{"not bearer", `{"access_token":"a","token_type":"mac"}`, 200, `token_type "mac"`},
		{"5xx without error", `oops`, 502, "HTTP 502"},
		{"not json", `<html>`, 200, "decoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Body: ioNopCloser(tc.body)}
			_, err := parseTokenResponse(resp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			var oerr *OAuthError
			if errors.As(err, &oerr) {
				t.Errorf("got an OAuthError for a non-OAuth failure: %v", oerr)
			}
		})
	}
	resp := &http.Response{StatusCode: 200, Body: ioNopCloser(`{"access_token":"a","token_type":"bearer","expires_in":"60"}`)}
	tok, err := parseTokenResponse(resp)
	if err != nil || tok.AccessToken != "a" || tok.ExpiresIn != 60 {
		t.Fatalf("lenient parse = %+v, %v", tok, err)
	}
}

func TestAuthServerMetadataURLs(t *testing.T) {
	got, err := authServerMetadataURLs("https://as.example/tenant1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://as.example/.well-known/oauth-authorization-server/tenant1",
		"https://as.example/.well-known/openid-configuration/tenant1",
		"https://as.example/tenant1/.well-known/openid-configuration",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCheckSecureURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://as.example/token":  true,
		"http://127.0.0.1:80/token": true,
		"http://[::1]/token":        true,
		"http://localhost/token":    true,
		"http://as.example/token":   false,
		"ftp://as.example/token":    false,
	} {
		if err := checkSecureURL(u); (err == nil) != ok {
			t.Errorf("checkSecureURL(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}
