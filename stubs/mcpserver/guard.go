package mcpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

type incomingKey struct{}

// withIncoming carries the recorder's view of a request to the guard.
func withIncoming(r *http.Request, m *record.MCPRequest) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), incomingKey{}, m))
}

func incomingOf(r *http.Request) *record.MCPRequest {
	m, _ := r.Context().Value(incomingKey{}).(*record.MCPRequest)
	if m == nil {
		m = &record.MCPRequest{}
	}
	return m
}

// lookup says what token was issued as.
func (s *Server) lookup(token string) (record.IssuedToken, bool) {
	if token == "" {
		return record.IssuedToken{}, false
	}
	if s.cfg.Lookup != nil {
		t, ok := s.cfg.Lookup(token)
		return t, ok && !t.Refresh
	}
	if s.cfg.ValidToken != nil && s.cfg.ValidToken(token) {
		return record.IssuedToken{Token: token}, true
	}
	return record.IssuedToken{}, false
}

// guard decides who reaches the MCP endpoint: the scenario's rules first,
// then open methods, then the bearer token (RFC 6750 §2.1, §3.1): issued,
// not expired when expiry is enforced, and carrying the scopes required.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := incomingOf(r)
		if s.cfg.ResponseRules.Has(record.EndpointMCP) {
			in := s.ruleIncoming(r, record.EndpointMCP, m)
			if info, ok := s.lookup(m.Bearer); ok {
				in.BearerInfo = &info
			}
			if s.answerByRule(w, record.EndpointMCP, in) {
				return
			}
		}
		if len(m.RPCMethods) > 0 && allOpen(m.RPCMethods, s.cfg.OpenMethods) {
			next.ServeHTTP(w, r)
			return
		}
		required := s.required(m.RPCMethods)
		if !m.HasBearer || m.Bearer == "" {
			s.challenge(w, http.StatusUnauthorized, "", "", required)
			return
		}
		info, ok := s.lookup(m.Bearer)
		if !ok {
			s.challenge(w, http.StatusUnauthorized, "invalid_token", "the access token was not issued by an authorization server of this case", required)
			return
		}
		if s.cfg.DPoP != nil && s.refuseDPoP(w, m, info, required) {
			return
		}
		if s.cfg.EnforceExpiry && !info.ExpiresAt.IsZero() && !s.now().Before(info.ExpiresAt) {
			s.challenge(w, http.StatusUnauthorized, "invalid_token", "the access token has expired", required)
			return
		}
		if missing := missingScopes(info.Scope, required); len(missing) > 0 {
			s.challenge(w, http.StatusForbidden, "insufficient_scope", "the access token lacks the scope "+strings.Join(missing, " "), required)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseDPoP answers a request with an issued token in DPoP mode when its
// proof calls for it, and reports whether it did: with Enforce, a bound
// token sent as Bearer or a proof that is not valid (RFC 9449 §7.1); with
// a Nonce, a valid proof without it (§9).
func (s *Server) refuseDPoP(w http.ResponseWriter, m *record.MCPRequest, info record.IssuedToken, required []string) bool {
	d, p := s.cfg.DPoP, m.DPoP
	if d.Enforce {
		switch {
		case !strings.EqualFold(m.AuthScheme, record.SchemeDPoP):
			if info.JKT != "" {
				s.challenge(w, http.StatusUnauthorized, "invalid_token", "the access token is bound to a DPoP key: present it with the DPoP scheme (RFC 9449 section 7.1)", required)
				return true
			}
		case !p.Valid:
			s.challenge(w, http.StatusUnauthorized, record.ErrorInvalidDPoPProof, p.Error, required)
			return true
		case p.Replayed:
			s.challenge(w, http.StatusUnauthorized, record.ErrorInvalidDPoPProof, "the proof's jti was already used (RFC 9449 section 11.1)", required)
			return true
		}
	}
	if d.Nonce != "" && p.Valid && p.Nonce != d.Nonce {
		w.Header().Set(record.HeaderDPoPNonce, d.Nonce)
		s.challenge(w, http.StatusUnauthorized, record.ErrorUseDPoPNonce, "", nil)
		return true
	}
	return false
}

// required are the scopes a request with these JSON-RPC methods needs.
func (s *Server) required(methods []string) []string {
	out := slices.Clone(s.cfg.RequiredScopes)
	for _, m := range methods {
		for pattern, scopes := range s.cfg.MethodScopes {
			if matchMethod(pattern, m) {
				for _, sc := range scopes {
					if !slices.Contains(out, sc) {
						out = append(out, sc)
					}
				}
			}
		}
	}
	return out
}

func matchMethod(pattern, method string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(method, p)
	}
	return pattern == method
}

