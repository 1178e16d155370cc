package refclient

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// overallTimeout bounds a whole run of Main.
const overallTimeout = 20 * time.Second

// Environment variables of the client contract of the MCP conformance
// harness that the client reads. The scenario picks the flow (see
// isFlowScenario); every other scenario gets the JWT-bearer grant.
const (
	envScenario        = "MCP_CONFORMANCE_SCENARIO"
	envProtocolVersion = "MCP_CONFORMANCE_PROTOCOL_VERSION"
	envContext         = "MCP_CONFORMANCE_CONTEXT"
)

// conformanceContext is the JSON of MCP_CONFORMANCE_CONTEXT.
type conformanceContext struct {
	Name             string `json:"name"`
	ClientID         string `json:"client_id"`
	ValidJWT         string `json:"valid_jwt"`
	WrongAudienceJWT string `json:"wrong_audience_jwt"`
	ExpiredJWT       string `json:"expired_jwt"`
	// JWTFile names a file holding the workload JWT (wifdsl's jwt_file
	// cases); it takes precedence over valid_jwt.
	JWTFile string `json:"jwt_file"`
}

// Main runs the reference WIF client with args (the command line without the
// program name) and the MCP_CONFORMANCE_* environment, and returns the exit
// status: 0 after a successful authorized MCP exchange, 1 on failure, 2 on a
// usage error. It never calls os.Exit.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wifclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bugName := fs.String("bug", "", "break behaviour on purpose with a named variant; one of: "+bugList())
	variantJSON := fs.String("variant", "", "break behaviour on purpose as the JSON `VARIANT` describes (the fields of a scenario file's variant block); also read from "+EnvVariant)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wifclient [-bug NAME | -variant JSON] <mcp-server-url>\n\n"+
			"Connects to the MCP server with the RFC 7523 JWT-bearer grant, using valid_jwt of\n"+
			"%s as the assertion; %s is offered when set.\n\n", envContext, envProtocolVersion)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nNamed variants (-bug):\n")
		for _, n := range Bugs() {
			d, _ := DescribeBug(n)
			fmt.Fprintf(stderr, "  %-20s %s\n", n, d)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var v Variant
	switch raw := cmpOr(*variantJSON, os.Getenv(EnvVariant)); {
	case *bugName != "" && raw != "":
		fmt.Fprintln(stderr, "wifclient: give -bug or a variant, not both")
		return 2
	case *bugName != "":
		named, ok := NamedVariant(*bugName)
		if !ok {
			fmt.Fprintf(stderr, "wifclient: unknown bug %q; valid names: %s\n", *bugName, bugList())
			return 2
		}
		v = named
	case raw != "":
		parsed, err := ParseVariant(raw)
		if err != nil {
			fmt.Fprintf(stderr, "wifclient: %v\n", err)
			return 2
		}
		v = parsed
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "wifclient: want exactly one argument, the MCP server URL")
		fs.Usage()
		return 2
	}
	serverURL := fs.Arg(0)
	if u, err := url.Parse(serverURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "wifclient: %q is not an http(s) URL\n", serverURL)
		return 2
	}
	// The official catalogue's flows: the authorization code flow, and the
	// machine-to-machine flows told apart by scenario name.
	scenario := os.Getenv(envScenario)
	var start func(ctx context.Context, r *run) int
	switch {
	case isAuthCodeRun(scenario, os.Getenv(envContext)):
		var ac authCodeContext
		_ = json.Unmarshal([]byte(os.Getenv(envContext)), &ac)
		start = func(ctx context.Context, r *run) int { return r.authCode(ctx, ac) }
	case isFlowScenario(scenario):
		var fc flowContext
		if err := json.Unmarshal([]byte(os.Getenv(envContext)), &fc); err != nil {
			fmt.Fprintf(stderr, "wifclient: %s is not a JSON object: %v\n", envContext, err)
			return 2
		}
		start = func(ctx context.Context, r *run) int { return r.flow(ctx, scenario, fc) }
	}
	if start != nil {
		roots, err := trustedRoots()
		if err != nil {
			fmt.Fprintf(stderr, "wifclient: %v\n", err)
			return 1
		}
		r := &run{v: v, url: serverURL, roots: roots, stdout: stdout, stderr: stderr}
		if pv := os.Getenv(envProtocolVersion); slices.Contains(mcp.SupportedProtocolVersions(), pv) {
			r.protocolVersion = pv
		}
		if r.v.Hang == "start" {
			blockForever()
		}
		ctx, cancel := context.WithTimeout(context.Background(), overallTimeout)
		defer cancel()
		return start(ctx, r)
	}
	cc, err := loadContext(os.Getenv(envContext))
	if err != nil {
		fmt.Fprintf(stderr, "wifclient: %v\n", err)
		return 2
	}
	roots, err := trustedRoots()
	if err != nil {
		fmt.Fprintf(stderr, "wifclient: %v\nhint: a CA file named by %s cannot be used\n", err, strings.Join(caFileEnv, ", "))
		return 1
	}
	r := &run{
		v:      v,
		url:    serverURL,
		cc:     cc,
		roots:  roots,
		stdout: stdout,
		stderr: stderr,
	}
	r.addSecret(cc.ValidJWT, cc.WrongAudienceJWT, cc.ExpiredJWT)
	if pv := os.Getenv(envProtocolVersion); pv != "" {
		if slices.Contains(mcp.SupportedProtocolVersions(), pv) {
			r.protocolVersion = pv
		} else {
			fmt.Fprintf(stderr, "wifclient: note: protocol version %q is not supported by the go-sdk; using its default\n", pv)
		}
	}
	return r.main()
}

