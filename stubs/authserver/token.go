package authserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
)

// Reasons the token endpoint records in [TokenResponse].Reason for its
// built-in rejections. Claim failures use the jwt package's Reason*
// constants (e.g. "expired", "audience", "missing iss").
const (
	ReasonBodyTooLarge     = "body too large"         // body exceeds MaxBody
	ReasonBodyRead         = "body read"              // the body could not be read
	ReasonMethod           = "method"                 // not POST (RFC 6749 §3.2)
	ReasonContentType      = "content type"           // not application/x-www-form-urlencoded
	ReasonForm             = "form"                   // body is not a valid urlencoded form
	ReasonRepeated         = "repeated parameter"     // a parameter appears twice (RFC 6749 §3.2)
	ReasonMissingGrantType = "missing grant_type"     // RFC 6749 §4.1.3, RFC 7523 §2.1
	ReasonUnsupportedGrant = "unsupported grant_type" // not in GrantTypesSupported
	ReasonMissingAssertion = "missing assertion"      // RFC 7523 §2.1
	ReasonSignature        = "signature"              // RFC 7523 §3 item 9
	ReasonReplay           = "replayed jti"           // RFC 7523 §3 item 7
	ReasonClient           = "client authentication"  // RFC 6749 §2.3, §5.2 invalid_client
	ReasonRefresh          = "refresh token"          // RFC 6749 §6: unknown, rotated or another client's
	ReasonSubjectToken     = "subject token"          // RFC 8693 §2.1: missing, of the wrong type or unverified
	ReasonExchangeRequest  = "exchange parameters"    // RFC 8693 §2.1: audience, resource or token types
	ReasonDPoP             = "dpop proof"             // RFC 9449 §4.3: the DPoP proof is not valid (the proof's error says why)
	ReasonDPoPNonce        = "dpop nonce"             // RFC 9449 §8: the proof lacks the server's nonce
)

const formType = "application/x-www-form-urlencoded"

// handleToken records a token request whole, decides the answer (see the
// package documentation for the order of checks) and returns it.
func (s *Server) handleToken(r *http.Request, attempt int, arrival time.Time) reply {
	s.mu.Lock()
	s.tokenSeq++
	seq := s.tokenSeq
	s.mu.Unlock()

	tr := TokenRequest{
		Server:      s.name,
		Seq:         seq,
		At:          arrival.Sub(s.start),
		Time:        arrival,
		Method:      r.Method,
		Path:        r.URL.Path,
		Scheme:      schemeOf(r),
		Query:       queryOf(r),
		ContentType: mediaType(r.Header.Get("Content-Type")),
		Header:      r.Header.Clone(),
	}
	body, truncated, readErr := readBody(r.Body, s.maxBody)
	tr.Body = string(body)
	tr.BodyTruncated = truncated
	switch {
	case readErr != nil:
		tr.FormError = "reading the body failed: " + readErr.Error()
	case truncated:
		tr.FormError = fmt.Sprintf("body exceeds %d bytes", s.maxBody)
	case tr.ContentType != formType:
		tr.FormError = "content type " + describeType(tr.ContentType) + " is not " + formType
	default:
		form, err := url.ParseQuery(tr.Body)
		if err != nil {
			tr.FormError = err.Error()
		} else {
			tr.Form = form
			tr.RepeatedKeys = repeatedKeys(form)
		}
	}
	if a := assertionOf(tr.Form, tr.Query); a != "" {
		if h, c, err := jwt.Decode(a); err == nil {
			tr.AssertionHeader, tr.Claims = h, c
		}
	}

	tr.ClientAuth = s.clientAuth(r, tr.Form)
	if s.cfg.DPoP != nil {
		tr.DPoP = dpop.Check(dpop.Request{Proofs: r.Header.Values(record.HeaderDPoP), Method: r.Method,
			URL: schemeOf(r) + "://" + r.Host + r.URL.Path, Now: s.now()})
		s.dpopSeen.Note(&tr.DPoP)
	}

	var (
		resp TokenResponse
		rep  reply
	)
	in := &record.Incoming{
		Request: Request{Server: s.name, Endpoint: record.EndpointToken, Seq: seq, At: tr.At, Time: arrival,
			Method: r.Method, Path: r.URL.Path, Query: tr.Query},
		Header: tr.Header, Body: tr.Body, Form: tr.Form, Attempt: attempt, Token: &tr, Claims: tr.Claims,
	}
	if s.cfg.ResponseRules.Has(record.EndpointToken) {
		in.Previous = s.Requests()
	}
	if rr := s.ruleReply(record.EndpointToken, in); rr != nil {
		var d struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(rr.body, &d)
		tr.Response = TokenResponse{Status: rr.status, Error: d.Error, ErrorDescription: d.ErrorDescription, Rule: rr.rule}
		if tr.Response.Error == "" && rr.status >= 400 {
			tr.Response.Error = rr.errorCode
		}
		s.keepTokenRequest(seq, tr)
		return *rr
	}
	switch {
	case readErr != nil:
		resp, rep = tokenError(http.StatusBadRequest, "invalid_request", ReasonBodyRead, tr.FormError)
	case truncated:
		resp, rep = tokenError(http.StatusRequestEntityTooLarge, "invalid_request", ReasonBodyTooLarge,
			fmt.Sprintf("request body exceeds %d bytes", s.maxBody))
	default:
		resp, rep = s.decide(&tr)
	}
	tr.Response = resp
	s.keepTokenRequest(seq, tr)
	return rep
}

