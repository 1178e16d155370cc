package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
	"github.com/zclconf/go-cty/cty"
)

// serverKinds are the values of a server block's kind.
var serverKinds = []string{string(engine.AuthorizationServer), string(engine.MCPServer), string(engine.IdentityProvider)}

// kindAttributes are the attributes that apply to each kind of server,
// besides kind itself.
var kindAttributes = func() map[engine.ServerKind][]string {
	auth := []string{"issuer_path", "metadata_at", "metadata", "grant_types_supported", "registration",
		"scopes_supported", "leeway", "token_ttl", "verify_assertion", "seen_jtis", "jti_replay",
		"token_endpoint_auth_methods", "clients", "refresh_tokens", "trusted_keys", "plain_token_endpoint",
		"authorization_response_iss", "dpop", "dpop_nonce"}
	return map[engine.ServerKind][]string{
		engine.AuthorizationServer: auth,
		engine.IdentityProvider:    append(slices.Clone(auth), "signing_key", "id_jag_claims"),
		engine.MCPServer: {"path", "scopes_supported", "challenge_scope", "authorization_servers", "enforce_expiry",
			"required_scopes", "method_scopes", "open_methods", "resource_metadata_at", "resource_metadata",
			"resource_metadata_in_challenge", "same_origin_as", "dpop", "dpop_nonce", "dpop_enforce"},
	}
}()

// mergedServer is a server of a case: the scenario's block overridden by
// the case's.
type mergedServer struct {
	name      string
	kind      engine.ServerKind // set for the legacy blocks, else read from attrs
	attrs     ServerAttrs
	rejects   []*RuleDef
	rules     []*ResponseRuleDef
	declRange hcl.Range
}

// mergeServers merges the server blocks of a scenario and a case by name,
// and adds the servers of the legacy auth_server and mcp_server blocks:
// always when no server block is declared, else only where declared.
func mergeServers(s, c *CaseBody, m *merged) []*mergedServer {
	var out []*mergedServer
	byName := map[string]*mergedServer{}
	for _, b := range []*CaseBody{s, c} {
		for _, sd := range b.Servers {
			ms := byName[sd.Name]
			if ms == nil {
				ms = &mergedServer{name: sd.Name, declRange: sd.DeclRange}
				byName[sd.Name] = ms
				out = append(out, ms)
			}
			overlayAttrs(&ms.attrs, &sd.Attrs)
			ms.rejects = overrideByName(ms.rejects, sd.Rejects, func(r *RuleDef) string { return r.Name })
			ms.rules = overrideByName(ms.rules, sd.Rules, func(r *ResponseRuleDef) string { return r.Name })
		}
	}
	blocks := len(out) > 0
	hasAuth := s.AuthServer != nil || c.AuthServer != nil
	hasMCP := s.MCPServer != nil || c.MCPServer != nil
	var legacy []*mergedServer
	legacyRules := func(get func(*CaseBody) []*ResponseRuleDef) []*ResponseRuleDef {
		return overrideByName(get(s), get(c), func(r *ResponseRuleDef) string { return r.Name })
	}
	if (!blocks || hasAuth) && byName[authServerName] == nil {
		ls := &mergedServer{name: authServerName, kind: engine.AuthorizationServer, rejects: m.rules,
			rules: legacyRules(func(b *CaseBody) []*ResponseRuleDef {
				if b.AuthServer == nil {
					return nil
				}
				return b.AuthServer.ResponseRules
			})}
		copyAttrs(&ls.attrs, &m.auth)
		legacy = append(legacy, ls)
	}
	if (!blocks || hasMCP) && byName[mcpServerName] == nil {
		ls := &mergedServer{name: mcpServerName, kind: engine.MCPServer,
			rules: legacyRules(func(b *CaseBody) []*ResponseRuleDef {
				if b.MCPServer == nil {
					return nil
				}
				return b.MCPServer.ResponseRules
			})}
		copyAttrs(&ls.attrs, &m.mcp)
		legacy = append(legacy, ls)
	}
	return append(legacy, out...)
}

// overrideByName returns the later definitions first (they are the more
// specific), then the earlier ones they do not replace.
func overrideByName[T any](earlier, later []T, name func(T) string) []T {
	out := slices.Clone(later)
	for _, e := range earlier {
		if !slices.ContainsFunc(later, func(l T) bool { return name(l) == name(e) }) {
			out = append(out, e)
		}
	}
	return out
}