// loadContext decodes MCP_CONFORMANCE_CONTEXT. Its error never quotes the
// value, which holds JWTs.
func loadContext(raw string) (conformanceContext, error) {
	var cc conformanceContext
	if strings.TrimSpace(raw) == "" {
		return cc, fmt.Errorf("refclient: %s is not set", envContext)
	}
	if err := json.Unmarshal([]byte(raw), &cc); err != nil {
		return cc, fmt.Errorf("refclient: %s is not a JSON object: %w", envContext, err)
	}
	if cc.JWTFile == "" {
		cc.JWTFile = os.Getenv(envJWTFile)
	}
	if cc.ValidJWT == "" && cc.JWTFile == "" {
		return cc, fmt.Errorf("refclient: %s has no valid_jwt (and no jwt_file)", envContext)
	}
	return cc, nil
}

// run is one invocation of the client.
type run struct {
	v               Variant
	url             string
	cc              conformanceContext
	protocolVersion string
	roots           *x509.CertPool // trusted roots; nil means the system's
	stdout, stderr  io.Writer
	secrets         []string // scrubbed from every line printed
	// dpop is set once an authorization server advertises DPoP (see
	// dpop.go); the authorization code flow and the MCP session share it.
	dpop     atomic.Pointer[dpopState]
	dpopOnce sync.Once
}

