package authserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/record"
)

// DefaultCodeTTL is how long an authorization code can be redeemed
// (RFC 6749 §4.1.2 recommends at most 10 minutes).
const DefaultCodeTTL = 10 * time.Minute

// Reasons the token endpoint records for the authorization_code grant.
const (
	ReasonCode = "authorization code" // RFC 6749 §4.1.3: missing, unknown, used, expired, another client's or another redirect URI's
	ReasonPKCE = "pkce"               // RFC 7636 §4.6: code_verifier missing or not matching the code_challenge
)

// authCode is an authorization code and what it was issued for.
type authCode struct {
	clientID, redirectURI, challenge, method, scope, resource string
	issuedAt                                                  time.Time
	used                                                      bool
}

// authorizes reports whether the authorization endpoint works: the server
// supports the authorization_code grant (RFC 6749 §4.1).
func (s *Server) authorizes() bool {
	return slices.Contains(s.grants, record.GrantAuthorizationCode)
}

// handleAuthorize answers an authorization request (RFC 6749 §4.1.1) at
// once, as if the resource owner had approved it: a 302 to the client's
// redirect_uri with a code, the state and the iss of RFC 9207. A request
// that names no usable redirect URI gets a 400 (§4.1.2.1: the server must
// not redirect); other errors are redirected as error responses.
func (s *Server) handleAuthorize(r *http.Request, body []byte) reply {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return methodNotAllowed("GET, POST")
	}
	if !s.authorizes() {
		return errorReply(http.StatusBadRequest, "unsupported_response_type",
			"this authorization server issues tokens only at its token endpoint "+s.TokenEndpoint())
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if f, err := url.ParseQuery(string(body)); err == nil {
			params = f
		}
	}
	redirect := params.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	switch {
	case params.Get("client_id") == "":
		return errorReply(http.StatusBadRequest, "invalid_request", "missing client_id (RFC 6749 section 4.1.1)")
	case redirect == "":
		return errorReply(http.StatusBadRequest, "invalid_request", "missing redirect_uri")
	case err != nil || !ru.IsAbs() || ru.Fragment != "":
		return errorReply(http.StatusBadRequest, "invalid_request",
			"redirect_uri must be an absolute URI without a fragment (RFC 6749 section 3.1.2)")
	}
	q := ru.Query()
	if st := params.Get("state"); st != "" {
		q.Set("state", st)
	}
	iss, send, err := s.responseIss()
	if err != nil {
		if s.cfg.ResponseRules != nil && s.cfg.ResponseRules.OnError != nil {
			s.cfg.ResponseRules.OnError("authorization_response_iss", err)
		}
		return errorReply(http.StatusInternalServerError, "server_error", "the iss of the authorization response could not be computed: "+err.Error())
	}
	if send {
		q.Set("iss", iss)
	}
	fail := func(code, description string) reply {
		q.Set("error", code)
		q.Set("error_description", sanitizeDescription(description))
		return s.redirect(ru, q)
	}
	if rt := params.Get("response_type"); rt != "code" {
		return fail("unsupported_response_type", "response_type must be code, got "+strconv.Quote(rt))
	}
	method := params.Get("code_challenge_method")
	if params.Get("code_challenge") != "" && method == "" {
		method = "plain" // RFC 7636 §4.3
	}
	if method != "" && method != "S256" && method != "plain" {
		return fail("invalid_request", "unsupported code_challenge_method "+method+" (RFC 7636 section 4.4.1)")
	}
	code, err := newAccessToken(s.prefix + "-code")
	if err != nil {
		return errorReply(http.StatusInternalServerError, "server_error", err.Error())
	}
	s.mu.Lock()
	if s.codes == nil {
		s.codes = map[string]*authCode{}
	}
	s.codes[code] = &authCode{clientID: params.Get("client_id"), redirectURI: redirect,
		challenge: params.Get("code_challenge"), method: method, scope: params.Get("scope"),
		resource: params.Get("resource"), issuedAt: s.now()}
	s.mu.Unlock()
	q.Set("code", code)
	return s.redirect(ru, q)
}