// compileServerStatic reads the static attributes of a server: its kind
// and everything that is not late. The late parts are added by
// compileServerLate once every server's URLs are known.
func (cfg *Config) compileServerStatic(ms *mergedServer) (*engine.Server, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	a := &ms.attrs
	kind := ms.kind
	if kind == "" {
		var k string
		if readAttr(&diags, a.Kind, cfg.ctx, evalString, &k) {
			if !slices.Contains(serverKinds, k) {
				diags = append(diags, invalidValue(a.Kind, "Unknown server kind",
					fmt.Sprintf("A server is one of %s; %q is not.%s", strings.Join(serverKinds, ", "), k, suggestion(k, serverKinds))))
				return nil, diags
			}
			kind = engine.ServerKind(k)
		}
		if a.Kind == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing server kind",
				Detail: fmt.Sprintf("The server %q needs kind = one of %s.", ms.name, strings.Join(serverKinds, ", ")), Subject: ms.declRange.Ptr()})
		}
		if diags.HasErrors() {
			return nil, diags
		}
	}
	for name, at := range setAttrs(a) {
		if name != "kind" && !slices.Contains(kindAttributes[kind], name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Attribute not for this kind of server",
				Detail:  fmt.Sprintf("The attribute %q does not apply to a server of kind %s; it applies to: %s.", name, kind, strings.Join(kindAttributes[kind], ", ")),
				Subject: at.NameRange.Ptr()})
		}
	}
	srv := &engine.Server{Name: ms.name, Kind: kind}
	if kind == engine.MCPServer {
		srv.MCP, diags = cfg.mcpSpec(a, diags)
		if len(ms.rejects) > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reject rule on an MCP server",
				Detail: "A reject block answers token requests; an MCP server has no token endpoint. Use a rule block.", Subject: ms.rejects[0].DeclRange.Ptr()})
		}
	} else {
		srv.Auth, diags = cfg.authSpec(a, kind, diags)
	}
	return srv, diags
}

func (cfg *Config) authSpec(a *ServerAttrs, kind engine.ServerKind, diags hcl.Diagnostics) (*engine.AuthServerSpec, hcl.Diagnostics) {
	st := &engine.AuthServerSpec{}
	readAttr(&diags, a.GrantTypesSupported, cfg.ctx, evalStringList, &st.GrantTypesSupported)
	readAttr(&diags, a.Registration, cfg.ctx, evalBool, &st.Registration)
	readAttr(&diags, a.ScopesSupported, cfg.ctx, evalStringList, &st.ScopesSupported)
	readAttr(&diags, a.Leeway, cfg.ctx, evalDuration, &st.Leeway)
	readAttr(&diags, a.TokenTTL, cfg.ctx, evalPositiveDuration, &st.TokenTTL)
	verify := true
	readAttr(&diags, a.VerifyAssertion, cfg.ctx, evalBool, &verify)
	st.SkipVerification = !verify
	if at := a.IssuerPath; readAttr(&diags, at, cfg.ctx, evalString, &st.IssuerPath) && st.IssuerPath != "" && (!strings.HasPrefix(st.IssuerPath, "/") || strings.ContainsAny(st.IssuerPath, "?#")) {
		diags = append(diags, invalidValue(at, "Invalid issuer path", fmt.Sprintf("An issuer path starts with \"/\" and has no query or fragment (RFC 8414 §2); %q does not.", st.IssuerPath)))
	}
	if at := a.MetadataAt; readAttr(&diags, at, cfg.ctx, evalStringList, &st.MetadataAt) {
		for _, loc := range st.MetadataAt {
			if !slices.Contains(engine.MetadataLocations, loc) {
				diags = append(diags, invalidValue(at, "Unknown metadata location",
					fmt.Sprintf("A metadata location is one of %s; %q is not.%s", strings.Join(engine.MetadataLocations, ", "), loc, suggestion(loc, engine.MetadataLocations))))
			}
		}
		if st.MetadataAt == nil {
			st.MetadataAt = []string{}
		}
	}
	if at := a.TokenEndpointAuthMethods; readAttr(&diags, at, cfg.ctx, evalStringList, &st.TokenEndpointAuthMethods) {
		for _, m := range st.TokenEndpointAuthMethods {
			if !slices.Contains(engine.AuthMethods, m) {
				diags = append(diags, invalidValue(at, "Unknown client authentication method",
					fmt.Sprintf("A method is one of %s; %q is not.%s", strings.Join(engine.AuthMethods, ", "), m, suggestion(m, engine.AuthMethods))))
			}
		}
	}
	readAttr(&diags, a.RefreshTokens, cfg.ctx, evalBool, &st.IssueRefreshTokens)
	replay := true
	readAttr(&diags, a.JTIReplay, cfg.ctx, evalBool, &replay)
	st.AllowJTIReuse = !replay
	readAttr(&diags, a.PlainTokenEndpoint, cfg.ctx, evalBool, &st.PlainTokenEndpoint)
	readAttr(&diags, a.TrustedKeys, cfg.ctx, evalStringList, &st.TrustedKeys)
	readAttr(&diags, a.DPoP, cfg.ctx, evalBool, &st.DPoP)
	diags = readNonce(diags, a.DPoPNonce, cfg.ctx, &st.DPoPNonce)
	readAttr(&diags, a.SigningKey, cfg.ctx, evalString, &st.SigningKey)
	readAttr(&diags, a.IDJAGClaims, cfg.ctx, evalObject, &st.IDJAGClaims)
	if kind == engine.IdentityProvider && a.SigningKey == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Identity provider without a signing key",
			Detail: "An identity provider signs the ID-JAGs it issues: set signing_key to the name of a key block.", Subject: a.Kind.Range.Ptr()})
	}
	if at := a.Clients; at != nil {
		v, ds := evalValue(at, cfg.ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() && !v.IsNull() {
			clients, err := clientsOf(v)
			if err != nil {
				diags = append(diags, invalidValue(at, "Invalid clients", "clients is a list of objects with id and, optionally, secret and key (the name of a key block): "+err.Error()+"."))
			}
			st.Clients = clients
		}
	}
	return st, diags
}

