package refclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// The authorization code flow of the official core scenarios (MCP
// authorization, OAuth 2.1 §4.1 with PKCE): the go-sdk's
// AuthorizationCodeHandler does discovery, registration (a client ID
// metadata document, the context's pre-registered client, or dynamic
// registration), the authorization request, the code exchange and
// step-up. No browser is involved: the authorization server answers the
// authorization request with a redirect at once, and the client reads the
// code from its Location header without following it.

// Constants the official clients share with the official scenarios.
const (
	// CIMDURL is the client ID metadata document URL the official clients
	// use as their client_id where the authorization server supports it.
	CIMDURL = "https://conformance-test.local/client-metadata.json"
	// redirectURL is where the authorization server sends the code; no
	// one listens there.
	redirectURL = "http://localhost:3000/callback"
)

// authCodeContext holds the context fields of the authorization code flow:
// the credentials of a pre-registered client, when there is one.
type authCodeContext struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// isAuthCodeRun reports whether a run is an authorization code flow: a
// scenario of the official catalogue that hands the client no workload
// JWT and is not one of the machine-to-machine flows.
func isAuthCodeRun(scenario, rawContext string) bool {
	if scenario == "" || isFlowScenario(scenario) || strings.Contains(scenario, "wif") {
		return false
	}
	var cc conformanceContext
	_ = json.Unmarshal([]byte(rawContext), &cc)
	return cc.ValidJWT == "" && cc.JWTFile == ""
}

// authCode runs the authorization code flow and an MCP session; the retry
// variant runs it again after a failure.
func (r *run) authCode(ctx context.Context, ac authCodeContext) int {
	r.addSecret(ac.ClientSecret)
	if r.v.PrintSecrets && ac.ClientSecret != "" {
		fmt.Fprintf(r.stdout, "wifclient: debug: client_secret=%s\n", ac.ClientSecret)
	}
	if r.v.QuitAtStart {
		r.println(r.stderr, "wifclient: giving up before any request")
		return r.exit(1)
	}
	if r.v.ProbeRootPRM {
		if u, err := url.Parse(r.url); err == nil {
			probe(ctx, r.newHTTPTransport(), u.Scheme+"://"+u.Host+"/.well-known/oauth-protected-resource")
		}
	}
	code := r.authCodeOnce(ctx, ac)
	for i := 0; code != 0 && i < r.v.Retries; i++ {
		code = r.authCodeOnce(ctx, ac)
	}
	return code
}

// authCodeOnce runs the flow once.
func (r *run) authCodeOnce(ctx context.Context, ac authCodeContext) int {
	hc := &http.Client{Transport: &authCodeMutator{base: r.newHTTPTransport(), v: r.v, r: r}}
	cfg := &auth.AuthorizationCodeHandlerConfig{
		RedirectURL: redirectURL,
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			ClientName:   "wifdsl reference client",
			RedirectURIs: []string{redirectURL},
			GrantTypes:   []string{"authorization_code", "refresh_token"},
		}},
		RequestRefreshToken:      true,
		AcceptUnadvertisedIss:    false,
		Client:                   hc,
		AuthorizationCodeFetcher: r.fetchCode(hc),
	}
	if !r.v.NoCIMD {
		cfg.ClientIDMetadataDocumentConfig = &auth.ClientIDMetadataDocumentConfig{URL: CIMDURL}
	}
	if ac.ClientID != "" {
		cfg.PreregisteredClient = &oauthex.ClientCredentials{ClientID: ac.ClientID,
			ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: ac.ClientSecret}}
	}
	h, err := auth.NewAuthorizationCodeHandler(cfg)
	if err != nil {
		return r.authCodeFail(err)
	}
	line, err := r.session(ctx, h, "the authorization code grant")
	if err != nil && r.v.Retries > 0 {
		r.println(r.stderr, "wifclient: authorization failed, trying again: "+r.clean(err.Error()))
		return 1
	}
	if r.v.PrintSecrets {
		if ts, terr := h.TokenSource(ctx); terr == nil && ts != nil {
			if t, terr := ts.Token(); terr == nil {
				fmt.Fprintf(r.stdout, "wifclient: debug: access_token=%s\n", t.AccessToken)
			}
		}
	}
	if err != nil {
		return r.authCodeFail(err)
	}
	r.println(r.stdout, line)
	return r.exit(0)
}

