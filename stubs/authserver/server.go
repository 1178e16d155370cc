package authserver

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/internal/loopback"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/gate"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

// Defaults for zero [Config] fields.
const (
	DefaultName        = "auth"
	DefaultLeeway      = 30 * time.Second
	DefaultTokenTTL    = time.Hour
	DefaultTokenPrefix = "wif-at"
	DefaultMaxRecords  = 1000
	DefaultMaxBody     = 1 << 20
)

// HTTP server limits. They bound how long a slow or stuck client can hold a
// connection and how large its headers can be.
var (
	// Variables so that a test can wait for shorter ones.
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
)

const (
	writeTimeout   = 10 * time.Second
	idleTimeout    = 30 * time.Second
	maxHeaderBytes = 64 << 10
)

// Paths served, relative to the issuer URL.
const (
	PathMetadata     = "/.well-known/oauth-authorization-server" // RFC 8414 §3
	PathOIDCMetadata = "/.well-known/openid-configuration"       // OpenID Connect Discovery 1.0 §4
	PathJWKS         = "/jwks"
	PathToken        = "/token"
	PathAuthorize    = "/authorize"
	PathRegister     = "/register"
)

// Server is a running stub authorization server. Its methods are safe for
// concurrent use, including while requests are being served.
type Server struct {
	cfg        Config
	name       string
	grants     []string
	leeway     time.Duration
	ttl        time.Duration
	prefix     string
	maxRecords int
	maxBody    int64
	now        func() time.Time
	start      time.Time
	url        string // the issuer: origin + IssuerPath
	origin     string
	path       string // IssuerPath
	metaPaths  map[string]bool
	metadata   []byte

	ln        net.Listener
	plain     plainListener
	srv       *http.Server
	gate      *gate.Gate
	done      chan struct{}
	serveErr  error
	closeOnce sync.Once
	closeErr  error

	mu         sync.Mutex
	reqSeq     int
	requests   []Request
	tokenSeq   int
	tokenReqs  []TokenRequest
	seen       map[string]bool // jti values already used or declared seen
	pending    map[string]bool // jti values of token requests being decided
	issued     map[string]*record.IssuedToken
	issuedList []string // access tokens, in issue order
	endpointN  map[string]int
	mounts     map[string]http.Handler // paths served by another server on this origin
	codes      map[string]*authCode    // authorization codes issued
	registered []Client                // clients registered at the registration endpoint
	dpopSeen   dpop.Seen               // jti values of verified DPoP proofs
}

// New starts a stub authorization server on 127.0.0.1 at an ephemeral port,
// serving in its own goroutine until [Server.Close]. The Config is copied;
// changing it afterwards has no effect.
func New(cfg Config) (*Server, error) {
	b := cfg.Behaviour()
	s := &Server{
		cfg:        cfg,
		name:       b.Name,
		grants:     b.GrantTypesSupported,
		leeway:     b.Leeway,
		ttl:        b.TokenTTL,
		prefix:     cfg.TokenPrefix,
		maxRecords: cfg.MaxRecords,
		maxBody:    cfg.MaxBody,
		now:        cfg.Now,
		seen:       make(map[string]bool),
		pending:    make(map[string]bool),
		issued:     make(map[string]*record.IssuedToken),
		endpointN:  make(map[string]int),
		done:       make(chan struct{}),
	}
	s.cfg.ScopesSupported = b.ScopesSupported
	s.cfg.Rules = slices.Clone(cfg.Rules)
	s.cfg.SeenJTIs = nil
	if s.prefix == "" {
		s.prefix = DefaultTokenPrefix
	}
	if s.maxRecords <= 0 {
		s.maxRecords = DefaultMaxRecords
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.start = cfg.Start
	if s.start.IsZero() {
		s.start = s.now()
	}
	for _, jti := range cfg.SeenJTIs {
		s.seen[jti] = true
	}

	ln, url, err := loopback.Listen(cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("authserver: listen on 127.0.0.1: %w", err)
	}
	s.ln = ln
	s.origin = url
	s.path = strings.TrimSuffix(cfg.IssuerPath, "/")
	s.url = s.origin + s.path
	s.metaPaths = map[string]bool{}
	for _, p := range MetadataPaths(s.path, cfg.MetadataAt) {
		s.metaPaths[p] = true
	}
	if err := s.listenPlain(); err != nil {
		ln.Close()
		return nil, err
	}
	if s.metadata, err = s.buildMetadata(); err != nil {
		ln.Close()
		s.closePlainListener()
		return nil, err
	}

	s.gate = &gate.Gate{Admit: cfg.Admit}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ConnContext:       s.gate.ConnContext,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	s.servePlain()
	return s, nil
}

// URL returns the issuer identifier (RFC 8414 §2), "http://127.0.0.1:PORT",
// without a trailing slash.
func (s *Server) URL() string { return s.url }

// Mount makes the server hand the requests to paths to h: another server
// (an MCP server) that shares its origin. The server's own endpoints keep
// their paths; a mounted path takes precedence.
func (s *Server) Mount(paths []string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mounts == nil {
		s.mounts = map[string]http.Handler{}
	}
	for _, p := range paths {
		s.mounts[p] = h
	}
}

func (s *Server) mounted(path string) http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mounts[path]
}

