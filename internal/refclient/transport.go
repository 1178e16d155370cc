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

// nonBearerScheme is the http.RoundTripper of the auth_scheme deviation:
// it sends the access token as "Authorization: <scheme> <token>" instead of
// the Bearer scheme of RFC 6750 §2.1.
type nonBearerScheme struct {
	base   http.RoundTripper
	scheme string
}

// RoundTrip implements http.RoundTripper.
func (t nonBearerScheme) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, ok := bearerToken(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.scheme+" "+tok)
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

// omitHeaders is the http.RoundTripper of the omit_headers deviation: it
// removes the named headers (such as MCP-Protocol-Version) the SDK sets.
type omitHeaders struct {
	base  http.RoundTripper
	names []string
}

// RoundTrip implements http.RoundTripper.
func (t omitHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for _, n := range t.names {
		r.Header.Del(n)
	}
	return t.base.RoundTrip(r)
}