// keepTokenRequest records tr if there is room.
func (s *Server) keepTokenRequest(seq int, tr TokenRequest) {
	if seq <= s.maxRecords {
		s.mu.Lock()
		s.tokenReqs = append(s.tokenReqs, tr)
		s.mu.Unlock()
	}
}

// decide applies the token endpoint's checks to a recorded request, in the
// order documented on the package, and returns the response.
func (s *Server) decide(tr *TokenRequest) (TokenResponse, reply) {
	// RFC 6749 §3.2: the client MUST use POST.
	if tr.Method != http.MethodPost {
		return tokenError(http.StatusBadRequest, "invalid_request", ReasonMethod,
			"the token endpoint requires POST (RFC 6749 section 3.2), got "+tr.Method)
	}
	// RFC 6749 §4.1.3 / RFC 7523 §2.1: an application/x-www-form-urlencoded body.
	if tr.ContentType != formType {
		return tokenError(http.StatusBadRequest, "invalid_request", ReasonContentType,
			"the request body must be "+formType+", got "+describeType(tr.ContentType))
	}
	if tr.Form == nil {
		return tokenError(http.StatusBadRequest, "invalid_request", ReasonForm,
			"the request body is not a valid form: "+tr.FormError)
	}
	// RFC 6749 §3.2: parameters MUST NOT be included more than once.
	if len(tr.RepeatedKeys) > 0 {
		return tokenError(http.StatusBadRequest, "invalid_request", ReasonRepeated,
			"parameters sent more than once (RFC 6749 section 3.2): "+strings.Join(tr.RepeatedKeys, ", "))
	}
	// RFC 6749 §3.2: a parameter without a value is treated as omitted.
	grant := url.Values(tr.Form).Get("grant_type")
	if grant == "" {
		return tokenError(http.StatusBadRequest, "invalid_request", ReasonMissingGrantType,
			"missing grant_type parameter")
	}
	if !slices.Contains(s.grants, grant) {
		return tokenError(http.StatusBadRequest, "unsupported_grant_type", ReasonUnsupportedGrant,
			"grant_type "+grant+" is not supported; supported: "+strings.Join(s.grants, ", "))
	}

	// RFC 9449 §4.3, §8: the DPoP proof, if one was sent.
	if resp, rep, ok := s.checkDPoP(tr); !ok {
		return resp, rep
	}

	// RFC 6749 §2.3, §5.2: client authentication.
	if resp, rep, ok := s.checkClient(tr, grant); !ok {
		return resp, rep
	}

	claims := tr.Claims
	jti := ""
	var refreshed *record.IssuedToken
	// A grant's own checks answer resp and rep when ok is false.
	var (
		resp TokenResponse
		rep  reply
		ok   = true
	)
	switch grant {
	case GrantJWTBearer:
		claims, jti, resp, rep, ok = s.checkAssertion(tr)
	case record.GrantRefreshToken:
		refreshed, resp, rep, ok = s.checkRefresh(tr)
	case record.GrantAuthorizationCode:
		_, resp, rep, ok = s.checkCode(tr)
	case record.GrantTokenExchange:
		if s.cfg.Exchange != nil {
			claims, resp, rep, ok = s.checkExchange(tr)
		}
	case record.GrantClientCredentials:
		// RFC 6749 §4.4: only for an authenticated client, where the
		// server authenticates clients at all.
		if len(s.cfg.TokenEndpointAuthMethods) > 0 && !tr.ClientAuth.Verified {
			return s.clientError(tr, "client_credentials needs an authenticated client (RFC 6749 section 4.4)")
		}
	}
	if !ok {
		return resp, rep
	}
	// A reserved jti is released unless the request succeeds.
	succeeded := false
	if jti != "" {
		defer func() {
			s.mu.Lock()
			delete(s.pending, jti)
			if succeeded {
				s.seen[jti] = true
			}
			s.mu.Unlock()
		}()
	}

	for _, rule := range s.cfg.Rules {
		matched, err := matchRule(rule, tr, claims)
		if err != nil {
			resp, rep := tokenError(http.StatusInternalServerError, "server_error", err.Error(),
				"rule "+rule.Name+" failed to evaluate")
			resp.Rule = rule.Name
			if s.cfg.ResponseRules != nil && s.cfg.ResponseRules.OnError != nil {
				s.cfg.ResponseRules.OnError(rule.Name, err)
			}
			return resp, rep
		}
		if !matched {
			continue
		}
		ans := rule.Answer()
		resp, rep := tokenError(ans.Status, ans.Error, "", ans.ErrorDescription)
		resp.Rule = rule.Name
		return resp, rep
	}

	if grant == record.GrantTokenExchange && s.cfg.Exchange != nil {
		resp, rep := s.exchange(tr, claims)
		succeeded = resp.Error == ""
		return resp, rep
	}
	if refreshed != nil {
		s.mu.Lock()
		refreshed.Revoked = true // RFC 6749 §10.4: rotation
		s.mu.Unlock()
	}
	resp, rep = s.issue(tr, grant)
	succeeded = resp.Error == ""
	return resp, rep
}

