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
	Server   string              // the name of the server in its case ("auth", "mcp", …)
	Endpoint string              // the kind of endpoint that answered (Endpoint* constants); "" when none did
	Seq      int                 // 1-based arrival order among all requests to this server
	At       time.Duration       // since the case started
	Time     time.Time           // wall clock at arrival
	Method   string              // HTTP method
	Path     string              // URL path
	Query    map[string][]string // URL query (non-nil when recorded by a server)
	Status   int                 // response status; 0 while no response is committed
	Rule     string              // the scenario rule that answered, if any
	Scheme   string              // "https" when the request came over TLS, else "http"
	Body     string              // the request body, up to MaxRecordedBody bytes (the token endpoint's is in TokenRequest)
	Location string              // the Location header answered (a redirect), if any
	Error    string              // the OAuth error code answered (RFC 6749 §5.2, or the error of a redirect, §4.1.2.1), if any
	// TokenIssuer is, at an MCP server, the name of the authorization
	// server that issued the bearer token the request presented, if one
	// of the case did.
	TokenIssuer string
}

// MaxRecordedBody bounds the body kept in a Request.
const MaxRecordedBody = 64 << 10

// CapBody returns b as a string of at most MaxRecordedBody bytes.
func CapBody(b []byte) string {
	return string(b[:min(len(b), MaxRecordedBody)])
}

// Clone returns a deep copy of r.
func (r Request) Clone() Request {
	r.Query = CloneValues(r.Query)
	return r
}

// The kinds of endpoint a stub server has. Scenario rules name them.
const (
	EndpointMetadata  = "metadata"                    // RFC 8414 / OpenID Connect Discovery metadata
	EndpointToken     = "token"                       // RFC 6749 §3.2 (and RFC 8693 at an identity provider)
	EndpointAuthorize = "authorize"                   // RFC 6749 §3.1
	EndpointRegister  = "register"                    // RFC 7591
	EndpointJWKS      = "jwks"                        // RFC 7517 §5
	EndpointPRM       = "protected_resource_metadata" // RFC 9728
	EndpointMCP       = "mcp"                         // the MCP endpoint
)

// Incoming is a request as a scenario rule sees it while it is being
// answered: the generic record (with its headers and body) and what its
// endpoint decoded.
type Incoming struct {
	Request Request
	Header  map[string][]string
	Body    string
	Form    map[string][]string // the urlencoded body, if it is one
	// Attempt is the 1-based number of this request among the requests to
	// the same endpoint of the same server.
	Attempt int
	// Previous are the requests this server answered before, in order.
	Previous []Request
	// Token is set at a token endpoint; Claims are then the assertion's
	// claims as the server verified them (nil when none).
	Token  *TokenRequest
	Claims map[string]any
	// MCP is set at an MCP endpoint; BearerInfo then describes the bearer
	// token, when an authorization server of the case issued it.
	MCP        *MCPRequest
	BearerInfo *IssuedToken
}

// IssuedToken is what an authorization server issued: an access token or
// a refresh token, with what it was issued for.
type IssuedToken struct {
	Server    string    // the issuing server's name
	Token     string    // the token itself
	Refresh   bool      // a refresh token (RFC 6749 §1.5), not an access token
	Grant     string    // the grant type it was issued through
	ClientID  string    // the authenticated client, if any
	Scope     string    // space-separated scopes granted (RFC 6749 §3.3)
	IssuedAt  time.Time // wall clock
	ExpiresAt time.Time // wall clock; zero for a token that does not expire
	Revoked   bool      // a refresh token that was rotated away
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound to
	// (RFC 9449 §6, the cnf.jkt of a JWT token); "" for an unbound token.
	JKT string
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
	ClientAuth      ClientAuth          // how the client authenticated (RFC 6749 §2.3)
	Code            *CodeGrant          // what the code of an authorization_code grant was issued for; nil for other grants
	DPoP            DPoPProof           // the DPoP proof as the server checked it (RFC 9449 §4.3); zero at a server without DPoP
	Response        TokenResponse
}

// CodeGrant is what the authorization code of a token request was issued
// for (RFC 6749 §4.1.3), and how its PKCE verification went (RFC 7636 §4.6).
type CodeGrant struct {
	Known               bool   // the code is one the server issued
	Reused              bool   // the code had been redeemed before
	ClientID            string // the client_id of the authorization request
	RedirectURI         string
	Scope               string
	Resource            string
	CodeChallenge       string
	CodeChallengeMethod string // "S256", "plain" or "" (no challenge)
	// PKCE is "verified" (the verifier matches), "mismatch", "missing"
	// (the request had a challenge, the token request no verifier) or
	// "none" (the request had no challenge); "" when the code is unknown.
	PKCE string
}