// SetMetadataFields replaces Config.MetadataFields: fields merged into the
// metadata document last (nil removes one). It lets fields name the
// server's own URLs, which are known only once it listens.
func (s *Server) SetMetadataFields(fields map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.MetadataFields = fields
	doc, err := s.buildMetadata()
	if err != nil {
		return err
	}
	s.metadata = doc
	return nil
}

// Origin returns the scheme, host and port the server listens on.
func (s *Server) Origin() string { return s.origin }

// TokenEndpoint returns the URL of the token endpoint (RFC 6749 §3.2).
func (s *Server) TokenEndpoint() string { return s.url + PathToken }

// MetadataURL returns the URL of the first location the metadata is
// served at, or "" when it is served nowhere.
func (s *Server) MetadataURL() string {
	if ps := MetadataPaths(s.path, s.cfg.MetadataAt); len(ps) > 0 {
		return s.origin + ps[0]
	}
	return ""
}

// JWKSURL returns the URL of the JWK Set advertised as jwks_uri.
func (s *Server) JWKSURL() string { return s.url + PathJWKS }

// Close stops the server: it closes the listener and every open connection
// at once, without waiting for requests in progress. It is idempotent; later
// calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		<-s.done
		s.waitPlain()
		s.closeErr = errors.Join(err, s.serveErr)
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("authserver: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// MarkSeen declares jti values (RFC 7519 §4.1.7) already used, so an
// assertion carrying one of them is rejected as a replay (RFC 7523 §3
// item 7).
func (s *Server) MarkSeen(jtis ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, jti := range jtis {
		s.seen[jti] = true
	}
}

// IsIssued reports whether token is an access token this server issued.
func (s *Server) IsIssued(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.issued[token]
	return t != nil && !t.Refresh
}

// Lookup returns what the server issued token as, if it did.
func (s *Server) Lookup(token string) (record.IssuedToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.issued[token]
	if t == nil {
		return record.IssuedToken{}, false
	}
	return *t, true
}

// IssuedTokens returns the access tokens issued so far, in issue order.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issuedList)
}

// Issued returns every token issued so far (access and refresh), in issue
// order.
func (s *Server) Issued() []record.IssuedToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]record.IssuedToken, 0, len(s.issued))
	for _, t := range s.issued {
		out = append(out, *t)
	}
	slices.SortStableFunc(out, func(a, b record.IssuedToken) int { return a.IssuedAt.Compare(b.IssuedAt) })
	return out
}

// TokenRequests returns deep copies of the recorded token requests in
// arrival order: the first MaxRecords to arrive.
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	out := make([]TokenRequest, len(s.tokenReqs))
	for i := range s.tokenReqs {
		out[i] = s.tokenReqs[i].Clone()
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b TokenRequest) int { return a.Seq - b.Seq })
	return out
}

// TokenRequestCount returns the exact number of token requests received,
// including those past MaxRecords.
func (s *Server) TokenRequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenSeq
}

// Requests returns copies of the recorded HTTP requests to any path in
// arrival order: the first MaxRecords to arrive.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	out := make([]Request, len(s.requests))
	for i := range s.requests {
		out[i] = s.requests[i]
		out[i].Query = cloneValues(s.requests[i].Query)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Request) int { return a.Seq - b.Seq })
	return out
}

