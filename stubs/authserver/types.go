package authserver

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
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
	// AllowJTIReuse accepts an assertion whose jti was already used: RFC
	// 7523 §3 item 7 makes replay protection a MAY.
	AllowJTIReuse bool
	// Rules are applied in order after the built-in checks pass; the first
	// rule that matches rejects the request with its error.
	Rules []Rule
	// ResponseRules answer requests to any endpoint (metadata, token,
	// authorize, register, jwks) before the built-in behaviour does.
	ResponseRules *rules.Set
	// IssuerPath is the path of the issuer identifier on the server's
	// origin, "" or such as "/tenant1" (RFC 8414 §2); every endpoint is
	// under it.
	IssuerPath string
	// MetadataAt lists where the metadata document is served (the
	// Metadata* locations). nil means MetadataOAuth and MetadataOpenID; an
	// empty, non-nil list serves no metadata at all (a legacy server).
	MetadataAt []string
	// MetadataFields are merged into the metadata document last: a field
	// set to nil is removed.
	MetadataFields map[string]any
	// AuthorizationResponseIss, if set, gives the iss parameter of each
	// authorization response (RFC 9207 §2) when GrantTypesSupported has
	// authorization_code: send false omits it; any iss is sent as it is
	// (a wrong issuer, or one that only normalizes to the right one). nil
	// sends the issuer identifier. An error answers 500 and is reported to
	// ResponseRules.OnError. The metadata advertises
	// authorization_response_iss_parameter_supported either way, unless
	// MetadataFields removes it.
	AuthorizationResponseIss func() (iss string, send bool, err error)
	// TokenEndpointAuthMethods are the client authentication methods the
	// token endpoint accepts and the metadata advertises (RFC 8414 §2).
	// Empty means ["none"]: no client authentication.
	TokenEndpointAuthMethods []string
	// Clients are the clients registered with the server.
	Clients []Client
	// IssueRefreshTokens makes every grant but token exchange also issue a
	// refresh token (RFC 6749 §1.5); the refresh_token grant rotates it.
	IssueRefreshTokens bool
	// Exchange, if set, makes the token endpoint an RFC 8693 token exchange
	// that issues Identity Assertion JWT Authorization Grants (ID-JAG): the
	// server is an enterprise identity provider.
	Exchange *Exchange
	// DPoP, if set, makes the token endpoint check DPoP proofs (RFC 9449
	// §4.3, §5): a request with an invalid proof gets 400
	// invalid_dpop_proof, one with a valid proof a token bound to the
	// proof's key (token_type DPoP), one without a proof a Bearer token.
	// The metadata advertises dpop_signing_alg_values_supported. nil
	// means no DPoP: proofs are neither checked nor recorded.
	DPoP *DPoPConfig
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

// DPoPConfig configures DPoP (RFC 9449) at the token endpoint.
type DPoPConfig struct {
	// Nonce, if set, is the nonce every proof must carry (RFC 9449 §8):
	// a valid proof without it gets 400 use_dpop_nonce with a DPoP-Nonce
	// header, which is not an error that starts the fail-fast budget.
	Nonce string
}

// Locations of the metadata document, relative to the origin, for an
// issuer with path P ("" for none).
const (
	MetadataOAuth          = "oauth"           // /.well-known/oauth-authorization-server + P (RFC 8414 §3.1)
	MetadataOAuthRoot      = "oauth-root"      // /.well-known/oauth-authorization-server, whatever P
	MetadataOpenID         = "openid"          // P + /.well-known/openid-configuration (OpenID Connect Discovery §4)
	MetadataOpenIDRoot     = "openid-root"     // /.well-known/openid-configuration, whatever P
	MetadataOpenIDInserted = "openid-inserted" // /.well-known/openid-configuration + P (RFC 8414 §5)
)

// MetadataLocations are every location, in the order they are listed.
var MetadataLocations = []string{MetadataOAuth, MetadataOAuthRoot, MetadataOpenID, MetadataOpenIDRoot, MetadataOpenIDInserted}

// Client authentication methods (RFC 7591 §2, RFC 7523 §2.2).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// AuthMethods are the client authentication methods the server knows.
var AuthMethods = []string{AuthNone, AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT}

// Client is a client registered with the server.
type Client struct {
	ID string
	// Secret is the client secret of client_secret_basic and
	// client_secret_post.
	Secret string
	// Keys verify the client's private_key_jwt assertions (RFC 7523 §2.2).
	Keys KeySet
}

// Exchange configures RFC 8693 token exchange at an identity provider:
// a subject token (an ID token the server's Keys verify) is exchanged for
// an ID-JAG, a JWT of type oauth-id-jag+jwt for the requested audience
// and resource.
type Exchange struct {
	// Signer signs the ID-JAGs.
	Signer interface {
		MintTyped(typ string, c jwt.Claims) (string, error)
	}
	// TTL is the lifetime of an ID-JAG; zero means 5 minutes.
	TTL time.Duration
	// Claims are set on every ID-JAG, over the ones the exchange derives
	// (such as client_id: the client's identifier at the authorization
	// server the ID-JAG is for, which only the identity provider knows).
	Claims map[string]any
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