func (r *run) addSecret(ss ...string) {
	for _, s := range ss {
		if s != "" && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
}

// redact replaces every secret in s.
func (r *run) redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// clean redacts s and then makes it one bounded line; redacting first means
// truncation can never leave part of a secret behind.
func (r *run) clean(s string) string {
	return sanitize(r.redact(s))
}

func (r *run) println(w io.Writer, s string) {
	fmt.Fprintln(w, r.redact(s))
}

func (r *run) main() int {
	for _, line := range r.v.Print {
		fmt.Fprintln(r.stdout, line)
	}
	if r.v.Hang == "start" {
		blockForever()
	}
	switch r.v.Hostile {
	case "flood":
		flood(r.stdout)
	case "fork":
		if err := startOrphan(r.stdout, r.stderr); err != nil {
			r.println(r.stderr, "wifclient: fork: "+err.Error())
		}
	}

	if r.v.QuitAtStart {
		r.println(r.stderr, "wifclient: giving up before any request")
		return r.exit(1)
	}

	ctx, cancel := context.WithTimeout(context.Background(), overallTimeout)
	defer cancel()

	assertion, file := r.cc.ValidJWT, r.cc.JWTFile
	if r.v.AssertionFrom != "" {
		a := map[string]string{
			"valid_jwt":          r.cc.ValidJWT,
			"expired_jwt":        r.cc.ExpiredJWT,
			"wrong_audience_jwt": r.cc.WrongAudienceJWT,
		}[r.v.AssertionFrom]
		if a == "" {
			return r.fail(ctx, fmt.Errorf("refclient: %s has no %s", envContext, r.v.AssertionFrom), nil)
		}
		assertion, file = a, ""
	}
	if file != "" && (r.v.SelfSignedAssertion || r.v.StaleJWTFile) {
		// These variants read the file once and keep that copy.
		read := readJWTFile
		if r.v.StaleJWTFile {
			read = func(path string) (string, error) { return staleJWTFile(ctx, path) }
		}
		a, err := read(file)
		if err != nil {
			return r.fail(ctx, err, nil)
		}
		assertion, file = a, ""
		r.addSecret(a)
	}
	if r.v.SelfSignedAssertion {
		a, err := selfSignedAssertion(assertion)
		if err != nil {
			return r.fail(ctx, err, nil)
		}
		assertion = a
		r.addSecret(a)
	}
	h, err := NewJWTBearerHandler(JWTBearerConfig{
		Assertion:     assertion,
		AssertionFile: file,
		HTTPClient:    &http.Client{Transport: r.newHTTPTransport()},
	})
	if err != nil {
		return r.fail(ctx, err, nil)
	}
	h.variant = r.v
	h.clientID = r.cc.ClientID

	line, err := r.session(ctx, h, "the JWT-bearer grant")
	tok := issuedToken(h)
	r.addSecret(tok)
	if file != "" {
		assertion = h.lastParams().assertion // what was read from the file
		r.addSecret(assertion)
	}
	if r.v.PrintSecrets && assertion != "" {
		fmt.Fprintf(r.stdout, "wifclient: debug: assertion=%s\n", assertion)
		if tok != "" {
			fmt.Fprintf(r.stdout, "wifclient: debug: access_token=%s\n", tok)
		}
	}
	if err != nil {
		return r.fail(ctx, err, h)
	}
	r.println(r.stdout, line)
	if r.v.Hang == "after_success" {
		blockForever()
	}
	return r.exit(0)
}

// exit is the status a run that ends by itself returns: code, or the
// variant's exit code.
func (r *run) exit(code int) int {
	if r.v.ExitCode != nil {
		return *r.v.ExitCode
	}
	return code
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newHTTPTransport returns a fresh transport, so runs share no connections,
// that trusts the run's roots.
func (r *run) newHTTPTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsConfig(r.roots)
	return t
}

// issuedToken returns the access token h obtained, or "".
func issuedToken(h *JWTBearerHandler) string {
	ts, err := h.TokenSource(context.Background())
	if err != nil || ts == nil {
		return ""
	}
	t, err := ts.Token()
	if err != nil || t == nil {
		return ""
	}
	return t.AccessToken
}

// session connects to the MCP server through h, lists the tools, calls
// whoami when the server has it and closes the session. It returns the
// success line.
func (r *run) session(ctx context.Context, h auth.OAuthHandler, grant string) (string, error) {
	// DPoP goes last, next to the network, so that it sends whatever token
	// the variants before it chose.
	var rt http.RoundTripper = dpopResource{base: r.newHTTPTransport(), r: r}
	if r.v.TokenInQuery {
		rt = tokenInQuery{base: rt}
	}
	if r.v.AuthScheme != "" {
		rt = nonBearerScheme{base: rt, scheme: r.v.AuthScheme}
	}
	if len(r.v.OmitHeaders) > 0 {
		rt = omitHeaders{base: rt, names: r.v.OmitHeaders}
	}
	if r.v.ForgedToken {
		rt = forgedBearer{base: rt}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "wifdsl-refclient", Version: "1.0.0"},
		&mcp.ClientOptions{Capabilities: &mcp.ClientCapabilities{}})
	transport := &mcp.StreamableClientTransport{
		Endpoint:             r.url,
		HTTPClient:           &http.Client{Transport: rt},
		OAuthHandler:         h,
		DisableStandaloneSSE: true,
	}
	var opts *mcp.ClientSessionOptions
	if r.protocolVersion != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: r.protocolVersion}
	}
	cs, err := client.Connect(ctx, transport, opts)
	if err != nil {
		return "", fmt.Errorf("refclient: connecting to %s: %w", r.url, err)
	}
	defer cs.Close()
	if jh, ok := h.(*JWTBearerHandler); ok {
		r.addSecret(issuedToken(jh))
	}

	var tools []*mcp.Tool
	cursor := ""
	for range 100 {
		res, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			return "", fmt.Errorf("refclient: tools/list: %w", err)
		}
		tools = append(tools, res.Tools...)
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	if d := r.v.pause(); d > 0 {
		if err := sleepCtx(ctx, d); err != nil {
			return "", fmt.Errorf("refclient: pausing: %w", err)
		}
	}
	whoami := "not offered"
	if slices.ContainsFunc(tools, func(t *mcp.Tool) bool { return t.Name == "whoami" }) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}})
		if err != nil {
			return "", fmt.Errorf("refclient: tools/call whoami: %w", err)
		}
		text := firstText(res)
		if res.IsError {
			return "", fmt.Errorf("refclient: tools/call whoami reported an error: %s", r.clean(text))
		}
		whoami = fmt.Sprintf("%q", r.clean(text))
	}
	if slices.ContainsFunc(tools, func(t *mcp.Tool) bool { return t.Name == "test-tool" }) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "test-tool", Arguments: map[string]any{}})
		if err != nil {
			return "", fmt.Errorf("refclient: tools/call test-tool: %w", err)
		}
		if res.IsError {
			return "", fmt.Errorf("refclient: tools/call test-tool reported an error: %s", r.clean(firstText(res)))
		}
	}
	server := "server"
	if ir := cs.InitializeResult(); ir != nil && ir.ServerInfo != nil && ir.ServerInfo.Name != "" {
		server = fmt.Sprintf("server %q", r.clean(ir.ServerInfo.Name))
	}
	if err := cs.Close(); err != nil {
		r.println(r.stderr, "wifclient: note: closing the session: "+err.Error())
	}
	return fmt.Sprintf("wifclient: ok: authorized with %s; %s at %s lists %d tool(s); whoami: %s",
		grant, server, r.url, len(tools), whoami), nil
}

