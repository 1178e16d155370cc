package record

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// Grant type identifiers used at token endpoints.
const (
	// GrantJWTBearer is the RFC 7523 §2.1 grant type URN.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantClientCredentials is the RFC 6749 §4.4 grant type.
	GrantClientCredentials = "client_credentials"
	// GrantAuthorizationCode is the RFC 6749 §4.1 grant type.
	GrantAuthorizationCode = "authorization_code"
	// GrantRefreshToken is the RFC 6749 §6 grant type.
	GrantRefreshToken = "refresh_token"
	// GrantTokenExchange is the RFC 8693 §2.1 grant type URN.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Request is any HTTP request a stub server saw, with the status it
// answered. Every server records one per request, whatever the endpoint.
type Request struct {
	Server string              // the name of the server in its case ("auth", "mcp", …)
	Seq    int                 // 1-based arrival order among all requests to this server
	At     time.Duration       // since the case started
	Time   time.Time           // wall clock at arrival
	Method string              // HTTP method
	Path   string              // URL path
	Query  map[string][]string // URL query (non-nil when recorded by a server)
	Status int                 // response status; 0 while no response is committed
	Scheme string              // "https" when the request came over TLS, else "http"
}

// Clone returns a deep copy of r.
func (r Request) Clone() Request {
	r.Query = CloneValues(r.Query)
	return r
}

// TokenRequest is one request to a token endpoint (RFC 6749 §3.2),
// recorded whole, with the answer it got.
type TokenRequest struct {
	Server          string              // the name of the authorization server
	Seq             int                 // 1-based arrival order among token requests to this server
	At              time.Duration       // since the case started
	Time            time.Time           // wall clock at arrival
	Method          string              // HTTP method
	Path            string              // request path
	Scheme          string              // "https" when the request came over TLS, else "http"
	Query           map[string][]string // URL query (non-nil)
	ContentType     string              // media type without parameters, lower case
	Header          http.Header         // request headers
	Body            string              // raw body, truncated to the server's body limit
	BodyTruncated   bool
	Form            map[string][]string // parsed form (urlencoded body); nil if unparsable or not a form
	FormError       string              // why the body was not a valid form, if so
	RepeatedKeys    []string            // form keys that appeared more than once, sorted
	Claims          map[string]any      // claims of the assertion (or client_assertion) parameter, decoded without verification (numbers are float64); nil if none or undecodable
	AssertionHeader map[string]any      // JOSE header of that assertion, if decodable
	Response        TokenResponse
}

// TokenResponse is what a token endpoint answered.
type TokenResponse struct {
	Status           int
	Error            string // RFC 6749 §5.2 error code, empty on success
	ErrorDescription string
	Rule             string // the scenario rule that answered, if any
	Reason           string // the built-in verification failure, if any ("expired", "audience", "replayed jti", "signature", …)
	AccessToken      string // the issued access token on success
	Scope            string
}

// Clone returns a deep copy of tr.
func (tr TokenRequest) Clone() TokenRequest {
	cp := tr
	cp.Query = CloneValues(tr.Query)
	cp.Header = tr.Header.Clone()
	cp.Form = CloneValues(tr.Form)
	cp.RepeatedKeys = slices.Clone(tr.RepeatedKeys)
	cp.Claims = CloneJSON(tr.Claims)
	cp.AssertionHeader = CloneJSON(tr.AssertionHeader)
	return cp
}

// MCPRequest is one HTTP request to an MCP endpoint.
type MCPRequest struct {
	Server          string        // the name of the MCP server
	Seq             int           // 1-based arrival order among MCP requests to this server
	At              time.Duration // since the case started
	Time            time.Time     // wall clock at arrival
	HTTPMethod      string
	Path            string
	RPCMethod       string   // JSON-RPC method of a body holding one request or notification ("" for none, a response, a batch or an unparsable body)
	RPCMethods      []string // JSON-RPC methods of all requests and notifications in the body, batch members included
	Bearer          string   // token from "Authorization: Bearer", "" if absent
	HasBearer       bool     // the Authorization scheme is Bearer (case-insensitive)
	AuthScheme      string   // scheme of the Authorization header, as sent ("" if absent)
	IssuedToken     bool     // Bearer is a token an authorization server of the case issued
	QueryToken      string   // access_token from the URL query, if any (RFC 6750 §2.3; MCP clients must not send it)
	ProtocolVersion string   // MCP-Protocol-Version header
	Status          int      // response status; 0 while no response is committed
}

// Clone returns a deep copy of m.
func (m MCPRequest) Clone() MCPRequest {
	m.RPCMethods = slices.Clone(m.RPCMethods)
	return m
}

// CloneValues deep-copies a URL query or form.
func CloneValues(v map[string][]string) map[string][]string {
	if v == nil {
		return nil
	}
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// CloneJSON deep-copies a JSON-decoded object.
func CloneJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneJSONValue(v)
	}
	return out
}

func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return CloneJSON(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSONValue(e)
		}
		return out
	default:
		return v
	}
}

// SchemeOf is the scheme a server received r over: "https" when it came
// over TLS, else "http".
func SchemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