// issue answers a granted request with a new access token (and a refresh
// token when the server issues them), recording what they were issued for.
func (s *Server) issue(tr *TokenRequest, grant string) (TokenResponse, reply) {
	token, err := newAccessToken(s.prefix)
	if err != nil {
		return tokenError(http.StatusInternalServerError, "server_error", err.Error(), "could not generate an access token")
	}
	form := url.Values(tr.Form)
	scope := form.Get("scope")
	if scope == "" && tr.Code != nil {
		scope = tr.Code.Scope // RFC 6749 §4.1.4: the scope the code was granted for
	}
	now := s.now()
	// RFC 9449 §5, §6: a valid proof binds the token to its key.
	tokenType, jkt := "Bearer", ""
	if s.cfg.DPoP != nil && tr.DPoP.Valid {
		tokenType, jkt = record.SchemeDPoP, tr.DPoP.JKT
	}
	at := &record.IssuedToken{Server: s.name, Token: token, Grant: grant, ClientID: tr.ClientAuth.ClientID,
		Scope: scope, IssuedAt: now, ExpiresAt: now.Add(s.ttl), JKT: jkt}
	var refresh *record.IssuedToken
	if s.cfg.IssueRefreshTokens && grant != record.GrantTokenExchange {
		rt, err := newAccessToken(s.prefix + "-refresh")
		if err != nil {
			return tokenError(http.StatusInternalServerError, "server_error", err.Error(), "could not generate a refresh token")
		}
		refresh = &record.IssuedToken{Server: s.name, Token: rt, Refresh: true, Grant: grant,
			ClientID: tr.ClientAuth.ClientID, Scope: scope, IssuedAt: now, JKT: jkt}
	}
	resp := TokenResponse{Status: http.StatusOK, AccessToken: token, TokenType: tokenType, Scope: scope, ExpiresIn: int64(s.ttl / time.Second)}
	body := map[string]any{"access_token": token, "token_type": tokenType, "expires_in": resp.ExpiresIn}
	if scope != "" {
		body["scope"] = scope
	}
	if refresh != nil {
		resp.RefreshToken = refresh.Token
		body["refresh_token"] = refresh.Token
	}
	b, err := json.Marshal(body)
	if err != nil {
		return tokenError(http.StatusInternalServerError, "server_error", err.Error(), "could not encode the token response")
	}
	s.mu.Lock()
	s.issued[token] = at
	s.issuedList = append(s.issuedList, token)
	if refresh != nil {
		s.issued[refresh.Token] = refresh
	}
	s.mu.Unlock()
	return resp, reply{status: http.StatusOK, contentType: "application/json", body: b, noStore: true}
}

