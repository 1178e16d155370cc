package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/stubs/authserver"
	"github.com/wifdsl/wifdsl/stubs/mcpserver"
)

// Env is what late expressions (claims, context, reject rules) can see of a
// running case.
type Env struct {
	Scenario string
	Case     string
	// AuthServer and MCPServer are set once the servers are started.
	AuthServer AuthServerInfo
	MCPServer  MCPServerInfo
	// Assertions holds each minted assertion by name, in mint order.
	Assertions     map[string]*Assertion
	AssertionOrder []string
	// Context is the scenario context once computed.
	Context map[string]any
}

// AuthServerInfo are the stub authorization server's URLs.
type AuthServerInfo struct {
	URL           string `json:"url"`
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	MetadataURL   string `json:"metadata_url"`
	JWKSURL       string `json:"jwks_url"`
}

// MCPServerInfo are the stub MCP server's URLs.
type MCPServerInfo struct {
	URL         string `json:"url"`
	Resource    string `json:"resource"`
	MetadataURL string `json:"metadata_url"`
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
	// TokenRequests are the token endpoint's requests, in order, bounded;
	// TokenRequestCount is exact.
	TokenRequests     []authserver.TokenRequest
	TokenRequestCount int
	// Requests are the requests either stub saw, merged in time order.
	Requests     []HTTPRequest
	RequestCount int
	// MCPRequests are the requests to the MCP endpoint.
	MCPRequests     []mcpserver.MCPRequest
	MCPRequestCount int
	// IssuedTokens are the access tokens the authorization server issued.
	IssuedTokens []string
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

	memo sync.Map
}

// Memo returns the value stored under key, computing it with build the
// first time. Front ends use it to derive their view of the observations
// (such as an evaluation context) once per case rather than once per check.
func (o *Observations) Memo(key any, build func() any) any {
	if v, ok := o.memo.Load(key); ok {
		return v
	}
	v, _ := o.memo.LoadOrStore(key, build())
	return v
}

// HTTPRequest is a request to either stub server.
type HTTPRequest struct {
	Server string
	At     time.Duration
	Method string
	Path   string
	Query  map[string][]string
	Status int
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

// TimelineEntry is one line of what happened in a case.
type TimelineEntry struct {
	At   time.Duration `json:"at_ms"`
	Text string        `json:"text"`
}

// Timeline renders the observations as a short, time-ordered list.
func (o *Observations) Timeline() []TimelineEntry {
	var out []TimelineEntry
	// Both servers record in arrival order, so the k-th request to the
	// token endpoint is the k-th token request, and likewise for the MCP
	// endpoint.
	nextToken, nextMCP := 0, 0
	for _, r := range o.Requests {
		text := fmt.Sprintf("%s %s %s → %d", r.Server, r.Method, r.Path, r.Status)
		switch {
		case r.Server == "auth" && r.Path == "/token" && nextToken < len(o.TokenRequests):
			tr := &o.TokenRequests[nextToken]
			nextToken++
			text = fmt.Sprintf("auth %s /token %s → %d", tr.Method, describeTokenRequest(tr), tr.Response.Status)
			if tr.Response.Error != "" {
				text += " " + tr.Response.Error
			}
		case r.Server == "mcp" && nextMCP < len(o.MCPRequests) && o.MCPRequests[nextMCP].Path == r.Path:
			text = describeMCP(&o.MCPRequests[nextMCP])
			nextMCP++
		}
		out = append(out, TimelineEntry{At: r.At, Text: text})
	}
	if o.RequestCount > len(o.Requests) {
		out = append(out, TimelineEntry{At: -1, Text: fmt.Sprintf("(%d more requests not recorded in full)", o.RequestCount-len(o.Requests))})
	}
	c := o.Client
	switch {
	case !c.Started:
		out = append(out, TimelineEntry{At: 0, Text: "client could not be started: " + c.StartError})
	case c.HungAfterError:
		out = append(out, TimelineEntry{At: c.ExitAt, Text: fmt.Sprintf("client killed: still running %s after the error response (%s)", fmtDur(c.ExitAfterError), c.HungIn)})
	case c.TimedOut:
		out = append(out, TimelineEntry{At: c.ExitAt, Text: "client killed at the case timeout (" + c.HungIn + ")"})
	case c.Interrupted:
		out = append(out, TimelineEntry{At: c.ExitAt, Text: "client killed: run interrupted (" + c.HungIn + ")"})
	case c.Signal != "":
		out = append(out, TimelineEntry{At: c.ExitAt, Text: "client died by signal " + c.Signal})
	default:
		out = append(out, TimelineEntry{At: c.ExitAt, Text: fmt.Sprintf("client exited %d", c.ExitCode)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].At < 0 || out[j].At < 0 {
			return false
		}
		return out[i].At < out[j].At
	})
	return out
}

func describeTokenRequest(tr *authserver.TokenRequest) string {
	var parts []string
	if tr.ContentType != "" && tr.ContentType != "application/x-www-form-urlencoded" {
		parts = append(parts, "("+tr.ContentType+")")
	}
	if gt := first(tr.Form, "grant_type"); gt != "" {
		parts = append(parts, "grant_type="+shortGrant(gt))
	}
	if _, ok := tr.Form["resource"]; !ok && tr.Form != nil {
		parts = append(parts, "no resource")
	}
	if s := first(tr.Form, "scope"); s != "" {
		parts = append(parts, "scope="+s)
	}
	if len(tr.RepeatedKeys) > 0 {
		parts = append(parts, "repeated "+strings.Join(tr.RepeatedKeys, ","))
	}
	return strings.Join(parts, " ")
}

func describeMCP(m *mcpserver.MCPRequest) string {
	what := m.RPCMethod
	if what == "" {
		what = "(no JSON-RPC method)"
	}
	auth := "no token"
	switch {
	case m.HasBearer && m.IssuedToken:
		auth = "issued token"
	case m.HasBearer:
		auth = "unknown token"
	case m.AuthScheme != "":
		auth = m.AuthScheme + " scheme"
	}
	s := fmt.Sprintf("mcp %s %s %s [%s] → %d", m.HTTPMethod, m.Path, what, auth, m.Status)
	if m.QueryToken != "" {
		s += " (token in query)"
	}
	return s
}

func shortGrant(g string) string {
	if g == authserver.GrantJWTBearer {
		return "jwt-bearer"
	}
	return g
}

func first(m map[string][]string, k string) string {
	if v := m[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func fmtDur(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

// mergeRequests joins both servers' request logs in time order.
func mergeRequests(a []authserver.Request, m []mcpserver.Request) []HTTPRequest {
	out := make([]HTTPRequest, 0, len(a)+len(m))
	for _, r := range a {
		out = append(out, HTTPRequest{Server: "auth", At: r.At, Method: r.Method, Path: r.Path, Query: r.Query, Status: r.Status})
	}
	for _, r := range m {
		out = append(out, HTTPRequest{Server: "mcp", At: r.At, Method: r.Method, Path: r.Path, Query: r.Query, Status: r.Status})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}