// readNonce reads a DPoP nonce (RFC 9449 §8): it travels in an HTTP
// header and a JSON string, so it is printable ASCII without quotes.
func readNonce(diags hcl.Diagnostics, at *hcl.Attribute, ctx *hcl.EvalContext, dst *string) hcl.Diagnostics {
	if !readAttr(&diags, at, ctx, evalString, dst) {
		return diags
	}
	ok := *dst != ""
	for _, c := range *dst {
		if c <= ' ' || c > '~' || c == '"' || c == '\\' {
			ok = false
		}
	}
	if !ok {
		diags = append(diags, invalidValue(at, "Invalid DPoP nonce",
			fmt.Sprintf("A DPoP nonce is a non-empty string of printable ASCII without spaces, quotes or backslashes (RFC 9449 §8.1); %q is not.", *dst)))
	}
	return diags
}

// clientsOf reads a list of {id, secret, key} objects.
func clientsOf(v cty.Value) ([]engine.RegisteredClient, error) {
	if !v.CanIterateElements() {
		return nil, fmt.Errorf("found %s", v.Type().FriendlyName())
	}
	var out []engine.RegisteredClient
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		g, err := ctyToGo(e)
		if err != nil {
			return nil, err
		}
		m, ok := g.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("an element is %s, not an object", e.Type().FriendlyName())
		}
		var c engine.RegisteredClient
		for k, val := range m {
			sv, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be a string", k)
			}
			switch k {
			case "id":
				c.ID = sv
			case "secret":
				c.Secret = sv
			case "key":
				c.Key = sv
			default:
				return nil, fmt.Errorf("unknown field %q", k)
			}
		}
		if c.ID == "" {
			return nil, fmt.Errorf("a client has no id")
		}
		out = append(out, c)
	}
	return out, nil
}