func firstText(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

// sanitize makes text from a server safe for one line of output.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 1000 {
		s = string(r[:1000]) + "…"
	}
	return s
}

// fail reports err on stderr and returns the exit status, applying the
// variants that change how a failure ends.
func (r *run) fail(ctx context.Context, err error, h *JWTBearerHandler) int {
	oerr := findOAuthError(err, h)
	if r.v.ErrorOutput != "" {
		r.println(r.stderr, r.v.ErrorOutput)
	} else {
		for _, line := range r.explain(ctx, err, oerr, h) {
			r.println(r.stderr, line)
		}
	}
	if oerr != nil {
		if r.v.Hang == "after_error" {
			blockForever()
		}
		if r.v.Hostile == "crash" {
			killSelf()
		}
	}
	return r.exit(1)
}

// findOAuthError returns the token endpoint's error response behind err, or
// behind the failure recorded by h, or nil.
func findOAuthError(err error, h *JWTBearerHandler) *OAuthError {
	var oerr *OAuthError
	if errors.As(err, &oerr) {
		return oerr
	}
	if h != nil {
		if herr := h.Err(); herr != nil && errors.As(herr, &oerr) {
			return oerr
		}
	}
	return nil
}

// explain renders a failure as an error line and a hint line.
func (r *run) explain(ctx context.Context, err error, oerr *OAuthError, h *JWTBearerHandler) []string {
	if oerr != nil {
		code, desc := oerr.Code, oerr.Description
		if r.v.ReportErrorAs != "" {
			code, desc = r.v.ReportErrorAs, ""
		}
		head := "wifclient: token request rejected by the authorization server: " + r.clean(code)
		if desc != "" {
			head += ": " + r.clean(desc)
		}
		var p tokenParams
		if h != nil {
			p = h.lastParams()
		}
		return []string{head, hintFor(code, p)}
	}
	msg := strings.TrimPrefix(err.Error(), "refclient: ")
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return []string{
			fmt.Sprintf("wifclient: gave up after %s: %s", overallTimeout, r.clean(msg)),
			"hint: the MCP server or the authorization server did not answer in time",
		}
	}
	if h != nil {
		// The SDK may wrap the handler's error without %w; name it directly.
		if herr := h.Err(); herr != nil && !strings.Contains(msg, herr.Error()) {
			msg += ": " + strings.TrimPrefix(herr.Error(), "refclient: ")
		}
	}
	hint := "hint: the MCP server, its protected resource metadata (RFC 9728) or the authorization server metadata (RFC 8414) could not be used as the error says"
	switch {
	case errors.Is(err, ErrJWTBearerNotSupported) || (h != nil && errors.Is(h.Err(), ErrJWTBearerNotSupported)):
		hint = "hint: the authorization server does not offer grant_type=" + GrantTypeJWTBearer + "; enable the JWT-bearer grant there"
	case h != nil && errors.Is(h.Err(), ErrTokenRefused):
		hint = "hint: the authorization server issued a token but the MCP server refused it: check that it is sent as " +
			"Authorization: Bearer and that the MCP server accepts tokens of this authorization server for this resource"
	case h != nil && h.Err() == nil && issuedToken(h) != "":
		hint = "hint: a token was issued and accepted, but the MCP exchange failed afterwards"
	}
	return []string{"wifclient: " + r.clean(msg), hint}
}

