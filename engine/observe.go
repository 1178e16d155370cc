package engine

import (
	"time"

	"github.com/wifdsl/wifdsl/record"
)

// Env is what late expressions (claims, context, rules) can see of a
// running case.
type Env struct {
	Scenario string
	Case     string
	// ProtocolVersion is the MCP protocol version the case runs at, as the
	// client receives it in MCP_CONFORMANCE_PROTOCOL_VERSION.
	ProtocolVersion string
	// Servers are the started servers, in start order.
	Servers []ServerInfo
	// Keys are the case's named keys, by name.
	Keys map[string]*KeyInfo
	// Assertions holds each minted assertion by name, in mint order.
	Assertions     map[string]*Assertion
	AssertionOrder []string
	// Context is the scenario context once computed.
	Context map[string]any
	// views holds what front ends derived from a snapshot (see View).
	views *memo
}

// View returns the value stored under key, computing it with build the
// first time. Front ends use it to convert an environment into their own
// terms (such as expression variables) once rather than at each late
// expression: a case evaluates several against the same environment
// (claims, context, server metadata, rules). Only the snapshots a running
// case hands out, which later steps do not change, keep what View builds;
// on any other Env, View calls build each time. The value is shared: it
// must not be modified.
func (e *Env) View(key any, build func() any) any {
	if e.views == nil {
		return build()
	}
	return e.views.get(key, build)
}

// ServerInfo is a started server as expressions see it: its name, kind and
// URLs, by the names its server package gives them ("url", "issuer",
// "token_endpoint", "metadata_url", …).
type ServerInfo struct {
	Name string            `json:"name"`
	Kind ServerKind        `json:"kind"`
	URLs map[string]string `json:"urls"`
}

// KeyInfo is a named key of a case as expressions see it.
type KeyInfo struct {
	Name string `json:"name"`
	Alg  string `json:"alg"`
	KID  string `json:"kid"`
	// PublicJWK is the public key as a JWK (JSON text).
	PublicJWK string `json:"public_jwk"`
	// PrivateKeyPEM is the private key as PKCS #8 PEM, for a context that
	// hands the client its signing key.
	PrivateKeyPEM string `json:"private_key_pem"`
}

// Server returns the started server called name, or nil.
func (e *Env) Server(name string) *ServerInfo {
	for i := range e.Servers {
		if e.Servers[i].Name == name {
			return &e.Servers[i]
		}
	}
	return nil
}

// URL returns the URL called key of the server called name, or "".
func (e *Env) URL(server, key string) string {
	if s := e.Server(server); s != nil {
		return s.URLs[key]
	}
	return ""
}

// Assertion is a minted workload JWT.
type Assertion struct {
	Name   string         `json:"name"`
	Alg    string         `json:"alg"`
	Token  string         `json:"token"`
	Claims map[string]any `json:"claims"`
}

// Observations is everything the harness saw during one case. Checks read
// it; reporters render parts of it.
type Observations struct {
	Env *Env
	// TokenRequests are the requests to every token endpoint of the case,
	// in arrival order, bounded per server; TokenRequestCount is exact.
	TokenRequests     []record.TokenRequest
	TokenRequestCount int
	// Requests are the requests every server saw, merged in arrival order.
	Requests     []record.Request
	RequestCount int
	// MCPRequests are the requests to the MCP endpoints.
	MCPRequests     []record.MCPRequest
	MCPRequestCount int
	// IssuedTokens are the access tokens the authorization servers issued,
	// in the order of the successful token requests.
	IssuedTokens []string
	// Issued is every token the servers issued (access and refresh tokens,
	// ID-JAGs), with what it was issued for, in issue order.
	Issued []record.IssuedToken
	// FirstTokenIssued is when the first access token was issued, or -1.
	FirstTokenIssued time.Duration
	// FirstError is when the authorization server first answered with an
	// error, or -1.
	FirstError time.Duration
	// ForeignRequests counts the requests the stubs refused because they
	// did not come from the client under test or its descendants; they are
	// in no other field.
	ForeignRequests int
	Client          ClientObservation
	// TLS says whether the case ran in TLS mode; JWTFile is what the
	// harness wrote to the JWT file, nil when the case has none.
	TLS     TLSObservation
	JWTFile *JWTFileObservation

	memo memo
}

// Memo returns the value stored under key, computing it with build the
// first time. Front ends use it to derive their view of the observations
// (such as an evaluation context) once per case rather than once per check.
func (o *Observations) Memo(key any, build func() any) any {
	return o.memo.get(key, build)
}

// ClientObservation is what the client process did.
type ClientObservation struct {
	Command string
	Args    []string
	// Started is false when the process could not be started; StartError says why.
	Started    bool
	StartError string
	// Exited is true when the process exited by itself (not killed by the harness).
	Exited bool
	// ExitCode is the exit status, or -1 when the process died by a signal
	// or was killed.
	ExitCode int
	// Signal names the signal that ended the process, if any.
	Signal string
	// TimedOut is true when the case timeout killed the client.
	TimedOut bool
	// HungAfterError is true when the client was killed because it did
	// not exit within the fail-fast budget after the first error response.
	HungAfterError bool
	// Interrupted is true when the run was cancelled (e.g. Ctrl-C).
	Interrupted bool
	// Killed is true when the harness ended the process (any reason).
	Killed bool
	// HungIn says which phase the client was in when killed.
	HungIn string
	// Duration is from launch to exit.
	Duration time.Duration
	// ExitAt is the exit time since the case start.
	ExitAt time.Duration
	// ExitAfterError is the time from the first error response to exit, or -1.
	ExitAfterError                   time.Duration
	Stdout, Stderr                   string
	StdoutBytes, StderrBytes         int64
	StdoutTruncated, StderrTruncated bool
}

// Phase describes where a client stood in the flow, judged from what the
// servers saw; it names the step a hanging client hung in.
func (o *Observations) Phase() string {
	switch {
	case o.RequestCount == 0:
		return "before any request"
	case o.FirstError >= 0 && o.FirstTokenIssued < 0:
		return "after the token endpoint's error response"
	case o.FirstTokenIssued >= 0:
		for _, r := range o.MCPRequests {
			if r.IssuedToken && r.Status >= 200 && r.Status < 300 {
				return "after a successful MCP request"
			}
		}
		return "after the token was issued, before a successful MCP request"
	case o.TokenRequestCount == 0:
		return "during discovery, before any token request"
	default:
		return "waiting for the token response"
	}
}