func (cfg *Config) mcpSpec(a *ServerAttrs, diags hcl.Diagnostics) (*engine.MCPServerSpec, hcl.Diagnostics) {
	st := &engine.MCPServerSpec{}
	if at := a.Path; readAttr(&diags, at, cfg.ctx, evalString, &st.Path) && !strings.HasPrefix(st.Path, "/") {
		diags = append(diags, invalidValue(at, "Invalid path", fmt.Sprintf("The MCP endpoint path must start with \"/\"; %q does not.", st.Path)))
	}
	readAttr(&diags, a.ScopesSupported, cfg.ctx, evalStringList, &st.ScopesSupported)
	readAttr(&diags, a.ChallengeScope, cfg.ctx, evalString, &st.ChallengeScope)
	readAttr(&diags, a.AuthorizationServers, cfg.ctx, evalStringList, &st.AuthorizationServers)
	readAttr(&diags, a.EnforceExpiry, cfg.ctx, evalBool, &st.EnforceExpiry)
	readAttr(&diags, a.RequiredScopes, cfg.ctx, evalStringList, &st.RequiredScopes)
	readAttr(&diags, a.OpenMethods, cfg.ctx, evalStringList, &st.OpenMethods)
	if at := a.MethodScopes; at != nil {
		v, ds := evalValue(at, cfg.ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() && !v.IsNull() {
			st.MethodScopes = map[string][]string{}
			ok := v.Type().IsObjectType() || v.Type().IsMapType()
			if ok {
				for it := v.ElementIterator(); it.Next(); {
					k, e := it.Element()
					scopes, ds := stringListValue(at, e, cfg.ctx, nil)
					diags = append(diags, ds...)
					st.MethodScopes[k.AsString()] = scopes
				}
			} else {
				diags = append(diags, typeError(at, "an object of JSON-RPC method to list of scopes", v.Type(), cfg.ctx))
			}
		}
	}
	if at := a.ResourceMetadataAt; readAttr(&diags, at, cfg.ctx, evalStringList, &st.PRMAt) {
		for _, loc := range st.PRMAt {
			if loc != "path" && loc != "root" && !strings.HasPrefix(loc, "/") {
				diags = append(diags, invalidValue(at, "Unknown metadata location",
					fmt.Sprintf("A protected resource metadata location is \"path\", \"root\" or an absolute path; %q is none.", loc)))
			}
		}
		if st.PRMAt == nil {
			st.PRMAt = []string{}
		}
	}
	readAttr(&diags, a.SameOriginAs, cfg.ctx, evalString, &st.SameOriginAs)
	readAttr(&diags, a.DPoP, cfg.ctx, evalBool, &st.DPoP)
	diags = readNonce(diags, a.DPoPNonce, cfg.ctx, &st.DPoPNonce)
	readAttr(&diags, a.DPoPEnforce, cfg.ctx, evalBool, &st.DPoPEnforce)
	inChallenge := true
	readAttr(&diags, a.ResourceMetadataInChallenge, cfg.ctx, evalBool, &inChallenge)
	st.OmitResourceMetadata = !inChallenge
	return st, diags
}

// compileServerLate checks and adds the late parts of a server: seen
// jtis, metadata fields and rules.
func (cfg *Config) compileServerLate(ms *mergedServer, srv *engine.Server, lateCtx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	a := &ms.attrs
	if srv.Auth != nil {
		if at := a.SeenJTIs; at != nil {
			diags = append(diags, checkLate(at.Expr, lateCtx, "a list of strings", cty.List(cty.String))...)
			srv.Auth.SeenJTIs = &lateValue{cfg: cfg, expr: at.Expr}
		}
		if at := a.Metadata; at != nil {
			diags = append(diags, checkLateShape(at.Expr, lateCtx, "an object", isObjectLike)...)
			srv.Auth.MetadataFields = &lateValue{cfg: cfg, expr: at.Expr}
		}
		if at := a.AuthorizationResponseIss; at != nil {
			diags = append(diags, checkLate(at.Expr, lateCtx, "a string or null", cty.String)...)
			srv.Auth.AuthorizationResponseIss = &lateValue{cfg: cfg, expr: at.Expr}
		}
		rules, ds := cfg.compileRejects(ms.rejects, lateCtx)
		diags = append(diags, ds...)
		srv.Auth.Rules = rules
	}
	if srv.MCP != nil {
		if at := a.ResourceMetadata; at != nil {
			diags = append(diags, checkLateShape(at.Expr, lateCtx, "an object", isObjectLike)...)
			srv.MCP.PRMFields = &lateValue{cfg: cfg, expr: at.Expr}
		}
	}
	ruleCtx := lateCtx.NewChild()
	ruleCtx.Variables = placeholderRuleVariables()
	endpoints := engine.Endpoints(srv.Kind)
	for _, rd := range ms.rules {
		r := engine.ResponseRule{Name: rd.Name}
		if at := rd.Attrs.Endpoint; readAttr(&diags, at, cfg.ctx, evalString, &r.Endpoint) && !slices.Contains(endpoints, r.Endpoint) {
			diags = append(diags, invalidValue(at, "Unknown endpoint",
				fmt.Sprintf("A server of kind %s has the endpoints %s; %q is not one.%s", srv.Kind, strings.Join(endpoints, ", "), r.Endpoint, suggestion(r.Endpoint, endpoints))))
		}
		if at := rd.Attrs.Error; readAttr(&diags, at, cfg.ctx, evalString, &r.Error) && !validErrorCode(r.Error) {
			diags = append(diags, invalidValue(at, "Invalid OAuth error code",
				fmt.Sprintf("An error code is a word of letters, digits and '_' such as \"invalid_grant\" (RFC 6749 §5.2); %q is not.", r.Error)))
		}
		readAttr(&diags, rd.Attrs.ErrorDescription, cfg.ctx, evalString, &r.ErrorDescription)
		if at := rd.Attrs.Status; readAttr(&diags, at, cfg.ctx, evalInt, &r.Status) && (r.Status < 100 || r.Status > 599) {
			diags = append(diags, invalidValue(at, "Invalid HTTP status", fmt.Sprintf("An HTTP status is between 100 and 599; %d is not.", r.Status)))
		}
		if r.Status == 0 && r.Error == "" && rd.Attrs.Body == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Rule without an answer",
				Detail: fmt.Sprintf("The rule %q must say what to answer: set status, error or body.", rd.Name), Subject: rd.DeclRange.Ptr()})
		}
		if at := rd.Attrs.When; at != nil {
			diags = append(diags, checkLate(at.Expr, ruleCtx, "a bool", cty.Bool)...)
			r.When = &predicate{cfg: cfg, expr: at.Expr}
		}
		if rd.Attrs.Headers != nil || rd.Attrs.Body != nil {
			if at := rd.Attrs.Headers; at != nil {
				diags = append(diags, checkLateShape(at.Expr, ruleCtx, "an object of strings", isObjectLike)...)
			}
			if at := rd.Attrs.Body; at != nil {
				diags = append(diags, checkLate(at.Expr, ruleCtx, "a string", cty.String)...)
			}
			r.Extra = &replyValue{cfg: cfg, headers: rd.Attrs.Headers, body: rd.Attrs.Body}
		}
		srv.Rules = append(srv.Rules, r)
	}
	return diags
}

