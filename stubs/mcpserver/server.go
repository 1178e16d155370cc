package mcpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/wifdsl/wifdsl/internal/loopback"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/gate"
)

const (
	// DefaultName is the server's name when Config.Name is empty.
	DefaultName = "mcp"
	// DefaultPath is the MCP endpoint path used when Config.Path is empty.
	DefaultPath = "/mcp"
	// DefaultMaxRecords is the record bound used when Config.MaxRecords is zero.
	DefaultMaxRecords = 1000
	// WellKnownPath is the RFC 9728 §3 well-known URI suffix for protected
	// resource metadata.
	WellKnownPath = "/.well-known/oauth-protected-resource"
	// ServerName is the MCP implementation name the stub reports.
	ServerName = "wifdsl-stub"
	// ToolName is the name of the single tool the stub exposes.
	ToolName = "whoami"
	// ToolText is the text content the whoami tool returns.
	ToolText = "authenticated"

	idleTimeout    = 30 * time.Second
	maxHeaderBytes = 64 << 10
	tokenLifetime  = time.Hour
)

// Variables so that a test can wait for shorter ones.
var (
	readHeaderTimeout = 5 * time.Second
	// bodyReadTimeout bounds reading the body of a request to the MCP
	// endpoint (see record); a server-wide ReadTimeout would also end
	// long-lived event streams.
	bodyReadTimeout = 10 * time.Second
)

