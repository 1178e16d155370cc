package dsl

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

var errUnknown = errors.New("the value is not known")

func errNotBool(t cty.Type) error {
	return fmt.Errorf("want a bool, got %s", t.FriendlyName())
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// Grant types that scenario files can name as grant.<name>.
var grantTypes = map[string]string{
	"jwt_bearer":         record.GrantJWTBearer,
	"client_credentials": record.GrantClientCredentials,
	"authorization_code": record.GrantAuthorizationCode,
	"refresh_token":      record.GrantRefreshToken,
	"token_exchange":     record.GrantTokenExchange,
}

// staticVariables are visible in every expression.
func staticVariables() map[string]cty.Value {
	g := map[string]cty.Value{}
	for k, v := range grantTypes {
		g[k] = cty.StringVal(v)
	}
	return map[string]cty.Value{
		"grant":  cty.ObjectVal(g),
		"MUST":   cty.StringVal(string(engine.MUST)),
		"SHOULD": cty.StringVal(string(engine.SHOULD)),
		"MAY":    cty.StringVal(string(engine.MAY)),
	}
}

func newRootContext(funcs map[string]function.Function) *hcl.EvalContext {
	return &hcl.EvalContext{Variables: staticVariables(), Functions: funcs}
}

// envVariables exposes a running case's environment: each server's URLs
// (server.<name>; auth_server and mcp_server name the servers of the
// auth_server and mcp_server blocks), the minted assertions, the names of
// the scenario and case, the protocol version, and the context once
// computed.
//
// The variables are built once per environment snapshot (engine.Env.View)
// and shared: callers must not modify the map.
func envVariables(env *engine.Env) map[string]cty.Value {
	return env.View(envVariablesKey{}, func() any { return buildEnvVariables(env) }).(map[string]cty.Value)
}

// envVariablesKey keys envVariables' view of an environment.
type envVariablesKey struct{}

func buildEnvVariables(env *engine.Env) map[string]cty.Value {
	servers := map[string]cty.Value{}
	for _, s := range env.Servers {
		urls := map[string]cty.Value{}
		for k, u := range s.URLs {
			urls[k] = cty.StringVal(u)
		}
		servers[s.Name] = cty.ObjectVal(urls)
	}
	assertions := map[string]cty.Value{}
	for _, name := range env.AssertionOrder {
		a := env.Assertions[name]
		claims, err := jsonToCty(a.Claims)
		if err != nil {
			claims = cty.DynamicVal
		}
		assertions[name] = cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(a.Name), "alg": cty.StringVal(a.Alg),
			"token": cty.StringVal(a.Token), "claims": claims,
		})
	}
	keys := map[string]cty.Value{}
	for name, k := range env.Keys {
		keys[name] = cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(k.Name), "alg": cty.StringVal(k.Alg), "kid": cty.StringVal(k.KID),
			"public_jwk": cty.StringVal(k.PublicJWK), "private_key_pem": cty.StringVal(k.PrivateKeyPEM),
		})
	}
	vars := serverVariables(servers)
	vars["assertion"] = cty.ObjectVal(assertions)
	vars["key"] = cty.ObjectVal(keys)
	vars["scenario"] = cty.StringVal(env.Scenario)
	vars["case"] = cty.StringVal(env.Case)
	vars["protocol_version"] = cty.StringVal(cmp.Or(env.ProtocolVersion, engine.DefaultProtocolVersion))
	if env.Context != nil {
		if v, err := jsonToCty(env.Context); err == nil {
			vars["context"] = v
		}
	}
	return vars
}

// serverVariables are server (every server by name) and the auth_server
// and mcp_server shorthands.
func serverVariables(servers map[string]cty.Value) map[string]cty.Value {
	vars := map[string]cty.Value{"server": cty.ObjectVal(servers)}
	if v, ok := servers[authServerName]; ok {
		vars["auth_server"] = v
	}
	if v, ok := servers[mcpServerName]; ok {
		vars["mcp_server"] = v
	}
	return vars
}

