package mcpserver

import (
	"time"
)

// Config configures a stub MCP server.
type Config struct {
	// Path is the MCP endpoint path; empty means "/mcp".
	Path string
	// AuthorizationServers are the issuer URLs listed in the RFC 9728
	// protected resource metadata.
	AuthorizationServers []string
	// ScopesSupported is listed in the protected resource metadata.
	ScopesSupported []string
	// ChallengeScope, if set, is sent as scope="…" in the
	// WWW-Authenticate challenge of a 401.
	ChallengeScope string
	// ValidToken reports whether token was issued by the authorization
	// server for this case. nil rejects every token.
	ValidToken func(token string) bool
	// MaxRecords bounds the number of requests kept in full; counts stay
	// exact. Zero means 1000.
	MaxRecords int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Start is the instant At fields are measured from; zero means the
	// moment New was called.
	Start time.Time
}

// MCPRequest is one HTTP request to the MCP endpoint.
type MCPRequest struct {
	Seq             int
	At              time.Duration // since the server started
	Time            time.Time
	HTTPMethod      string
	Path            string
	RPCMethod       string   // JSON-RPC method of the request body ("" if none or a response/batch)
	RPCMethods      []string // all JSON-RPC methods in the body (batches)
	Bearer          string   // token from "Authorization: Bearer", "" if absent
	HasBearer       bool
	AuthScheme      string // scheme of the Authorization header, as sent ("" if absent)
	IssuedToken     bool   // Bearer is a token the authorization server issued
	QueryToken      string // access_token from the URL query, if any
	ProtocolVersion string // MCP-Protocol-Version header
	Status          int
}

// Request is any HTTP request the server saw.
type Request struct {
	Server string // "mcp"
	At     time.Duration
	Time   time.Time
	Method string
	Path   string
	Query  map[string][]string
	Status int
}
