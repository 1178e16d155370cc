package mcpserver

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

// Config configures a stub MCP server.
type Config struct {
	// Name is the server's name in its case, recorded in every record it
	// writes. Empty means "mcp".
	Name string
	// Origin, if set, is the origin of another server that serves this
	// one's paths (see Server.Handler): the server opens no listener of
	// its own, and its URLs are on that origin.
	Origin string
	// Path is the MCP endpoint path; empty means "/mcp". It must be an
	// absolute path without query or fragment.
	Path string
	// AuthorizationServers are the issuer URLs listed in the RFC 9728
	// protected resource metadata.
	AuthorizationServers []string
	// ScopesSupported is listed in the protected resource metadata.
	ScopesSupported []string
	// ChallengeScope, if set, is sent as scope="…" in the
	// WWW-Authenticate challenge of a 401 (RFC 6750 §3).
	ChallengeScope string
	// Lookup, if set, says what an authorization server of the case
	// issued token as; it replaces ValidToken, and lets the server enforce
	// expiry and scopes.
	Lookup func(token string) (record.IssuedToken, bool)
	// EnforceExpiry answers a request bearing an expired token with 401
	// invalid_token (RFC 6750 §3.1).
	EnforceExpiry bool
	// RequiredScopes must all be granted to a token (RFC 6750 §3.1
	// insufficient_scope, 403), besides MethodScopes of the request's
	// JSON-RPC methods.
	RequiredScopes []string
	// MethodScopes are the scopes a JSON-RPC method needs ("tools/call" →
	// ["mcp:write"]); a method ending in "*" is a prefix.
	MethodScopes map[string][]string
	// OpenMethods are JSON-RPC methods that need no token ("initialize",
	// "notifications/*"): a request whose methods are all open passes.
	OpenMethods []string
	// PRMAt lists where the RFC 9728 protected resource metadata is
	// served: "path" (path-based, §3.1), "root" (the well-known URI
	// without the resource path) or an absolute path of the scenario's
	// choosing. nil means "path" and "root"; an empty, non-nil list
	// serves none.
	PRMAt []string
	// PRMFields are merged into the metadata document last: a field set
	// to nil is removed (e.g. "resource" to advertise another resource).
	PRMFields map[string]any
	// OmitResourceMetadata leaves resource_metadata out of the 401
	// challenge (RFC 9728 §5.1), so a client must find the metadata itself.
	OmitResourceMetadata bool
	// DPoP, if set, puts the server in DPoP mode (RFC 9449 §7): its
	// challenges use the DPoP scheme, an access token is accepted with the
	// DPoP scheme as well as Bearer, and the proof of every request is
	// checked and recorded (MCPRequest.DPoP). nil means Bearer only.
	DPoP *DPoPConfig
	// ResponseRules answer requests to the MCP endpoint and to the
	// protected resource metadata before the built-in behaviour does.
	ResponseRules *rules.Set
	// ValidToken reports whether token was issued by the authorization
	// server for this case. nil rejects every token. It is called from
	// handler goroutines, possibly more than once per request, so it must
	// be safe for concurrent use.
	ValidToken func(token string) bool
	// MaxRecords bounds the number of requests kept in full (the first
	// MaxRecords of each kind); counts stay exact. Zero means 1000.
	MaxRecords int
	// TLS, if set, makes the server speak HTTPS with this configuration
	// (its URLs are then https://); nil means plain HTTP.
	TLS *tls.Config
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

// DPoPConfig configures the DPoP mode of an MCP server. By default a
// request with an issued token passes whatever its proof and scheme, as in
// the official harness: checks judge the proofs from the record.
type DPoPConfig struct {
	// Nonce, if set, is the nonce every proof must carry (RFC 9449 §9): a
	// request with a valid proof without it gets 401 with error
	// use_dpop_nonce and a DPoP-Nonce header.
	Nonce string
	// Enforce refuses what RFC 9449 §7.1 makes a resource server refuse:
	// a DPoP-bound token sent with the Bearer scheme (401 invalid_token)
	// and a request whose proof is missing, invalid or replayed (401
	// invalid_dpop_proof).
	Enforce bool
}

// MCPRequest is one HTTP request to the MCP endpoint.
type MCPRequest = record.MCPRequest

// Request is any HTTP request the server saw.
type Request = record.Request
