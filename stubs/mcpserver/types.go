package mcpserver

import (
	"net"
	"time"
)

// Config configures a stub MCP server.
type Config struct {
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
	// ValidToken reports whether token was issued by the authorization
	// server for this case. nil rejects every token. It is called from
	// handler goroutines, possibly more than once per request, so it must
	// be safe for concurrent use.
	ValidToken func(token string) bool
	// MaxRecords bounds the number of requests kept in full (the first
	// MaxRecords of each kind); counts stay exact. Zero means 1000.
	MaxRecords int
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

// MCPRequest is one HTTP request to the MCP endpoint.
type MCPRequest struct {
	Seq             int           // 1-based arrival order among MCP requests
	At              time.Duration // since the server started
	Time            time.Time     // clock reading at arrival
	HTTPMethod      string
	Path            string
	RPCMethod       string   // JSON-RPC method of a body holding one request or notification ("" for none, a response, a batch or an unparsable body)
	RPCMethods      []string // JSON-RPC methods of all requests and notifications in the body, batch members included
	Bearer          string   // token from "Authorization: Bearer", "" if absent
	HasBearer       bool     // the Authorization scheme is Bearer (case-insensitive)
	AuthScheme      string   // scheme of the Authorization header, as sent ("" if absent)
	IssuedToken     bool     // Bearer is a token the authorization server issued
	QueryToken      string   // access_token from the URL query, if any (RFC 6750 §2.3; MCP clients must not send it)
	ProtocolVersion string   // MCP-Protocol-Version header
	Status          int      // response status; 0 while the handler has not yet written one
}

// Request is any HTTP request the server saw.
type Request struct {
	Server string // "mcp"
	At     time.Duration
	Time   time.Time
	Method string
	Path   string
	Query  map[string][]string
	Status int // response status; 0 while the handler has not yet written one
}