// placeholderEnvVariables are the env variables as an author sees them
// before a run: server URLs on placeholder origins (or unknown, when
// unknownURLs is set), and each declared assertion with an unknown token
// and claims.
func placeholderEnvVariables(servers []*engine.Server, keyNames []string, scenario, caseName, protocolVersion string, assertionNames []string, unknownURLs bool) map[string]cty.Value {
	sv := map[string]cty.Value{}
	for _, s := range servers {
		urls := map[string]cty.Value{}
		for k, u := range engine.PreviewURLs(s) {
			urls[k] = cty.StringVal(u)
			if unknownURLs {
				urls[k] = cty.UnknownVal(cty.String)
			}
		}
		sv[s.Name] = cty.ObjectVal(urls)
	}
	assertions := map[string]cty.Value{}
	for _, n := range assertionNames {
		token := cty.UnknownVal(cty.String)
		if !unknownURLs {
			token = cty.StringVal("<assertion " + n + ">")
		}
		assertions[n] = cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(n), "alg": cty.UnknownVal(cty.String),
			"token": token, "claims": cty.DynamicVal,
		})
	}
	keys := map[string]cty.Value{}
	for _, n := range keyNames {
		k := map[string]cty.Value{"name": cty.StringVal(n)}
		for _, f := range keyFields {
			k[f] = cty.UnknownVal(cty.String)
			if !unknownURLs {
				k[f] = cty.StringVal("<" + f + " of key " + n + ">")
			}
		}
		keys[n] = cty.ObjectVal(k)
	}
	vars := serverVariables(sv)
	vars["assertion"] = cty.ObjectVal(assertions)
	vars["key"] = cty.ObjectVal(keys)
	vars["scenario"] = cty.StringVal(scenario)
	vars["case"] = cty.StringVal(caseName)
	vars["protocol_version"] = cty.StringVal(protocolVersion)
	return vars
}

// staticCaseVariables are what a check's enabled attribute sees besides
// the static variables: the names of the scenario and the case, and the
// protocol version the case runs at.
func staticCaseVariables(scenario, caseName, protocolVersion string) map[string]cty.Value {
	return map[string]cty.Value{
		"scenario":         cty.StringVal(scenario),
		"case":             cty.StringVal(caseName),
		"protocol_version": cty.StringVal(protocolVersion),
	}
}

// keyFields are the fields of key.<name> besides name.
var keyFields = []string{"alg", "kid", "public_jwk", "private_key_pem"}

// ruleVariables exposes a request being answered to a rule's condition
// (and to its late reply): request (at a token endpoint, the fields of a
// token_requests element; elsewhere those of a requests element with
// headers, body and form), form, claims and jwt_header (of the assertion,
// at a token endpoint), mcp (at an MCP endpoint, the fields of an
// mcp_requests element), token (what the bearer token was issued as, or
// null), attempt and previous (the server's earlier requests).
func ruleVariables(in *record.Incoming) map[string]cty.Value {
	var r map[string]any
	switch {
	case in.Token != nil:
		r = tokenRequestJSON(in.Token)
	default:
		r = requestJSON(&in.Request)
		r["headers"] = lowerHeaders(in.Header)
		r["body"] = in.Body
		r["form"] = firstValues(in.Form)
	}
	vars := map[string]cty.Value{
		"request":    toCty(r),
		"form":       toCty(firstValues(in.Form)),
		"claims":     cty.EmptyObjectVal,
		"jwt_header": cty.EmptyObjectVal,
		"attempt":    cty.NumberIntVal(int64(in.Attempt)),
		"mcp":        cty.NullVal(cty.DynamicPseudoType),
		"token":      cty.NullVal(cty.DynamicPseudoType),
	}
	if in.Token != nil && in.Token.Form == nil {
		vars["form"] = cty.EmptyObjectVal
	}
	if in.Claims != nil {
		vars["claims"] = toCty(in.Claims)
	}
	if in.Token != nil && in.Token.AssertionHeader != nil {
		vars["jwt_header"] = toCty(in.Token.AssertionHeader)
	}
	if in.MCP != nil {
		vars["mcp"] = toCty(mcpRequestJSON(in.MCP, -1))
	}
	if in.BearerInfo != nil {
		vars["token"] = toCty(issuedJSON(in.BearerInfo))
	}
	prev := make([]any, len(in.Previous))
	for i := range in.Previous {
		prev[i] = requestJSON(&in.Previous[i])
	}
	vars["previous"] = toCty(prev)
	return vars
}

// toCty converts a JSON-shaped value, or gives an unknown value of any
// type when it cannot (which a condition then reports).
func toCty(v any) cty.Value {
	cv, err := jsonToCty(v)
	if err != nil {
		return cty.DynamicVal
	}
	return cv
}

// placeholderRuleVariables are ruleVariables with unknown values, for
// static checks.
func placeholderRuleVariables() map[string]cty.Value {
	return map[string]cty.Value{
		"request": cty.DynamicVal, "form": cty.DynamicVal, "claims": cty.DynamicVal,
		"jwt_header": cty.DynamicVal, "attempt": cty.UnknownVal(cty.Number),
		"mcp": cty.DynamicVal, "token": cty.DynamicVal, "previous": cty.DynamicVal,
	}
}