// checkDPoP judges the DPoP proof of a token request at a server with
// DPoP (RFC 9449 §4.3, §8): an invalid proof gets invalid_dpop_proof, a
// valid one without the server's nonce the use_dpop_nonce challenge. A
// request without a proof passes: it gets a Bearer token.
func (s *Server) checkDPoP(tr *TokenRequest) (TokenResponse, reply, bool) {
	if s.cfg.DPoP == nil || !tr.DPoP.Present {
		return TokenResponse{}, reply{}, true
	}
	if !tr.DPoP.Valid {
		resp, rep := tokenError(http.StatusBadRequest, record.ErrorInvalidDPoPProof, ReasonDPoP, tr.DPoP.Error)
		return resp, rep, false
	}
	if nonce := s.cfg.DPoP.Nonce; nonce != "" && tr.DPoP.Nonce != nonce {
		resp, rep := tokenError(http.StatusBadRequest, record.ErrorUseDPoPNonce, ReasonDPoPNonce,
			"the authorization server requires a DPoP nonce (RFC 9449 section 8)")
		rep.headers = map[string]string{record.HeaderDPoPNonce: nonce}
		rep.errorCode = "" // a challenge to retry, not a refusal: no fail-fast budget
		return resp, rep, false
	}
	return TokenResponse{}, reply{}, true
}

