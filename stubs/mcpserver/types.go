package mcpserver

import (
	"crypto/tls"
	"time"

	"github.com/wifdsl/wifdsl/record"
)

// Config configures a stub MCP server.
type Config struct {
	// Name is the server's name in its case, recorded in every record it
	// writes. Empty means "mcp".
	Name string
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
	// TLS, if set, makes the server speak HTTPS with this configuration
	// (its URLs are then https://); nil means plain HTTP.
	TLS *tls.Config
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Start is the instant At fields are measured from; zero means the
	// moment New was called.
	Start time.Time
}

// MCPRequest is one HTTP request to the MCP endpoint.
type MCPRequest = record.MCPRequest

// Request is any HTTP request the server saw.
type Request = record.Request