// requestJSON is the generic record of a request, as checks and rules see it.
func requestJSON(r *record.Request) map[string]any {
	return map[string]any{
		"server": r.Server, "endpoint": r.Endpoint, "method": r.Method, "path": r.Path,
		"query": firstValues(r.Query), "status": r.Status, "at_ms": ms(r.At), "rule": r.Rule,
		"scheme": r.Scheme, "body": r.Body, "location": r.Location, "error": r.Error,
		"token_issuer": r.TokenIssuer,
	}
}

// mcpRequestJSON is an MCP request as checks and rules see it; firstToken
// is when the first token was issued (negative when none was or unknown).
func mcpRequestJSON(m *record.MCPRequest, firstToken time.Duration) map[string]any {
	methods := m.RPCMethods
	if methods == nil {
		methods = []string{}
	}
	return map[string]any{
		"server": m.Server, "seq": m.Seq, "at_ms": ms(m.At), "http_method": m.HTTPMethod, "path": m.Path,
		"method": m.RPCMethod, "methods": methods, "has_bearer": m.HasBearer,
		"bearer": m.Bearer, "auth_scheme": m.AuthScheme, "issued_token": m.IssuedToken,
		"token_issuer": m.TokenIssuer, "token_expired": m.TokenExpired,
		"query_token": m.QueryToken, "protocol_version": m.ProtocolVersion, "status": m.Status,
		"after_token": firstToken >= 0 && m.At > firstToken, "error": m.Error,
		"dpop": dpopJSON(&m.DPoP, true),
	}
}

// dpopJSON is a DPoP proof as checks and rules see it; at an MCP
// endpoint (resource) with the fields about the access token too.
func dpopJSON(p *record.DPoPProof, resource bool) map[string]any {
	out := map[string]any{
		"present": p.Present, "header_count": p.Headers, "valid": p.Valid, "error": p.Error,
		"typ": p.Typ, "alg": p.Alg, "jkt": p.JKT, "jti": p.JTI, "htm": p.HTM, "htu": p.HTU,
		"iat": p.IAT, "nonce": p.Nonce, "ath": p.ATH, "replayed": p.Replayed,
	}
	if resource {
		out["ath_valid"], out["token_jkt"], out["bound"] = p.ATHValid, p.TokenJKT, p.Bound
	}
	return out
}

// issuedJSON is an issued token as checks and rules see it.
func issuedJSON(t *record.IssuedToken) map[string]any {
	var exp any
	if !t.ExpiresAt.IsZero() {
		exp = t.ExpiresAt.Unix()
	}
	return map[string]any{
		"server": t.Server, "token": t.Token, "refresh": t.Refresh, "grant": t.Grant,
		"client_id": t.ClientID, "scope": t.Scope, "issued_at": t.IssuedAt.Unix(), "expires_at": exp,
		"revoked": t.Revoked, "jkt": t.JKT,
	}
}

// ObservationVariables are the names check conditions can use beyond the
// env and static ones; see docs/dsl.md for their fields.
var ObservationVariables = []string{
	"token_requests", "requests", "mcp_requests", "client", "issued_tokens", "issued",
	"token_request_count", "request_count", "mcp_request_count",
	"first_error_ms", "first_token_ms", "context", "jwt_file", "tls",
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func msOrNil(d time.Duration) any {
	if d < 0 {
		return nil
	}
	return ms(d)
}

func firstValues(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if len(v) > 0 {
			out[k] = v[0]
		} else {
			out[k] = ""
		}
	}
	return out
}