// DPoPProof is a DPoP proof (RFC 9449 §4) as a server checked it. The
// claims are as sent, whether or not the proof is valid; they are empty
// when the proof could not be decoded.
type DPoPProof struct {
	Present bool   // a DPoP header was sent
	Headers int    // the number of DPoP header fields (RFC 9449 §4.3 allows one)
	Valid   bool   // it passed every check of RFC 9449 §4.3 that applies (at an MCP server, ath and the key binding of §7.1 too); replay is Replayed
	Error   string // the first check it failed ("typ must be dpop+jwt", "htu does not match …"); "" when valid or absent
	Typ     string // JOSE header typ
	Alg     string // JOSE header alg
	JKT     string // RFC 7638 SHA-256 thumbprint (base64url) of the jwk header, when it is a public key
	JTI     string
	HTM     string
	HTU     string
	IAT     int64 // seconds since the epoch; 0 when absent
	Nonce   string
	ATH     string
	// At an MCP endpoint: ATHValid is true when ath is the hash of the
	// presented access token (RFC 9449 §4.2); TokenJKT is the thumbprint
	// the access token is bound to ("" for an unbound or unknown token);
	// Bound is true when it is the proof's key.
	ATHValid bool
	TokenJKT string
	Bound    bool
	// Replayed is true when a proof with the same jti and a verified
	// signature reached the same server before (RFC 9449 §11.1).
	Replayed bool
}

// DPoP error codes (RFC 9449 §5, §8, §9) and the HTTP header of proofs.
const (
	ErrorInvalidDPoPProof = "invalid_dpop_proof"
	ErrorUseDPoPNonce     = "use_dpop_nonce"
	HeaderDPoP            = "DPoP"
	HeaderDPoPNonce       = "DPoP-Nonce"
	SchemeDPoP            = "DPoP"
)

// ClientAuth is how a client authenticated at a token endpoint.
type ClientAuth struct {
	// Method is the RFC 7591 §2 token_endpoint_auth_method the request
	// used: "client_secret_basic", "client_secret_post",
	// "private_key_jwt", or "none" (a client_id alone, or nothing).
	Method   string
	ClientID string
	// Verified is true when the credentials matched a registered client.
	Verified bool
	// Failure says why the credentials did not verify, if they did not.
	Failure string
}

// TokenResponse is what a token endpoint answered.
type TokenResponse struct {
	Status           int
	Error            string // RFC 6749 §5.2 error code, empty on success
	ErrorDescription string
	Rule             string // the scenario rule that answered, if any
	Reason           string // the built-in verification failure, if any ("expired", "audience", "replayed jti", "signature", …)
	AccessToken      string // the issued access token on success
	RefreshToken     string // the issued refresh token, if any
	IssuedTokenType  string // RFC 8693 §2.2.1 issued_token_type, at a token exchange
	TokenType        string // token_type of a success: "Bearer", "DPoP" (RFC 9449 §5), "N_A"
	Scope            string
	ExpiresIn        int64 // seconds
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
	if tr.Code != nil {
		c := *tr.Code
		cp.Code = &c
	}
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
	Bearer          string   // the access token of the Authorization header (see HasBearer), "" if none
	HasBearer       bool     // the Authorization scheme is Bearer, or DPoP at a server in DPoP mode (case-insensitive)
	AuthScheme      string   // scheme of the Authorization header, as sent ("" if absent)
	IssuedToken     bool     // Bearer is a token an authorization server of the case issued
	TokenIssuer     string   // the name of the server that issued Bearer, if one did
	TokenExpired    bool     // Bearer was issued but had expired when the request arrived
	QueryToken      string   // access_token from the URL query, if any (RFC 6750 §2.3; MCP clients must not send it)
	ProtocolVersion string   // MCP-Protocol-Version header
	Status          int      // response status; 0 while no response is committed
	Error           string   // the error of the WWW-Authenticate challenge answered (RFC 6750 §3.1, RFC 9449 §7.1, §9), if any
	// DPoP is the DPoP proof as the server checked it against this request
	// and its access token (RFC 9449 §4.3, §7.1); zero at a server without
	// DPoP.
	DPoP DPoPProof
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