// checkAssertion applies the RFC 7523 §3 checks to the assertion of a
// JWT-bearer request. On success it returns the claims to match rules
// against and the jti it reserved (empty if none); the caller must release
// the reservation.
func (s *Server) checkAssertion(tr *TokenRequest) (claims map[string]any, jti string, resp TokenResponse, rep reply, ok bool) {
	assertion := url.Values(tr.Form).Get("assertion")
	if assertion == "" {
		resp, rep = tokenError(http.StatusBadRequest, "invalid_request", ReasonMissingAssertion,
			"missing assertion parameter (RFC 7523 section 2.1)")
		return nil, "", resp, rep, false
	}
	claims = tr.Claims
	if !s.cfg.SkipVerification {
		if s.cfg.Keys == nil {
			resp, rep = tokenError(http.StatusBadRequest, "invalid_grant", ReasonSignature,
				"assertion signature cannot be verified: no trusted keys are configured")
			return nil, "", resp, rep, false
		}
		_, verified, err := s.cfg.Keys.Verify(assertion)
		if err != nil {
			resp, rep = tokenError(http.StatusBadRequest, "invalid_grant", ReasonSignature,
				"assertion signature verification failed: "+err.Error())
			return nil, "", resp, rep, false
		}
		claims = verified
		err = jwt.Validate(claims, jwt.ValidateOptions{
			Now:        s.now(),
			Leeway:     s.leeway,
			Audiences:  []string{s.TokenEndpoint(), s.url},
			RequireExp: true,
		})
		if err != nil {
			reason, detail := jwt.ReasonMalformed, err.Error()
			var ve *jwt.ValidationError
			if errors.As(err, &ve) {
				reason, detail = ve.Reason, ve.Detail
			}
			resp, rep = tokenError(http.StatusBadRequest, "invalid_grant", reason, "assertion rejected ("+reason+"): "+detail)
			return nil, "", resp, rep, false
		}
	}

	// RFC 7523 §3 item 7: reject a jti that was already used (a MAY: a
	// server can be told to accept a reused assertion).
	if raw, has := claims["jti"]; has && raw != nil && !s.cfg.AllowJTIReuse {
		id, isString := raw.(string)
		if !isString {
			resp, rep = tokenError(http.StatusBadRequest, "invalid_grant", jwt.ReasonMalformed,
				fmt.Sprintf("assertion jti is a %T, not a string", raw))
			return nil, "", resp, rep, false
		}
		if id != "" {
			s.mu.Lock()
			replay := s.seen[id] || s.pending[id]
			if !replay {
				s.pending[id] = true
			}
			s.mu.Unlock()
			if replay {
				resp, rep = tokenError(http.StatusBadRequest, "invalid_grant", ReasonReplay,
					"assertion jti "+id+" was already used (RFC 7523 section 3 item 7)")
				return nil, "", resp, rep, false
			}
			jti = id
		}
	}
	return claims, jti, TokenResponse{}, reply{}, true
}

// matchRule runs a rule's Match, turning a panic into an error. A rule
// without Match matches every request.
func matchRule(rule Rule, tr *TokenRequest, claims map[string]any) (matched bool, err error) {
	if rule.Match == nil {
		return true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			matched, err = false, fmt.Errorf("rule %s panicked: %v", rule.Name, p)
		}
	}()
	cp := tr.Clone()
	matched, err = rule.Match(&cp, cloneJSON(claims))
	if err != nil {
		return false, fmt.Errorf("rule %s: %w", rule.Name, err)
	}
	return matched, nil
}

// tokenError builds an RFC 6749 §5.2 error response and its record.
func tokenError(status int, code, reason, description string) (TokenResponse, reply) {
	description = sanitizeDescription(description)
	rep := errorReply(status, code, description)
	rep.errorCode = code
	return TokenResponse{
		Status:           status,
		Error:            code,
		ErrorDescription: description,
		Reason:           reason,
	}, rep
}

// newAccessToken returns prefix-<128 random bits in hex>.
func newAccessToken(prefix string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("authserver: random token: %w", err)
	}
	return prefix + "-" + hex.EncodeToString(b[:]), nil
}

// readBody reads at most limit bytes of body and reports whether more was
// available.
func readBody(body io.Reader, limit int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], true, nil
	}
	return b, false, err
}

// mediaType returns the media type of a Content-Type header value without
// parameters, in lower case.
func mediaType(header string) string {
	if header == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(header); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(header, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func describeType(mt string) string {
	if mt == "" {
		return "no Content-Type"
	}
	return mt
}

func repeatedKeys(form url.Values) []string {
	var keys []string
	for k, v := range form {
		if len(v) > 1 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// assertionOf returns the assertion (RFC 7523 §2.1) or client_assertion
// (RFC 7523 §2.2) parameter, from the form or else from the query.
func assertionOf(form, query url.Values) string {
	for _, src := range []url.Values{form, query} {
		for _, name := range []string{"assertion", "client_assertion"} {
			if v := src.Get(name); v != "" {
				return v
			}
		}
	}
	return ""
}