// responseIss is the iss parameter of an authorization response, and
// whether to send one.
func (s *Server) responseIss() (iss string, send bool, err error) {
	if s.cfg.AuthorizationResponseIss == nil {
		return s.url, true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.cfg.AuthorizationResponseIss()
}

// redirect is a 302 to u with the query q.
func (s *Server) redirect(u *url.URL, q url.Values) reply {
	to := *u
	to.RawQuery = q.Encode()
	return reply{status: http.StatusFound, headers: map[string]string{"Location": to.String()}, noStore: true}
}

// checkCode checks an authorization_code grant (RFC 6749 §4.1.3, RFC 7636
// §4.6): the code must be one this server issued, unused and unexpired,
// for this client and redirect URI; its code_verifier must match its
// code_challenge. On success it returns the scope the code was issued for.
func (s *Server) checkCode(tr *TokenRequest) (scope string, resp TokenResponse, rep reply, ok bool) {
	form := url.Values(tr.Form)
	fail := func(reason, why string) (string, TokenResponse, reply, bool) {
		resp, rep := tokenError(http.StatusBadRequest, "invalid_grant", reason, why)
		return "", resp, rep, false
	}
	code := form.Get("code")
	if code == "" {
		resp, rep := tokenError(http.StatusBadRequest, "invalid_request", ReasonCode, "missing code parameter (RFC 6749 section 4.1.3)")
		return "", resp, rep, false
	}
	s.mu.Lock()
	c := s.codes[code]
	var used bool
	if c != nil {
		used = c.used
		c.used = true // RFC 6749 §4.1.2: a code is used once
	}
	s.mu.Unlock()
	g := &record.CodeGrant{}
	tr.Code = g
	if c == nil {
		return fail(ReasonCode, "unknown authorization code")
	}
	g.Known, g.ClientID, g.RedirectURI, g.Scope, g.Resource = true, c.clientID, c.redirectURI, c.scope, c.resource
	g.CodeChallenge, g.CodeChallengeMethod = c.challenge, c.method
	switch {
	case used:
		g.Reused = true
		return fail(ReasonCode, "the authorization code was already used")
	case s.now().Sub(c.issuedAt) > DefaultCodeTTL:
		return fail(ReasonCode, "the authorization code expired")
	case tr.ClientAuth.ClientID != "" && tr.ClientAuth.ClientID != c.clientID:
		return fail(ReasonCode, "the authorization code was issued to another client")
	case form.Has("redirect_uri") && form.Get("redirect_uri") != c.redirectURI:
		return fail(ReasonCode, "redirect_uri differs from the authorization request's")
	}
	verifier := form.Get("code_verifier")
	switch {
	case c.challenge == "":
		g.PKCE = "none"
	case verifier == "":
		g.PKCE = "missing"
		return fail(ReasonPKCE, "missing code_verifier: the authorization request had a code_challenge (RFC 7636 section 4.5)")
	case PKCEChallenge(verifier, c.method) != c.challenge:
		g.PKCE = "mismatch"
		return fail(ReasonPKCE, "code_verifier does not match the code_challenge (RFC 7636 section 4.6)")
	default:
		g.PKCE = "verified"
	}
	return c.scope, TokenResponse{}, reply{}, true
}

// PKCEChallenge is the code_challenge of verifier under method (RFC 7636
// §4.2): BASE64URL(SHA256(verifier)) for S256, the verifier for plain.
func PKCEChallenge(verifier, method string) string {
	if method == "plain" {
		return verifier
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// handleRegister answers an RFC 7591 client registration request: the
// client is registered with the metadata it sent (§3.2.1), a new
// client_id and, for a confidential client, a client_secret.
func (s *Server) handleRegister(r *http.Request, body []byte) reply {
	if !s.cfg.Registration {
		return notFound()
	}
	if r.Method != http.MethodPost {
		return methodNotAllowed("POST")
	}
	if mediaType(r.Header.Get("Content-Type")) != "application/json" {
		return errorReply(http.StatusBadRequest, "invalid_client_metadata", "the registration request must be application/json (RFC 7591 section 3.1)")
	}
	var meta map[string]any
	if err := json.Unmarshal(body, &meta); err != nil || meta == nil {
		return errorReply(http.StatusBadRequest, "invalid_client_metadata", "the registration request is not a JSON object")
	}
	grants := []string{record.GrantAuthorizationCode}
	if g, ok := meta["grant_types"]; ok {
		grants = stringsOf(g)
	}
	if slices.Contains(grants, record.GrantAuthorizationCode) {
		uris := stringsOf(meta["redirect_uris"])
		if len(uris) == 0 {
			return errorReply(http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required for the authorization_code grant (RFC 7591 section 2)")
		}
		for _, u := range uris {
			if pu, err := url.Parse(u); err != nil || !pu.IsAbs() || pu.Fragment != "" {
				return errorReply(http.StatusBadRequest, "invalid_redirect_uri", "redirect URI "+strconv.Quote(u)+" is not an absolute URI without a fragment")
			}
		}
	}
	// RFC 7591 §2: the default method is client_secret_basic; a method
	// this server does not accept is replaced by the first it does.
	methods := s.authMethods()
	method, _ := meta["token_endpoint_auth_method"].(string)
	if method == "" {
		method = AuthClientSecretBasic
	}
	if !slices.Contains(methods, method) {
		method = methods[0]
	}
	s.mu.Lock()
	s.registered = append(s.registered, Client{})
	n := len(s.registered)
	s.mu.Unlock()
	c := Client{ID: fmt.Sprintf("%s-client-%d", s.name, n)}
	if method == AuthClientSecretBasic || method == AuthClientSecretPost {
		secret, err := newAccessToken(c.ID + "-secret")
		if err != nil {
			return errorReply(http.StatusInternalServerError, "server_error", err.Error())
		}
		c.Secret = secret
	}
	s.mu.Lock()
	s.registered[n-1] = c
	s.mu.Unlock()
	out := make(map[string]any, len(meta)+4)
	for k, v := range meta {
		out[k] = v
	}
	out["client_id"] = c.ID
	out["client_id_issued_at"] = s.now().Unix()
	out["token_endpoint_auth_method"] = method
	out["grant_types"] = grants
	if c.Secret != "" {
		out["client_secret"] = c.Secret
		out["client_secret_expires_at"] = 0
	} else {
		delete(out, "client_secret")
	}
	b, err := json.Marshal(out)
	if err != nil {
		return errorReply(http.StatusInternalServerError, "server_error", err.Error())
	}
	return reply{status: http.StatusCreated, contentType: "application/json", body: b, noStore: true}
}

// stringsOf returns the strings of a JSON array (nil for anything else).
func stringsOf(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
