package authserver

import (
	"crypto/tls"
	"time"

	"github.com/wifdsl/wifdsl/record"
)

// GrantJWTBearer is the RFC 7523 §2.1 grant type URN.
const GrantJWTBearer = record.GrantJWTBearer

// Config configures a stub authorization server. The zero value is usable:
// it advertises only the JWT-bearer grant and has no registration endpoint.
type Config struct {
	// Name is the server's name in its case, recorded in every record it
	// writes. Empty means "auth".
	Name string
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
	// TLS, if set, makes the server speak HTTPS with this configuration
	// (its URLs are then https://); nil means plain HTTP.
	TLS *tls.Config
	// PlainTokenEndpoint also serves the server on a second, plain-HTTP
	// loopback listener and advertises that listener's token endpoint in
	// the metadata: with TLS set, a downgrade offered to the client.
	// Requests on either listener are answered and recorded alike; their
	// records tell them apart by scheme.
	PlainTokenEndpoint bool
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
type TokenRequest = record.TokenRequest

// TokenResponse is what the token endpoint answered.
type TokenResponse = record.TokenResponse

// Request is any HTTP request the server saw (metadata, token, authorize,
// register, other).
type Request = record.Request
