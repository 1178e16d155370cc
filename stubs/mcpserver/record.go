package mcpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
)

// maxRecordedBody caps how much of a request body the recorder reads to find
// its JSON-RPC methods; a longer body is recorded without methods. The body
// is handed on whole either way.
const maxRecordedBody = 1 << 20

// recordLog is the bounded, mutex-guarded log behind Requests and MCPRequests.
// It keeps the first max records of each kind and counts all of them.
type recordLog struct {
	mu       sync.Mutex
	max      int
	reqs     []Request
	nReqs    int
	mcpReqs  []MCPRequest
	nMCPReqs int
}

func newRecordLog(max int) *recordLog { return &recordLog{max: max} }

// addRequest counts r and keeps it if there is room, returning its index or -1.
func (l *recordLog) addRequest(r Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nReqs++
	r.Seq = l.nReqs
	if len(l.reqs) >= l.max {
		return -1
	}
	l.reqs = append(l.reqs, r)
	return len(l.reqs) - 1
}

// addMCP numbers and counts m and keeps it if there is room, returning its
// index or -1.
func (l *recordLog) addMCP(m MCPRequest) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nMCPReqs++
	m.Seq = l.nMCPReqs
	if len(l.mcpReqs) >= l.max {
		return -1
	}
	l.mcpReqs = append(l.mcpReqs, m)
	return len(l.mcpReqs) - 1
}

// setStatus stores the response status (and the rule that answered, and
// the error of its WWW-Authenticate challenge) of the records at the given
// indexes.
func (l *recordLog) setStatus(reqIdx, mcpIdx, status int, rule, challengeErr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if reqIdx >= 0 {
		l.reqs[reqIdx].Status = status
		l.reqs[reqIdx].Rule = rule
	}
	if mcpIdx >= 0 {
		l.mcpReqs[mcpIdx].Status = status
		l.mcpReqs[mcpIdx].Error = challengeErr
	}
}

func (l *recordLog) requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.reqs))
	for i, r := range l.reqs {
		out[i] = r.Clone()
	}
	return out
}

func (l *recordLog) mcpRequests() []MCPRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]MCPRequest, len(l.mcpReqs))
	for i, m := range l.mcpReqs {
		out[i] = m.Clone()
	}
	return out
}

func (l *recordLog) requestCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nReqs
}

func (l *recordLog) mcpCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nMCPReqs
}

// record is the outermost middleware. It logs every request on arrival,
// fills in the response status once the handler commits to one, and turns a
// panic into a 500 so that malformed input never stops the server.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqIdx, mcpIdx := -1, -1
		var rw *statusWriter
		rw = &statusWriter{ResponseWriter: w, onStatus: func(code int) {
			s.log.setStatus(reqIdx, mcpIdx, code, rw.rule, challengeError(w.Header().Values("WWW-Authenticate")))
		}}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				if !rw.wrote {
					http.Error(rw, "internal error", http.StatusInternalServerError)
				}
			}
			// A handler that returns without writing gets an implicit 200.
			rw.commit(http.StatusOK)
		}()

		at := s.now()
		query, _ := url.ParseQuery(r.URL.RawQuery) // keep what parses
		reqIdx = s.log.addRequest(Request{
			TokenIssuer: s.issuerOf(r),
			Server:      s.name,
			Endpoint:    s.endpointOf(r.URL.Path),
			At:          at.Sub(s.start),
			Time:        at,
			Method:      r.Method,
			Path:        r.URL.Path,
			Query:       query,
			Scheme:      schemeOf(r),
		})
		if r.URL.Path == s.path {
			// A body that trickles in is cut off; once the recorder has
			// read it whole, the connection has no read deadline again,
			// so an event stream in the response is not cut short.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
			m, whole := s.inspect(r, query)
			if whole {
				_ = rc.SetReadDeadline(time.Time{})
			}
			m.Server, m.At, m.Time = s.name, at.Sub(s.start), at
			mcpIdx = s.log.addMCP(m)
			r = withIncoming(r, &m)
		}
		next.ServeHTTP(rw, r)
	})
}

// issuerOf names the server that issued the request's bearer token, or "";
// a token lookup that panics names none (the handler then answers 500).
func (s *Server) issuerOf(r *http.Request) (issuer string) {
	defer func() { _ = recover() }()
	if _, tok, bearer := parseAuthorization(r.Header.Get("Authorization")); bearer {
		if info, ok := s.lookup(tok); ok {
			return info.Server
		}
	}
	return ""
}

