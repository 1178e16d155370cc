package authserver

import (
	"net"
	"net/http"
	"time"
)

// GrantJWTBearer is the RFC 7523 §2.1 grant type URN.
const GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Config configures a stub authorization server. The zero value is usable:
// it advertises only the JWT-bearer grant and has no registration endpoint.
type Config struct {
	// GrantTypesSupported is advertised in the RFC 8414 metadata and is the
	// set of grant types the token endpoint accepts. Empty means
	// []string{GrantJWTBearer}.
	GrantTypesSupported []string
	// Registration advertises registration_endpoint in the metadata. The
	// /register endpoint exists (and records) either way.
	Registration bool
	// ScopesSupported is advertised in the metadata.
	ScopesSupported []string
	// Keys are the public keys the token endpoint trusts when verifying
	// assertions (RFC 7523 §3 item 9).
	Keys KeySet
	// Leeway tolerates clock skew on exp/nbf/iat. Zero means 30s; a
	// negative value means no leeway.
	Leeway time.Duration
	// SkipVerification accepts any assertion at face value: neither its
	// signature nor its claims (exp, nbf, iat, aud, iss, sub) are checked.
	// It is still decoded and recorded, a decodable jti is still checked
	// for replay, and the rules still apply.
	SkipVerification bool
	// SeenJTIs are jti values the server treats as already used (RFC 7523
	// §3 item 7), so a fresh assertion carrying one is a replay.
	SeenJTIs []string
	// Rules are applied in order after the built-in checks pass; the first
	// rule that matches rejects the request with its error.
	Rules []Rule
	// TokenTTL is expires_in of issued access tokens. Zero means 1h.
	TokenTTL time.Duration
	// TokenPrefix prefixes issued access tokens (e.g. the case name) so a
	// token is bound to one case. Empty means "wif-at".
	TokenPrefix string
	// MaxRecords bounds the number of requests kept in full; counts stay
	// exact beyond it. Zero means 1000.
	MaxRecords int
	// MaxBody bounds a request body read by the token endpoint. Zero means 1 MiB.
	MaxBody int64
	// OnError, if set, is called (once per error response, from the
	// handler goroutine) when the token endpoint answers with an error,
	// with the error code. It runs after the request is recorded and
	// before the response is written, so at is never later than the
	// moment the client receives the error. A panic in it is recovered.
	OnError func(at time.Time, code string)
	// Admit, if set, decides once per connection, from its remote and
	// local addresses, whether the server answers it: a request on a
	// connection it refuses is answered 403 and neither routed nor
	// recorded, only counted (ForeignRequestCount). nil admits everyone.
	Admit func(remote, local net.Addr) bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Start is the instant At fields are measured from; zero means the
	// moment New was called.
	Start time.Time
}

// KeySet is the set of public keys trusted for assertion signatures.
// It is satisfied by *jwt.KeySet.
type KeySet interface {
	// Verify checks the compact JWS signature and returns the decoded
	// header and claims, or an error describing why verification failed.
	Verify(token string) (header map[string]any, claims map[string]any, err error)
}

// Rule rejects a token request that matches it.
type Rule struct {
	// Name identifies the rule in the record of the request it rejected.
	Name string
	// Match reports whether the rule applies to req, whose assertion
	// decoded to claims (nil when it could not be decoded). For the
	// JWT-bearer grant claims are the verified claims. req and claims are
	// copies. An error or a panic answers 500 server_error. A nil Match
	// matches every request.
	Match func(req *TokenRequest, claims map[string]any) (bool, error)
	// Error is the RFC 6749 §5.2 error code; default "invalid_grant".
	Error string
	// ErrorDescription is optional human-readable text.
	ErrorDescription string
	// Status is the HTTP status; default 400 (401 for invalid_client).
	Status int
}

// TokenRequest is one request to the token endpoint, recorded whole.
type TokenRequest struct {
	Seq             int                 // 1-based arrival order among token requests
	At              time.Duration       // since the server started
	Time            time.Time           // wall clock at arrival
	Method          string              // HTTP method
	Path            string              // request path
	Query           map[string][]string // URL query (non-nil)
	ContentType     string              // media type without parameters, lower case
	Header          http.Header         // request headers
	Body            string              // raw body, truncated to MaxBody
	BodyTruncated   bool
	Form            map[string][]string // parsed form (urlencoded body); nil if unparsable or not a form
	FormError       string              // why the body was not a valid form, if so
	RepeatedKeys    []string            // form keys that appeared more than once, sorted
	Claims          map[string]any      // claims of the assertion (or client_assertion) parameter, decoded without verification (numbers are float64); nil if none/undecodable
	AssertionHeader map[string]any      // JOSE header of the assertion, if decodable
	Response        TokenResponse
}

// TokenResponse is what the token endpoint answered.
type TokenResponse struct {
	Status           int
	Error            string // RFC 6749 §5.2 code, empty on success
	ErrorDescription string
	Rule             string // the rule that rejected the request, if any
	Reason           string // the built-in verification failure, if any (e.g. "expired", "audience", "replayed jti", "signature")
	AccessToken      string // issued token on success
	Scope            string
}

// Request is any HTTP request the server saw (metadata, token, authorize, register, other).
type Request struct {
	Server string // "auth"
	Seq    int    // 1-based arrival order among all requests to this server
	At     time.Duration
	Time   time.Time
	Method string
	Path   string
	Query  map[string][]string // non-nil
	Status int
}