// authCodeFail reports a failed flow and returns the exit status.
func (r *run) authCodeFail(err error) int {
	if r.v.ErrorOutput != "" {
		r.println(r.stderr, r.v.ErrorOutput)
		return r.exit(1)
	}
	r.println(r.stderr, "wifclient: authorization failed: "+r.clean(strings.TrimPrefix(err.Error(), "refclient: ")))
	var oerr *OAuthError
	if errors.As(err, &oerr) {
		r.println(r.stderr, "wifclient: error: "+r.clean(oerr.Code))
	}
	if r.v.Hang == "after_error" {
		blockForever()
	}
	return r.exit(1)
}

// fetchCode returns the AuthorizationCodeFetcher: it sends the
// authorization request without following the redirect and reads code,
// state and iss (RFC 9207) from the Location header, or the error.
func (r *run) fetchCode(hc *http.Client) auth.AuthorizationCodeFetcher {
	n := 0
	return func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		u, err := url.Parse(args.URL)
		if err != nil {
			return nil, fmt.Errorf("refclient: authorization URL: %w", err)
		}
		q := u.Query()
		if n++; n > 1 && len(r.v.ReauthDropScopes) > 0 {
			var keep []string
			for _, s := range strings.Fields(q.Get("scope")) {
				if !slices.Contains(r.v.ReauthDropScopes, s) {
					keep = append(keep, s)
				}
			}
			q.Set("scope", strings.Join(keep, " "))
		}
		for _, k := range r.v.AuthorizeOmit {
			q.Del(k)
		}
		for k, v := range r.v.AuthorizeParams {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		c := *hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("refclient: authorization request: %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode/100 != 3 || err != nil || resp.Header.Get("Location") == "" {
			return nil, fmt.Errorf("refclient: the authorization endpoint answered %s without a redirect", resp.Status)
		}
		lq := loc.Query()
		if e := lq.Get("error"); e != "" {
			return nil, &OAuthError{Code: e, Description: lq.Get("error_description")}
		}
		res := &auth.AuthorizationResult{Code: lq.Get("code"), State: lq.Get("state"), Iss: lq.Get("iss")}
		if r.v.IgnoreIss {
			res.Iss = ""
		}
		return res, nil
	}
}

// authCodeMutator is the http.RoundTripper through which a variant departs
// from the conformant authorization code flow: it edits the requests the
// SDK sends (registration body, token request form and client
// authentication) and the responses it reads (the iss support flag of the
// authorization server metadata, the scope of a challenge).
type authCodeMutator struct {
	base http.RoundTripper
	v    Variant
	r    *run

	mu         sync.Mutex
	registered []byte // the first registration's answer, for ReuseRegistration
}

// RoundTrip implements http.RoundTripper.
func (m *authCodeMutator) RoundTrip(req *http.Request) (*http.Response, error) {
	var err error
	isJSON := req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/json")
	if isJSON && m.v.ReuseRegistration {
		m.mu.Lock()
		first := m.registered
		m.mu.Unlock()
		if first != nil {
			return &http.Response{StatusCode: http.StatusCreated, Status: "201 Created", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(first)),
				ContentLength: int64(len(first)), Request: req}, nil
		}
	}
	tokenRequest := false
	switch {
	case isJSON && len(m.v.RegisterOmit) > 0:
		req, err = m.editJSON(req)
	case req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		req, tokenRequest, err = m.editForm(req)
	}
	if err != nil {
		return nil, err
	}
	var resp *http.Response
	if d := m.r.dpop.Load(); d != nil && tokenRequest && !m.v.DPoPNoTokenProof {
		resp, err = m.tokenRequestDPoP(req, d)
	} else {
		resp, err = m.base.RoundTrip(req)
	}
	if err != nil || resp == nil {
		return resp, err
	}
	if isJSON && m.v.ReuseRegistration && resp.StatusCode == http.StatusCreated {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		m.mu.Lock()
		if m.registered == nil {
			m.registered = body
		}
		m.mu.Unlock()
	}
	wellKnown := strings.Contains(req.URL.Path, "/.well-known/") && resp.StatusCode == http.StatusOK
	if wellKnown && !strings.Contains(req.URL.Path, "protected-resource") && advertisesDPoP(resp) {
		m.r.enableDPoP() // RFC 9449 §5.1
	}
	if m.v.ProbeRootMetadata && strings.Contains(req.URL.Path, "/.well-known/") && !strings.Contains(req.URL.Path, "protected-resource") &&
		req.URL.Path != "/.well-known/oauth-authorization-server" && req.URL.Path != "/.well-known/openid-configuration" {
		probe(req.Context(), m.base, req.URL.Scheme+"://"+req.URL.Host+"/.well-known/oauth-authorization-server")
	}
	if m.v.IgnoreIss && wellKnown {
		resp = editJSON(resp, func(o map[string]any) { delete(o, "authorization_response_iss_parameter_supported") })
	}
	if m.v.TrustMetadataIssuer && wellKnown && !strings.Contains(req.URL.Path, "protected-resource") {
		// Rewrites the issuer to the one the client looked for.
		issuer := req.URL.Scheme + "://" + req.URL.Host + issuerPath(req.URL.Path)
		resp = editJSON(resp, func(o map[string]any) { o["issuer"] = issuer })
	}
	if m.v.TrustPRMResource && wellKnown && strings.Contains(req.URL.Path, "protected-resource") {
		resp = editJSON(resp, func(o map[string]any) { o["resource"] = m.r.url })
	}
	if m.v.IgnoreChallengeScope {
		if h := resp.Header.Values("WWW-Authenticate"); len(h) > 0 {
			resp.Header.Del("WWW-Authenticate")
			for _, c := range h {
				resp.Header.Add("WWW-Authenticate", dropParam(c, "scope"))
			}
		}
	}
	return resp, nil
}

