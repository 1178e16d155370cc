package refclient

import (
	"net/http"
	"strings"
)

// tokenInQuery is the http.RoundTripper of the token-in-query variant: it
// copies the bearer token of every request into an access_token query
// parameter (the RFC 6750 §2.3 method the MCP authorization spec forbids),
// keeping the Authorization header.
type tokenInQuery struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t tokenInQuery) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, ok := bearerToken(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	q := r.URL.Query()
	q.Set("access_token", tok)
	r.URL.RawQuery = q.Encode()
	return t.base.RoundTrip(r)
}

// nonBearerScheme is the http.RoundTripper of the no-bearer variant: it
// sends the access token as "Authorization: Token <token>" instead of the
// Bearer scheme of RFC 6750 §2.1.
type nonBearerScheme struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t nonBearerScheme) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, ok := bearerToken(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Token "+tok)
	return t.base.RoundTrip(r)
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(req *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// noProtocolVersion is the http.RoundTripper of the no-protocol-version
// variant: it removes the MCP-Protocol-Version header the SDK sets.
type noProtocolVersion struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t noProtocolVersion) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("MCP-Protocol-Version") == "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Del("MCP-Protocol-Version")
	return t.base.RoundTrip(r)
}