// ForeignRequestCount returns the number of requests refused because
// Config.Admit refused their connection; they are in no other record.
func (s *Server) ForeignRequestCount() int { return s.gate.Refused() }

// RequestCount returns the exact number of HTTP requests received,
// including those past MaxRecords.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqSeq
}

// reply is a response decided but not yet written, so that it is recorded
// before the client can see it.
type reply struct {
	status      int
	contentType string
	body        []byte
	noStore     bool
	allow       string            // Allow header for 405
	errorCode   string            // OAuth error code of a token endpoint error, for OnError
	headers     map[string]string // set last
	rule        string            // the scenario rule that answered, if any
}

// oauthError is the OAuth error code the reply carries: in its JSON body
// or in the query of its redirect.
func (rep reply) oauthError() string {
	if loc := rep.headers["Location"]; loc != "" {
		if u, err := url.Parse(loc); err == nil && u.Query().Get("error") != "" {
			return u.Query().Get("error")
		}
	}
	if rep.status < 400 || !strings.Contains(rep.contentType, "json") {
		return ""
	}
	var d struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(rep.body, &d)
	return d.Error
}

// fromRule turns a rule's reply into a reply.
func fromRule(name string, r rules.Reply) reply {
	r = r.Effective()
	ct, body := r.Encode()
	rep := reply{status: r.Status, contentType: ct, body: body, headers: r.Headers, rule: name, noStore: r.Error != ""}
	if r.Status >= 400 {
		rep.errorCode = cmp.Or(r.Error, "http_"+strconv.Itoa(r.Status))
	}
	return rep
}

// endpointOf names the endpoint a path is routed to, or "".
func (s *Server) endpointOf(path string) string {
	if s.metaPaths[path] {
		return record.EndpointMetadata
	}
	rel, ok := strings.CutPrefix(path, s.path)
	if !ok {
		return ""
	}
	switch rel {
	case PathJWKS:
		return record.EndpointJWKS
	case PathToken:
		return record.EndpointToken
	case PathAuthorize:
		return record.EndpointAuthorize
	case PathRegister:
		return record.EndpointRegister
	}
	return ""
}