// compileRejects compiles reject blocks: rules of the token endpoint that
// answer once its built-in checks pass.
func (cfg *Config) compileRejects(defs []*RuleDef, lateCtx *hcl.EvalContext) ([]engine.Rule, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	ruleCtx := lateCtx.NewChild()
	ruleCtx.Variables = placeholderRuleVariables()
	var out []engine.Rule
	for _, r := range defs {
		rule := engine.Rule{Name: r.Name, Error: "invalid_grant"}
		if at := r.Attrs.Error; readAttr(&diags, at, cfg.ctx, evalString, &rule.Error) && !validErrorCode(rule.Error) {
			diags = append(diags, invalidValue(at, "Invalid OAuth error code",
				fmt.Sprintf("An error code is a word of letters, digits and '_' such as \"invalid_grant\" (RFC 6749 §5.2); %q is not.", rule.Error)))
		}
		readAttr(&diags, r.Attrs.ErrorDescription, cfg.ctx, evalString, &rule.ErrorDescription)
		if at := r.Attrs.Status; readAttr(&diags, at, cfg.ctx, evalInt, &rule.Status) && (rule.Status < 400 || rule.Status > 599) {
			diags = append(diags, invalidValue(at, "Invalid HTTP status",
				fmt.Sprintf("A rejection answers with a 4xx or 5xx status; %d is not one.", rule.Status)))
		}
		if at := r.Attrs.When; at != nil {
			diags = append(diags, checkLate(at.Expr, ruleCtx, "a bool", cty.Bool)...)
			rule.When = &predicate{cfg: cfg, expr: at.Expr}
		}
		out = append(out, rule)
	}
	return out, diags
}

// suggestion is " Did you mean …?" for the closest of known, or "".
func suggestion(given string, known []string) string {
	if s := nameSuggestion(given, known); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// endpointNames lists every endpoint kind, for documentation.
var endpointNames = []string{record.EndpointMetadata, record.EndpointToken, record.EndpointAuthorize,
	record.EndpointRegister, record.EndpointJWKS, record.EndpointPRM, record.EndpointMCP}
