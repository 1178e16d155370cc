package authserver

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
)

// Token type identifiers of RFC 8693 §3 and the ID-JAG draft.
const (
	TokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeIDJAG   = "urn:ietf:params:oauth:token-type:id-jag"
	// ClientAssertionJWT is the RFC 7523 §2.2 client_assertion_type.
	ClientAssertionJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// IDJAGType is the JOSE typ of an ID-JAG.
	IDJAGType = "oauth-id-jag+jwt"
)

// DefaultExchangeTTL is the lifetime of an ID-JAG when Exchange.TTL is zero.
const DefaultExchangeTTL = 5 * time.Minute

// clientAuth finds how the request authenticated (RFC 6749 §2.3) and
// whether the credentials match a registered client.
func (s *Server) clientAuth(r *http.Request, form url.Values) record.ClientAuth {
	a := record.ClientAuth{Method: AuthNone, ClientID: form.Get("client_id")}
	if id, secret, ok := basicCredentials(r.Header.Get("Authorization")); ok {
		a.Method, a.ClientID = AuthClientSecretBasic, id
		a.Verified, a.Failure = s.checkSecret(id, secret)
		return a
	}
	if form.Get("client_assertion_type") != "" || form.Get("client_assertion") != "" {
		a.Method = AuthPrivateKeyJWT
		a.Verified, a.Failure, a.ClientID = s.checkClientAssertion(form)
		return a
	}
	if secret, ok := form["client_secret"]; ok {
		a.Method = AuthClientSecretPost
		a.Verified, a.Failure = s.checkSecret(a.ClientID, strings.Join(secret, ""))
		return a
	}
	return a
}

// basicCredentials decodes an RFC 7617 Basic header whose user and
// password are form-urlencoded as RFC 6749 §2.3.1 requires.
func basicCredentials(h string) (id, secret string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if d, err := url.QueryUnescape(u); err == nil {
		u = d
	}
	if d, err := url.QueryUnescape(p); err == nil {
		p = d
	}
	return u, p, true
}