func allOpen(methods, open []string) bool {
	for _, m := range methods {
		if !slices.ContainsFunc(open, func(p string) bool { return matchMethod(p, m) }) {
			return false
		}
	}
	return true
}

func missingScopes(granted string, required []string) []string {
	have := strings.Fields(granted)
	var out []string
	for _, r := range required {
		if !slices.Contains(have, r) {
			out = append(out, r)
		}
	}
	return out
}

// challenge answers with an RFC 6750 §3 Bearer challenge (a DPoP one,
// RFC 9449 §7.1, in DPoP mode): the error (none when no token was
// presented, §3.1), the scope the resource needs and, unless the scenario
// omits it, the RFC 9728 §5.1 resource_metadata URL.
func (s *Server) challenge(w http.ResponseWriter, status int, code, description string, required []string) {
	var params []string
	if code != "" {
		params = append(params, `error="`+code+`"`)
		if description != "" {
			params = append(params, `error_description="`+rules.SanitizeDescription(description)+`"`)
		}
	}
	if !s.cfg.OmitResourceMetadata && s.MetadataURL() != "" {
		params = append(params, `resource_metadata="`+s.MetadataURL()+`"`)
	}
	scope := strings.Join(required, " ")
	if scope == "" {
		scope = strings.Join(s.scopes, " ")
	}
	if scope != "" {
		params = append(params, `scope="`+scope+`"`)
	}
	challenge := "Bearer"
	if s.cfg.DPoP != nil {
		challenge = record.SchemeDPoP
	}
	if len(params) > 0 {
		challenge += " " + strings.Join(params, ", ")
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]string{"error": code, "error_description": description}
	if code == "" {
		body = map[string]string{"error": "unauthorized", "error_description": "an access token is required"}
	}
	_ = json.NewEncoder(w).Encode(body)
}

// ruleIncoming is the view of a request that rules see.
func (s *Server) ruleIncoming(r *http.Request, endpoint string, m *record.MCPRequest) *record.Incoming {
	s.log.mu.Lock()
	s.attempts[endpoint]++
	attempt := s.attempts[endpoint]
	s.log.mu.Unlock()
	at := s.now()
	query, _ := url.ParseQuery(r.URL.RawQuery)
	in := &record.Incoming{
		Request: record.Request{Server: s.name, Endpoint: endpoint, At: at.Sub(s.start), Time: at,
			Method: r.Method, Path: r.URL.Path, Query: query},
		Header:   r.Header.Clone(),
		Attempt:  attempt,
		Previous: s.Requests(),
	}
	if endpoint == record.EndpointMCP {
		cp := m.Clone()
		in.MCP = &cp
	}
	return in
}

// answerByRule answers with the first matching rule of endpoint, if any,
// and reports whether it did. A rule that cannot be evaluated answers 500.
func (s *Server) answerByRule(w http.ResponseWriter, endpoint string, in *record.Incoming) bool {
	a := s.cfg.ResponseRules.Find(endpoint, in)
	if a == nil {
		return false
	}
	setRule(w, a.Rule)
	a.Reply.Write(w)
	return true
}

// setRule tells the recorder which rule answered, through the writers
// that wrap its own.
func setRule(w http.ResponseWriter, name string) {
	for {
		if sw, ok := w.(*statusWriter); ok {
			sw.rule = name
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}