func lowerHeaders(h map[string][]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

func tokenRequestJSON(tr *record.TokenRequest) map[string]any {
	formAll := map[string][]string{}
	for k, v := range tr.Form {
		formAll[k] = v
	}
	rep := tr.RepeatedKeys
	if rep == nil {
		rep = []string{}
	}
	return map[string]any{
		"server":           tr.Server,
		"seq":              tr.Seq,
		"at_ms":            ms(tr.At),
		"method":           tr.Method,
		"path":             tr.Path,
		"scheme":           tr.Scheme,
		"query":            firstValues(tr.Query),
		"content_type":     tr.ContentType,
		"headers":          lowerHeaders(tr.Header),
		"body":             tr.Body,
		"body_truncated":   tr.BodyTruncated,
		"form":             firstValues(tr.Form),
		"form_all":         formAll,
		"form_error":       tr.FormError,
		"repeated_keys":    rep,
		"claims":           tr.Claims,
		"assertion_header": tr.AssertionHeader,
		"client_auth": map[string]any{
			"method": tr.ClientAuth.Method, "client_id": tr.ClientAuth.ClientID,
			"verified": tr.ClientAuth.Verified, "failure": tr.ClientAuth.Failure,
		},
		"code": codeGrantJSON(tr.Code),
		"dpop": dpopJSON(&tr.DPoP, false),
		"response": map[string]any{
			"status":               tr.Response.Status,
			"error":                tr.Response.Error,
			"error_description":    tr.Response.ErrorDescription,
			"rule":                 tr.Response.Rule,
			"reason":               tr.Response.Reason,
			"access_token_issued":  tr.Response.AccessToken != "",
			"refresh_token_issued": tr.Response.RefreshToken != "",
			"issued_token_type":    tr.Response.IssuedTokenType,
			"token_type":           tr.Response.TokenType,
			"expires_in":           tr.Response.ExpiresIn,
			"scope":                tr.Response.Scope,
		},
	}
}

// codeGrantJSON is what an authorization code was issued for, or nil.
func codeGrantJSON(c *record.CodeGrant) any {
	if c == nil {
		return nil
	}
	return map[string]any{
		"known": c.Known, "reused": c.Reused, "client_id": c.ClientID, "redirect_uri": c.RedirectURI,
		"scope": c.Scope, "resource": c.Resource, "code_challenge": c.CodeChallenge,
		"code_challenge_method": c.CodeChallengeMethod, "pkce": c.PKCE,
	}
}

// observationVariables converts the observations into the variables check
// conditions see.
func observationVariables(o *engine.Observations) (map[string]cty.Value, error) {
	trs := make([]any, len(o.TokenRequests))
	for i := range o.TokenRequests {
		trs[i] = tokenRequestJSON(&o.TokenRequests[i])
	}
	reqs := make([]any, len(o.Requests))
	for i := range o.Requests {
		reqs[i] = requestJSON(&o.Requests[i])
	}
	mcps := make([]any, len(o.MCPRequests))
	for i := range o.MCPRequests {
		mcps[i] = mcpRequestJSON(&o.MCPRequests[i], o.FirstTokenIssued)
	}
	issuedAll := make([]any, len(o.Issued))
	for i := range o.Issued {
		issuedAll[i] = issuedJSON(&o.Issued[i])
	}
	c := o.Client
	client := map[string]any{
		"command": c.Command, "started": c.Started, "start_error": c.StartError,
		"exited": c.Exited, "exit_code": c.ExitCode, "signal": c.Signal,
		"timed_out": c.TimedOut, "hung_after_error": c.HungAfterError,
		"interrupted": c.Interrupted, "killed": c.Killed, "hung_in": c.HungIn,
		"duration_ms": ms(c.Duration), "exit_at_ms": ms(c.ExitAt),
		"exit_after_error_ms": msOrNil(c.ExitAfterError),
		"stdout":              c.Stdout, "stderr": c.Stderr, "output": c.Stdout + "\n" + c.Stderr,
		"stdout_bytes": c.StdoutBytes, "stderr_bytes": c.StderrBytes,
		"stdout_truncated": c.StdoutTruncated, "stderr_truncated": c.StderrTruncated,
	}
	issued := o.IssuedTokens
	if issued == nil {
		issued = []string{}
	}
	raw := map[string]any{
		"token_requests": trs, "requests": reqs, "mcp_requests": mcps, "client": client, "issued": issuedAll,
		"token_request_count": o.TokenRequestCount, "request_count": o.RequestCount,
		"mcp_request_count": o.MCPRequestCount,
		"first_error_ms":    msOrNil(o.FirstError), "first_token_ms": msOrNil(o.FirstTokenIssued),
		"jwt_file": jwtFileJSON(o.JWTFile),
		"tls":      map[string]any{"enabled": o.TLS.Enabled, "ca_file": o.TLS.CAFile},
	}
	vars := map[string]cty.Value{}
	for k, v := range raw {
		cv, err := jsonToCty(v)
		if err != nil {
			return nil, fmt.Errorf("observation %s: %w", k, err)
		}
		vars[k] = cv
	}
	// issued_tokens is always a list of strings, even when empty.
	if len(issued) == 0 {
		vars["issued_tokens"] = cty.ListValEmpty(cty.String)
	} else {
		l := make([]cty.Value, len(issued))
		for i, t := range issued {
			l[i] = cty.StringVal(t)
		}
		vars["issued_tokens"] = cty.ListVal(l)
	}
	if o.Env != nil {
		for k, v := range envVariables(o.Env) {
			vars[k] = v
		}
	}
	if _, ok := vars["context"]; !ok {
		vars["context"] = cty.EmptyObjectVal
	}
	return vars, nil
}

// placeholderObservationVariables are unknown stand-ins for static checks.
func placeholderObservationVariables() map[string]cty.Value {
	vars := map[string]cty.Value{}
	for _, n := range ObservationVariables {
		vars[n] = cty.DynamicVal
	}
	return vars
}