// editJSON removes the variant's fields from a registration request.
func (m *authCodeMutator) editJSON(req *http.Request) (*http.Request, error) {
	body, err := readAll(req)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil && obj != nil {
		for _, k := range m.v.RegisterOmit {
			delete(obj, k)
		}
		body, _ = json.Marshal(obj)
	}
	return withBody(req, body), nil
}

// editForm applies the variant to a token request: parameters left out
// and the client authentication moved. It reports whether the form is a
// token request (it has a grant_type).
func (m *authCodeMutator) editForm(req *http.Request) (*http.Request, bool, error) {
	body, err := readAll(req)
	if err != nil {
		return nil, false, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return withBody(req, body), false, nil
	}
	tokenRequest := form.Get("grant_type") != ""
	for _, k := range m.v.OmitParams {
		form.Del(k)
	}
	for k, v := range m.v.ExtraParams {
		form.Set(k, v)
	}
	req = req.Clone(req.Context())
	switch m.v.ClientAuth {
	case "post":
		if id, secret, ok := req.BasicAuth(); ok {
			req.Header.Del("Authorization")
			form.Set("client_id", id)
			form.Set("client_secret", secret)
		}
	case "basic":
		if secret := form.Get("client_secret"); secret != "" {
			req.SetBasicAuth(url.QueryEscape(form.Get("client_id")), url.QueryEscape(secret))
			form.Del("client_secret")
		}
	case "none":
		req.Header.Del("Authorization")
		form.Del("client_secret")
	}
	if m.v.ClientSecret != "" {
		if id, _, ok := req.BasicAuth(); ok {
			req.SetBasicAuth(id, m.v.ClientSecret)
		}
		if form.Has("client_secret") {
			form.Set("client_secret", m.v.ClientSecret)
		}
	}
	return withBody(req, []byte(form.Encode())), tokenRequest, nil
}

func readAll(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(io.LimitReader(req.Body, 1<<20))
}

// withBody returns a copy of req with body.
func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r
}

// issuerPath is the path of the issuer whose metadata is at path (RFC
// 8414 §3.1 insertion, or OpenID Connect Discovery appending).
func issuerPath(path string) string {
	for _, wk := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		if rest, ok := strings.CutPrefix(path, wk); ok {
			return rest
		}
		if rest, ok := strings.CutSuffix(path, wk); ok {
			return rest
		}
	}
	return ""
}

// forgedBearer replaces the bearer token of every request with one no
// server issued.
type forgedBearer struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t forgedBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, ok := bearerToken(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer forged-"+tok)
	return t.base.RoundTrip(r)
}

// probe sends a GET to u and ignores the answer.
func probe(ctx context.Context, rt http.RoundTripper, u string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return
	}
	if resp, err := rt.RoundTrip(req); err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}

// editJSON applies edit to a JSON object response.
func editJSON(resp *http.Response, edit func(map[string]any)) *http.Response {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var obj map[string]any
	if err == nil && json.Unmarshal(body, &obj) == nil && obj != nil {
		edit(obj)
		body, _ = json.Marshal(obj)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp
}

// dropParam removes one auth-param (name="value") from a challenge such
// as `Bearer scope="a b", resource_metadata="…"`.
func dropParam(challenge, name string) string {
	scheme, params, _ := strings.Cut(strings.TrimSpace(challenge), " ")
	var keep []string
	for _, p := range strings.Split(params, ",") {
		if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(strings.ToLower(p), name+"=") {
			keep = append(keep, p)
		}
	}
	return strings.TrimSpace(scheme + " " + strings.Join(keep, ", "))
}