// inspect extracts what an MCPRequest records from the request line and
// headers, and reads (then restores) the body for its JSON-RPC methods. It
// reports whether it read the body to its end.
func (s *Server) inspect(r *http.Request, query url.Values) (MCPRequest, bool) {
	m := MCPRequest{
		HTTPMethod:      r.Method,
		Path:            r.URL.Path,
		ProtocolVersion: r.Header.Get("MCP-Protocol-Version"),
		QueryToken:      query.Get("access_token"),
	}
	var also []string
	if s.cfg.DPoP != nil {
		also = []string{record.SchemeDPoP}
	}
	m.AuthScheme, m.Bearer, m.HasBearer = parseAuthorization(r.Header.Get("Authorization"), also...)
	var info record.IssuedToken
	if m.HasBearer {
		var ok bool
		if info, ok = s.lookup(m.Bearer); ok {
			m.IssuedToken, m.TokenIssuer = true, info.Server
			m.TokenExpired = !info.ExpiresAt.IsZero() && !s.now().Before(info.ExpiresAt)
		}
	}
	if s.cfg.DPoP != nil {
		// RFC 9449 §4.3, §7.1: the proof of this request, for this token.
		if proofs := r.Header.Values(record.HeaderDPoP); len(proofs) > 0 || m.Bearer != "" {
			m.DPoP = dpop.Check(dpop.Request{Proofs: proofs, Method: r.Method, URL: s.URL(), Now: s.now(),
				Resource: true, Token: m.Bearer, TokenJKT: info.JKT})
			s.dpopSeen.Note(&m.DPoP)
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody+1))
		// Hand the handler the bytes already read followed by the rest.
		r.Body = restoredBody{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
		// A body beyond the cap was not seen whole and is left unparsed.
		if err != nil || len(body) > maxRecordedBody {
			return m, false
		}
		m.RPCMethod, m.RPCMethods = rpcMethods(body)
	}
	return m, true
}

// challengeError is the error auth-param of WWW-Authenticate challenges
// (RFC 6750 §3, RFC 9449 §7.1), or "".
func challengeError(challenges []string) string {
	for _, c := range challenges {
		if m := errorParam.FindStringSubmatch(c); m != nil {
			return m[1] + m[2]
		}
	}
	return ""
}

var errorParam = regexp.MustCompile(`(?i)(?:^|[\s,])error\s*=\s*(?:"([^"]*)"|([^\s,"]+))`)

type restoredBody struct {
	io.Reader
	io.Closer
}

// parseAuthorization splits an Authorization header (RFC 9110 §11.6.2) into
// its scheme, as sent, and credentials. bearer reports whether the scheme is
// Bearer, which RFC 9110 §11.1 makes case-insensitive; token is then the
// credentials of RFC 6750 §2.1.
//
// The schemes of also carry an access token as Bearer does: DPoP at a
// server in DPoP mode (RFC 9449 §7.1).
func parseAuthorization(h string, also ...string) (scheme, token string, bearer bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", "", false
	}
	scheme, rest := h, ""
	if i := strings.IndexFunc(h, unicode.IsSpace); i >= 0 {
		scheme, rest = h[:i], strings.TrimSpace(h[i:])
	}
	if !strings.EqualFold(scheme, "Bearer") && !slices.ContainsFunc(also, func(a string) bool { return strings.EqualFold(a, scheme) }) {
		return scheme, "", false
	}
	return scheme, rest, true
}

// rpcMessage is the part of a JSON-RPC 2.0 message (JSON-RPC 2.0 §4, §5) the
// recorder needs: requests and notifications carry a method, responses do
// not.
type rpcMessage struct {
	Method json.RawMessage `json:"method"`
}

// rpcMethods returns the methods of the JSON-RPC requests and notifications in
// body. single is the method of a body holding one request object; it is ""
// for a batch (JSON-RPC 2.0 §6), a response, or anything unparsable. all lists
// the methods of every request in the body, batch members included.
func rpcMethods(body []byte) (single string, all []string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", nil
	}
	if body[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(body, &batch) != nil {
			return "", nil
		}
		for _, raw := range batch {
			if method, ok := messageMethod(raw); ok {
				all = append(all, method)
			}
		}
		return "", all
	}
	method, ok := messageMethod(body)
	if !ok {
		return "", nil
	}
	return method, []string{method}
}

// messageMethod returns the method of one JSON-RPC message if it is a request
// or notification.
func messageMethod(raw json.RawMessage) (string, bool) {
	var msg rpcMessage
	if json.Unmarshal(raw, &msg) != nil || msg.Method == nil {
		return "", false
	}
	var method string
	if json.Unmarshal(msg.Method, &method) != nil {
		return "", false
	}
	return method, true
}

// statusWriter captures the response status for the record. It forwards
// flushing (server-sent events, which the streamable HTTP transport uses,
// must reach the client as they are written) and unwraps for
// http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	onStatus func(int)
	wrote    bool
	rule     string // the scenario rule that answered, if any
}

// commit records code as the status if none has been recorded yet.
func (w *statusWriter) commit(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.onStatus(code)
}

func (w *statusWriter) WriteHeader(code int) {
	// Informational responses (RFC 9110 §15.2) precede the final status.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.commit(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.commit(http.StatusOK)
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data to the client, committing to 200 if no status
// was written.
func (w *statusWriter) Flush() {
	w.commit(http.StatusOK)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