// serveHTTP routes a request, records it, then writes the reply. A panic
// anywhere in the route becomes a 500 server_error.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.gate.Refuse(w, r) {
		return
	}
	if h := s.mounted(r.URL.Path); h != nil {
		h.ServeHTTP(w, r) // another server on this origin records it
		return
	}
	arrival := s.now()
	endpoint := s.endpointOf(r.URL.Path)
	s.mu.Lock()
	s.reqSeq++
	seq := s.reqSeq
	s.endpointN[endpoint]++
	attempt := s.endpointN[endpoint]
	s.mu.Unlock()

	var body []byte
	if endpoint != record.EndpointToken && endpoint != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		var truncated bool
		var err error
		if body, truncated, err = readBody(r.Body, s.maxBody); err != nil || truncated {
			body = nil
		}
	}
	rep := s.route(r, endpoint, attempt, arrival, body)

	if seq <= s.maxRecords {
		rec := Request{
			Server:   s.name,
			Endpoint: endpoint,
			Seq:      seq,
			At:       arrival.Sub(s.start),
			Time:     arrival,
			Method:   r.Method,
			Path:     r.URL.Path,
			Query:    queryOf(r),
			Status:   rep.status,
			Rule:     rep.rule,
			Scheme:   schemeOf(r),
			Body:     record.CapBody(body),
			Location: rep.headers["Location"],
			Error:    rep.oauthError(),
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}

	if rep.errorCode != "" && s.cfg.OnError != nil {
		s.callOnError(rep.errorCode)
	}

	h := w.Header()
	if rep.contentType != "" {
		h.Set("Content-Type", rep.contentType)
	}
	if rep.noStore {
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
	}
	if rep.allow != "" {
		h.Set("Allow", rep.allow)
	}
	for k, v := range rep.headers {
		h.Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (s *Server) callOnError(code string) {
	defer func() { _ = recover() }()
	s.cfg.OnError(s.now(), code)
}

// incoming is the view of a request that scenario rules of endpoints other
// than the token endpoint see.
func (s *Server) incoming(r *http.Request, endpoint string, attempt int, arrival time.Time, body []byte) *record.Incoming {
	in := &record.Incoming{
		Request: Request{Server: s.name, Endpoint: endpoint, At: arrival.Sub(s.start), Time: arrival,
			Method: r.Method, Path: r.URL.Path, Query: queryOf(r)},
		Header:   r.Header.Clone(),
		Body:     string(body),
		Attempt:  attempt,
		Previous: s.Requests(),
	}
	if mediaType(r.Header.Get("Content-Type")) == formType {
		if f, err := url.ParseQuery(string(body)); err == nil {
			in.Form = f
		}
	}
	return in
}

// ruleReply asks the scenario rules of endpoint for an answer to in: a
// reply when one matched or failed, nil to go on with the built-in
// behaviour.
func (s *Server) ruleReply(endpoint string, in *record.Incoming) *reply {
	a := s.cfg.ResponseRules.Find(endpoint, in)
	if a == nil {
		return nil
	}
	rep := fromRule(a.Rule, a.Reply)
	if a.Err != nil {
		rep.errorCode = "" // the scenario's fault: no fail-fast budget starts
	}
	return &rep
}

func (s *Server) route(r *http.Request, endpoint string, attempt int, arrival time.Time, body []byte) (rep reply) {
	defer func() {
		if p := recover(); p != nil {
			rep = errorReply(http.StatusInternalServerError, "server_error", fmt.Sprintf("internal error: %v", p))
		}
	}()
	if endpoint == record.EndpointToken {
		return s.handleToken(r, attempt, arrival)
	}
	if endpoint != "" && s.cfg.ResponseRules.Has(endpoint) {
		if rep := s.ruleReply(endpoint, s.incoming(r, endpoint, attempt, arrival, body)); rep != nil {
			return *rep
		}
	}
	switch endpoint {
	case record.EndpointMetadata:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed("GET, HEAD")
		}
		s.mu.Lock()
		doc := s.metadata
		s.mu.Unlock()
		return reply{status: http.StatusOK, contentType: "application/json", body: doc}
	case record.EndpointJWKS:
		return s.handleJWKS(r)
	case record.EndpointAuthorize:
		return s.handleAuthorize(r, body)
	case record.EndpointRegister:
		return s.handleRegister(r, body)
	default:
		return notFound()
	}
}

func (s *Server) handleJWKS(r *http.Request) reply {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed("GET, HEAD")
	}
	src, ok := s.cfg.Keys.(interface{ JWKS() ([]byte, error) })
	if !ok {
		return notFound()
	}
	body, err := src.JWKS()
	if err != nil {
		return errorReply(http.StatusInternalServerError, "server_error", "JWKS unavailable: "+err.Error())
	}
	return reply{status: http.StatusOK, contentType: "application/json", body: body}
}

func notFound() reply {
	return reply{status: http.StatusNotFound, contentType: "application/json", body: []byte(`{"error":"not_found"}`)}
}

func methodNotAllowed(allow string) reply {
	rep := errorReply(http.StatusMethodNotAllowed, "invalid_request", "method not allowed; use "+allow)
	rep.allow = allow
	return rep
}

// errorReply builds an RFC 6749 §5.2 error response body.
func errorReply(status int, code, description string) reply {
	body, _ := json.Marshal(struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description,omitempty"`
	}{code, sanitizeDescription(description)})
	return reply{status: status, contentType: "application/json", body: body, noStore: true}
}

// sanitizeDescription maps description onto the character set RFC 6749
// §5.2 allows in error_description: %x20-21 / %x23-5B / %x5D-7E.
func sanitizeDescription(description string) string {
	b := []byte(description)
	out := b[:0]
	for _, c := range b {
		switch {
		case c == '"':
			out = append(out, '\'')
		case c == '\\':
			out = append(out, '/')
		case c == '\n' || c == '\r' || c == '\t':
			out = append(out, ' ')
		case c < 0x20 || c > 0x7e:
			// Bytes of a multi-byte character collapse into one '?'.
			if c < 0x80 || c >= 0xc0 {
				out = append(out, '?')
			}
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

func queryOf(r *http.Request) map[string][]string {
	return r.URL.Query()
}