func (s *Server) client(id string) *Client {
	for i := range s.cfg.Clients {
		if s.cfg.Clients[i].ID == id {
			return &s.cfg.Clients[i]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.registered {
		if c.ID == id && id != "" {
			return &c
		}
	}
	return nil
}

func (s *Server) checkSecret(id, secret string) (bool, string) {
	c := s.client(id)
	switch {
	case c == nil:
		return false, fmt.Sprintf("unknown client %q", id)
	case c.Secret == "":
		return false, fmt.Sprintf("client %q has no secret", id)
	case subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1:
		return false, "wrong client secret"
	}
	return true, ""
}

// checkClientAssertion verifies an RFC 7523 §2.2 client assertion: its
// type, the signature by the client's key, iss = sub = client_id (§3
// items 1–2), an audience of the server (item 3) and its times.
func (s *Server) checkClientAssertion(form url.Values) (ok bool, failure, clientID string) {
	clientID = form.Get("client_id")
	if t := form.Get("client_assertion_type"); t != ClientAssertionJWT {
		return false, fmt.Sprintf("client_assertion_type is %q, not %s", t, ClientAssertionJWT), clientID
	}
	assertion := form.Get("client_assertion")
	_, unverified, err := jwt.Decode(assertion)
	if err != nil {
		return false, "client_assertion is not a JWT: " + err.Error(), clientID
	}
	iss, _ := unverified["iss"].(string)
	sub, _ := unverified["sub"].(string)
	if clientID == "" {
		clientID = sub
	}
	c := s.client(clientID)
	if c == nil || c.Keys == nil {
		return false, fmt.Sprintf("no key registered for client %q", clientID), clientID
	}
	_, claims, err := c.Keys.Verify(assertion)
	if err != nil {
		return false, "client_assertion signature: " + err.Error(), clientID
	}
	if iss != clientID || sub != clientID {
		return false, fmt.Sprintf("client_assertion iss %q and sub %q must both be the client_id %q", iss, sub, clientID), clientID
	}
	err = jwt.Validate(claims, jwt.ValidateOptions{
		Now: s.now(), Leeway: s.leeway, RequireExp: true,
		Audiences: []string{s.TokenEndpoint(), s.url, s.url + "/"},
	})
	if err != nil {
		return false, "client_assertion: " + err.Error(), clientID
	}
	return true, "", clientID
}

// checkClient enforces the token endpoint's authentication methods: the
// method the request used must be one of them, with valid credentials,
// unless "none" is accepted and nothing was presented.
//
// A server configured with no methods checks nothing: it advertises
// "none" and ignores any credentials, as a plain JWT-bearer server does.
func (s *Server) checkClient(tr *TokenRequest, grant string) (TokenResponse, reply, bool) {
	if len(s.cfg.TokenEndpointAuthMethods) == 0 {
		return TokenResponse{}, reply{}, true
	}
	methods := s.authMethods()
	a := tr.ClientAuth
	if a.Method == AuthNone {
		if slices.Contains(methods, AuthNone) {
			return TokenResponse{}, reply{}, true
		}
		resp, rep := s.clientError(tr, "client authentication required; accepted: "+strings.Join(methods, ", "))
		return resp, rep, false
	}
	if !slices.Contains(methods, a.Method) {
		resp, rep := s.clientError(tr, a.Method+" is not accepted; accepted: "+strings.Join(methods, ", "))
		return resp, rep, false
	}
	if !a.Verified {
		resp, rep := s.clientError(tr, "client authentication failed: "+a.Failure)
		return resp, rep, false
	}
	return TokenResponse{}, reply{}, true
}

// clientError is the RFC 6749 §5.2 invalid_client answer: 401, with a
// WWW-Authenticate challenge when the client used HTTP authentication.
func (s *Server) clientError(tr *TokenRequest, description string) (TokenResponse, reply) {
	resp, rep := tokenError(http.StatusUnauthorized, "invalid_client", ReasonClient, description)
	if tr.ClientAuth.Method == AuthClientSecretBasic {
		rep.headers = map[string]string{"WWW-Authenticate": `Basic realm="` + s.url + `"`}
	}
	return resp, rep
}

// checkRefresh checks a refresh_token grant (RFC 6749 §6): the token must
// be a refresh token this server issued, not rotated away, and issued to
// the same client.
func (s *Server) checkRefresh(tr *TokenRequest) (*record.IssuedToken, TokenResponse, reply, bool) {
	rt := url.Values(tr.Form).Get("refresh_token")
	s.mu.Lock()
	t := s.issued[rt]
	s.mu.Unlock()
	fail := func(why string) (*record.IssuedToken, TokenResponse, reply, bool) {
		resp, rep := tokenError(http.StatusBadRequest, "invalid_grant", ReasonRefresh, why)
		return nil, resp, rep, false
	}
	switch {
	case rt == "":
		resp, rep := tokenError(http.StatusBadRequest, "invalid_request", ReasonRefresh, "missing refresh_token parameter")
		return nil, resp, rep, false
	case t == nil || !t.Refresh:
		return fail("the refresh token was not issued by this server")
	case t.Revoked:
		return fail("the refresh token was already used and rotated (RFC 6749 section 10.4)")
	case t.ClientID != "" && tr.ClientAuth.ClientID != t.ClientID:
		return fail("the refresh token was issued to another client")
	case t.JKT != "" && (!tr.DPoP.Valid || tr.DPoP.JKT != t.JKT):
		// RFC 9449 §5: a bound refresh token is used with its key only.
		resp, rep := tokenError(http.StatusBadRequest, record.ErrorInvalidDPoPProof, ReasonDPoP,
			"the refresh token is bound to another DPoP key (RFC 9449 section 5)")
		return nil, resp, rep, false
	}
	return t, TokenResponse{}, reply{}, true
}

// checkExchange checks an RFC 8693 §2.1 token exchange request for an
// ID-JAG: the subject token must be an ID token signed by a trusted key and
// not expired; the requested token type, audience and resource must be
// given. It returns the subject token's claims.
func (s *Server) checkExchange(tr *TokenRequest) (map[string]any, TokenResponse, reply, bool) {
	f := url.Values(tr.Form)
	fail := func(reason, why string) (map[string]any, TokenResponse, reply, bool) {
		resp, rep := tokenError(http.StatusBadRequest, "invalid_request", reason, why)
		return nil, resp, rep, false
	}
	switch {
	case f.Get("subject_token") == "":
		return fail(ReasonSubjectToken, "missing subject_token (RFC 8693 section 2.1)")
	case f.Get("subject_token_type") != TokenTypeIDToken:
		return fail(ReasonSubjectToken, "subject_token_type must be "+TokenTypeIDToken)
	case f.Get("requested_token_type") != TokenTypeIDJAG:
		return fail(ReasonExchangeRequest, "requested_token_type must be "+TokenTypeIDJAG)
	case f.Get("audience") == "":
		return fail(ReasonExchangeRequest, "missing audience")
	case f.Get("resource") == "":
		return fail(ReasonExchangeRequest, "missing resource")
	}
	if s.cfg.Keys == nil {
		return fail(ReasonSubjectToken, "no trusted keys to verify the subject token")
	}
	_, claims, err := s.cfg.Keys.Verify(f.Get("subject_token"))
	if err == nil {
		err = jwt.Validate(claims, jwt.ValidateOptions{Now: s.now(), Leeway: s.leeway, RequireExp: true})
	}
	if err != nil {
		resp, rep := tokenError(http.StatusBadRequest, "invalid_grant", ReasonSubjectToken, "subject_token rejected: "+err.Error())
		return nil, resp, rep, false
	}
	return claims, TokenResponse{}, reply{}, true
}

// exchange issues an ID-JAG for a checked token exchange request.
func (s *Server) exchange(tr *TokenRequest, subject map[string]any) (TokenResponse, reply) {
	f := url.Values(tr.Form)
	ttl := s.cfg.Exchange.TTL
	if ttl <= 0 {
		ttl = DefaultExchangeTTL
	}
	now := s.now()
	sub, _ := subject["sub"].(string)
	clientID := tr.ClientAuth.ClientID
	extra := map[string]any{"resource": f.Get("resource")}
	if clientID != "" {
		extra["client_id"] = clientID
	}
	if sc := f.Get("scope"); sc != "" {
		extra["scope"] = sc
	}
	for k, v := range s.cfg.Exchange.Claims {
		extra[k] = v
	}
	if id, ok := extra["client_id"].(string); ok {
		clientID = id
	}
	if s.cfg.Exchange.Signer == nil {
		return tokenError(http.StatusInternalServerError, "server_error", "no signer", "the identity provider has no signing key")
	}
	jag, err := s.cfg.Exchange.Signer.MintTyped(IDJAGType, jwt.Claims{
		Issuer: s.url, Subject: sub, Audience: []string{f.Get("audience")},
		IssuedAt: now, Expiry: now.Add(ttl), ID: uuid.NewString(), Extra: extra,
	})
	if err != nil {
		return tokenError(http.StatusInternalServerError, "server_error", err.Error(), "could not sign the ID-JAG")
	}
	resp := TokenResponse{Status: http.StatusOK, AccessToken: jag, IssuedTokenType: TokenTypeIDJAG, TokenType: "N_A", ExpiresIn: int64(ttl / time.Second)}
	b, err := jsonMarshal(map[string]any{
		"access_token": jag, "issued_token_type": TokenTypeIDJAG, "token_type": "N_A", "expires_in": resp.ExpiresIn,
	})
	if err != nil {
		return tokenError(http.StatusInternalServerError, "server_error", err.Error(), "could not encode the response")
	}
	s.mu.Lock()
	s.issued[jag] = &record.IssuedToken{Server: s.name, Token: jag, Grant: record.GrantTokenExchange, ClientID: clientID,
		Scope: f.Get("scope"), IssuedAt: now, ExpiresAt: now.Add(ttl)}
	s.mu.Unlock()
	return resp, reply{status: http.StatusOK, contentType: "application/json", body: b, noStore: true}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