// Server is a running stub MCP server on a loopback port. Its methods are
// safe for concurrent use.
type Server struct {
	cfg      Config
	name     string
	path     string // MCP endpoint path
	metaPath string // path-based RFC 9728 metadata path
	base     string // http://127.0.0.1:PORT
	now      func() time.Time
	start    time.Time
	scopes   []string // challenge scopes, RFC 6750 §3
	prmPaths []string // where the protected resource metadata is served
	prm      []byte   // the protected resource metadata document
	prmRoot  []byte   // the document at the root well-known path, whose resource is the origin (RFC 9728 §3.1)
	attempts map[string]int
	dpopSeen dpop.Seen // jti values of verified DPoP proofs

	log  *recordLog
	mcp  *mcp.Server // sharedMCP
	srv  *http.Server
	gate *gate.Gate

	sessionsMu sync.Mutex
	sessions   map[string]bool // the MCP sessions this stub assigned

	handler   http.Handler // the recorded routes, without the gate
	served    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New starts a stub MCP server on 127.0.0.1 with an ephemeral port and serves
// it in a goroutine until Close. The endpoint answers requests without an
// issued bearer token (RFC 6750 §2.1) with 401 and a challenge naming the RFC
// 9728 §5.1 resource_metadata URL.
func New(cfg Config) (*Server, error) {
	path := cfg.Path
	if path == "" {
		path = DefaultPath
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	maxRecords := cfg.MaxRecords
	switch {
	case maxRecords < 0:
		return nil, fmt.Errorf("mcpserver: MaxRecords %d is negative: %w", maxRecords, errInvalidConfig)
	case maxRecords == 0:
		maxRecords = DefaultMaxRecords
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	start := cfg.Start
	if start.IsZero() {
		start = now()
	}

	var err error
	var ln net.Listener
	origin := strings.TrimSuffix(cfg.Origin, "/")
	if origin == "" {
		if ln, origin, err = loopback.Listen(cfg.TLS); err != nil {
			return nil, fmt.Errorf("mcpserver: listen on loopback: %w", err)
		}
	}

	s := &Server{
		cfg:      cfg,
		path:     path,
		name:     cmp.Or(cfg.Name, DefaultName),
		metaPath: metadataPath(path),
		base:     origin,
		now:      now,
		start:    start,
		scopes:   strings.Fields(cfg.ChallengeScope),
		log:      newRecordLog(maxRecords),
		attempts: map[string]int{},
		served:   make(chan struct{}),
	}

	s.prmPaths = prmPaths(path, cfg.PRMAt)
	if s.prm, err = s.buildPRM(s.URL()); err == nil {
		s.prmRoot, err = s.buildPRM(strings.TrimSuffix(s.URL(), path))
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	s.mcp = sharedMCP()
	streamable := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, nil)
	protected := s.guard(streamable)

	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.endpointOf(r.URL.Path) {
		case record.EndpointMCP:
			sw := &sessionNoter{ResponseWriter: w, s: s}
			protected.ServeHTTP(sw, r)
			sw.note()
		case record.EndpointPRM:
			if s.cfg.ResponseRules.Has(record.EndpointPRM) && s.answerByRule(w, record.EndpointPRM, s.ruleIncoming(r, record.EndpointPRM, nil)) {
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == WellKnownPath {
				_, _ = w.Write(s.prmRoot)
				return
			}
			_, _ = w.Write(s.prm)
		default:
			http.NotFound(w, r)
		}
	})

	s.gate = &gate.Gate{Admit: cfg.Admit}
	s.handler = s.record(route)
	if ln == nil {
		// Served by the server whose origin it shares (see Handler).
		close(s.served)
		return s, nil
	}
	s.srv = &http.Server{
		Handler:           s.gated(s.record(route)),
		ConnContext:       s.gate.ConnContext,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

var errInvalidConfig = errors.New("invalid config")

// checkPath reports whether p can be the path component of the resource URI
// (RFC 8707 §2: an absolute URI without a fragment; the stub also forbids a
// query so that the path-based metadata URL of RFC 9728 §3.1 is well defined).
func checkPath(p string) error {
	u, err := url.Parse(p)
	if err != nil {
		return fmt.Errorf("mcpserver: Path %q: %w", p, err)
	}
	if !strings.HasPrefix(p, "/") || u.Path != p || u.RawQuery != "" || u.Fragment != "" || u.Host != "" {
		return fmt.Errorf("mcpserver: Path %q must be an absolute path without query or fragment: %w", p, errInvalidConfig)
	}
	return nil
}

// metadataPath is the path at which RFC 9728 §3.1 places the metadata of a
// resource whose URI has path p: the well-known suffix goes between host and
// path, and a path of "/" alone is dropped.
func metadataPath(p string) string {
	if p == "/" {
		return WellKnownPath
	}
	return WellKnownPath + p
}

// BaseURL is the scheme and authority of the server, "http://127.0.0.1:PORT"
// (https:// with Config.TLS).
func (s *Server) BaseURL() string { return s.base }

// URL is the MCP endpoint. It is also the canonical resource URI (RFC 8707
// §2) advertised as resource in the protected resource metadata (RFC 9728
// §2), which a client must send as the resource parameter of its token
// request.
func (s *Server) URL() string { return s.base + s.path }

// MetadataURL is the first URL the protected resource metadata is served
// at ("" for none): by default the path-based URL that RFC 9728
// §3.1 derives from URL; it is the resource_metadata value of the
// WWW-Authenticate challenge (RFC 9728 §5.1).
func (s *Server) MetadataURL() string {
	if len(s.prmPaths) == 0 {
		return ""
	}
	return s.base + s.prmPaths[0]
}

// MCPRequests returns copies of the recorded requests to the MCP endpoint in
// arrival order. Only the first MaxRecords are kept; see MCPRequestCount.
func (s *Server) MCPRequests() []MCPRequest { return s.log.mcpRequests() }

// MCPRequestCount is the exact number of requests the MCP endpoint received,
// including those beyond MaxRecords.
func (s *Server) MCPRequestCount() int { return s.log.mcpCount() }

// Requests returns copies of the recorded HTTP requests on any path in
// arrival order. Only the first MaxRecords are kept; see RequestCount.
func (s *Server) Requests() []Request { return s.log.requests() }

// RequestCount is the exact number of HTTP requests the server received.
func (s *Server) RequestCount() int { return s.log.requestCount() }

// ForeignRequestCount returns the number of requests refused because
// Config.Admit refused their connection; they are in no other record.
func (s *Server) ForeignRequestCount() int { return s.gate.Refused() }

// gated answers a request on a refused connection before anything records it.
func (s *Server) gated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.gate.Refuse(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Close stops the server at once: it closes the listener, every connection
// (open SSE streams included) and every MCP session. It is idempotent; later
// calls return the result of the first.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var err error
		if s.srv != nil {
			err = s.srv.Close()
		}
		for ss := range s.mcp.Sessions() {
			if s.owns(ss.ID()) {
				_ = ss.Close()
			}
		}
		<-s.served
		if err != nil {
			s.closeErr = fmt.Errorf("mcpserver: close: %w", err)
		}
	})
	return s.closeErr
}

// verify is the auth.TokenVerifier of the MCP endpoint. A token is valid iff
// Config.ValidToken accepts it; otherwise the middleware answers 401 with the
// RFC 6750 §3 challenge. The granted scopes are the challenge scopes so that
// an issued token never draws the §3.1 insufficient_scope 403. The expiration
// is measured on the real clock because the middleware compares it with
// time.Now.
func (s *Server) verify(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if !s.issued(token) {
		return nil, fmt.Errorf("mcpserver: bearer token was not issued by the authorization server: %w", auth.ErrInvalidToken)
	}
	return &auth.TokenInfo{
		Scopes:     slices.Clone(s.scopes),
		Expiration: time.Now().Add(tokenLifetime),
	}, nil
}

// issued reports whether token is one the authorization server issued.
func (s *Server) issued(token string) bool {
	return token != "" && s.cfg.ValidToken != nil && s.cfg.ValidToken(token)
}

// whoami is the handler of the whoami tool. It is reached only with an
// issued token, so it always reports success.
// sharedMCP is the MCP server (of the go-sdk) behind every stub MCP
// server of the process: its tools are the same for all, and a run starts
// a stub per case, where building one (its tools' schemas are derived,
// checked and re-encoded) cost more than the rest of starting the stub.
// Each stub keeps its own Streamable HTTP handler, so its own sessions,
// and closes them, and only them, when it closes.
var sharedMCP = sync.OnceValue(func() *mcp.Server {
	m := mcp.NewServer(&mcp.Implementation{Name: ServerName, Version: "1.0.0"}, nil)
	mcp.AddTool(m, &mcp.Tool{
		Name:        ToolName,
		Description: "Reports that the request carried an access token the authorization server issued.",
	}, whoami)
	mcp.AddTool(m, &mcp.Tool{
		Name:        TestToolName,
		Description: "The tool the official conformance clients call; it answers " + TestToolText + ".",
	}, testTool)
	return m
})

// sessionIDHeader carries the MCP session ID the server assigned
// (Streamable HTTP, "Session Management").
const sessionIDHeader = "Mcp-Session-Id"

// sessionNoter notes the session ID a response assigns before the
// response's header leaves: a client that has the ID finds it owned.
type sessionNoter struct {
	http.ResponseWriter
	s     *Server
	noted bool
}

func (w *sessionNoter) note() {
	if !w.noted {
		w.noted = true
		w.s.ownSession(w.Header().Get(sessionIDHeader))
	}
}

func (w *sessionNoter) WriteHeader(code int) {
	w.note()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionNoter) Write(b []byte) (int, error) {
	w.note()
	return w.ResponseWriter.Write(b)
}

// Flush sends what is buffered, as the streaming responses need.
func (w *sessionNoter) Flush() {
	w.note()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *sessionNoter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ownSession notes that the session id (if any) was assigned by this stub.
func (s *Server) ownSession(id string) {
	if id == "" {
		return
	}
	s.sessionsMu.Lock()
	defer s.sessionsMu.Unlock()
	if s.sessions == nil {
		s.sessions = map[string]bool{}
	}
	s.sessions[id] = true
}

// owns reports whether the session id was assigned by this stub.
func (s *Server) owns(id string) bool {
	s.sessionsMu.Lock()
	defer s.sessionsMu.Unlock()
	return s.sessions[id]
}

func whoami(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: ToolText}}}, nil, nil
}

// URLs are the URLs of a server at base configured by c, by the names the
// scenario language exposes them under.
func URLs(base string, c Config) map[string]string {
	path := cmp.Or(c.Path, DefaultPath)
	meta := ""
	if ps := prmPaths(path, c.PRMAt); len(ps) > 0 {
		meta = base + ps[0]
	}
	return map[string]string{
		"url":          base + path,
		"origin":       base,
		"resource":     base + path,
		"metadata_url": meta,
	}
}

// Handler is the server's handler for a server that shares its origin
// (Config.Origin): it answers, and records, the requests to Paths. The
// sharing server's connection gate applies.
func (s *Server) Handler() http.Handler { return s.handler }

// Paths are the paths the server answers on its origin: the MCP endpoint
// and the protected resource metadata.
func (s *Server) Paths() []string { return append([]string{s.path}, s.prmPaths...) }