// hintFor explains an RFC 6749 §5.2 error code (and the RFC 8707 one) in
// terms of what the operator should look at. invalid_scope is deliberately
// kept apart from the assertion failures.
func hintFor(code string, p tokenParams) string {
	switch code {
	case "invalid_scope":
		scope := "the requested scope"
		if p.scope != "" {
			scope = fmt.Sprintf("the requested scope %q", p.scope)
		}
		return "hint: " + scope + " was not accepted by the authorization server (RFC 6749 §5.2); " +
			"this is a scope problem, not an assertion problem: compare the scope of the MCP server's " +
			"WWW-Authenticate challenge with the scopes the authorization server grants this workload"
	case "invalid_grant":
		return "hint: the authorization server rejected the workload JWT used as the assertion (RFC 7523 §3): " +
			"check its exp/nbf/iat, aud (the authorization server), iss, sub and jti; presenting the same assertion again will not help"
	case "invalid_request":
		return "hint: the authorization server found the token request malformed: a parameter is missing, repeated or invalid (RFC 6749 §5.2)"
	case "unauthorized_client":
		return "hint: this workload is not allowed to use the JWT-bearer grant at this authorization server (RFC 6749 §5.2); its trust policy must admit it"
	case "invalid_client":
		return "hint: client authentication failed (RFC 6749 §5.2); the JWT-bearer grant needs none, so check the authorization server's client policy"
	case "unsupported_grant_type":
		return "hint: the authorization server does not accept grant_type=" + GrantTypeJWTBearer + " (RFC 6749 §5.2)"
	case "invalid_target":
		res := "the resource indicator"
		if p.resource != "" {
			res = fmt.Sprintf("the resource indicator %q", p.resource)
		}
		return "hint: " + res + " was not accepted by the authorization server (RFC 8707 §2)"
	case "server_error", "temporarily_unavailable":
		return "hint: the authorization server reported a problem on its side; the request itself may be fine"
	default:
		return "hint: see the error_description above and RFC 6749 §5.2"
	}
}
