package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/authserver"
	"github.com/wifdsl/wifdsl/stubs/mcpserver"
	"github.com/wifdsl/wifdsl/stubs/rules"
)

// This file is where plain server descriptions meet the server packages:
// the runner starts servers from the configurations built here, and
// Describe reports, from the same configurations, what they will answer.

// AuthServerConfig is the configuration the runner starts the
// authorization server s from, without the per-run fields (keys, clock,
// callbacks, rule conditions). Describe reads the same configuration.
func AuthServerConfig(s *Server) authserver.Config { return authConfig(s) }

// authConfig is the authorization server configuration of s, without the
// per-run fields (keys, clock, callbacks).
func authConfig(s *Server) authserver.Config {
	a := s.Auth
	cfg := authserver.Config{
		Name:                     s.Name,
		GrantTypesSupported:      a.GrantTypesSupported,
		Registration:             a.Registration,
		ScopesSupported:          a.ScopesSupported,
		Leeway:                   a.Leeway,
		SkipVerification:         a.SkipVerification,
		TokenTTL:                 a.TokenTTL,
		IssuerPath:               a.IssuerPath,
		MetadataAt:               a.MetadataAt,
		TokenEndpointAuthMethods: a.TokenEndpointAuthMethods,
		IssueRefreshTokens:       a.IssueRefreshTokens,
		PlainTokenEndpoint:       a.PlainTokenEndpoint,
		AllowJTIReuse:            a.AllowJTIReuse,
	}
	if a.DPoP || a.DPoPNonce != "" {
		cfg.DPoP = &authserver.DPoPConfig{Nonce: a.DPoPNonce}
	}
	if s.Kind == IdentityProvider && len(cfg.GrantTypesSupported) == 0 {
		cfg.GrantTypesSupported = []string{record.GrantTokenExchange}
	}
	cfg.ResponseRules = staticRules(s)
	for _, c := range a.Clients {
		cfg.Clients = append(cfg.Clients, authserver.Client{ID: c.ID, Secret: c.Secret})
	}
	for _, r := range a.Rules {
		cfg.Rules = append(cfg.Rules, authserver.Rule{
			Name: r.Name, Error: r.Error, ErrorDescription: r.ErrorDescription, Status: r.Status,
		})
	}
	return cfg
}

// staticRules are the response rules of s as the server answers them:
// each matches every request (the runner adds the conditions and late
// replies of a running case).
func staticRules(s *Server) *rules.Set {
	set := &rules.Set{}
	for _, r := range s.Rules {
		set.Rules = append(set.Rules, rules.Rule{Name: r.Name, Endpoint: r.Endpoint,
			Reply: rules.Reply{Status: r.Status, Error: r.Error, ErrorDescription: r.ErrorDescription}})
	}
	return set
}

// mcpConfig is the MCP server configuration of s, without the per-run
// fields (authorization servers, token validation, clock).
func mcpConfig(s *Server) mcpserver.Config {
	m := s.MCP
	var dp *mcpserver.DPoPConfig
	if m.DPoP || m.DPoPNonce != "" || m.DPoPEnforce {
		dp = &mcpserver.DPoPConfig{Nonce: m.DPoPNonce, Enforce: m.DPoPEnforce}
	}
	return mcpserver.Config{
		DPoP:                 dp,
		ResponseRules:        staticRules(s),
		Name:                 s.Name,
		Path:                 m.Path,
		ScopesSupported:      m.ScopesSupported,
		ChallengeScope:       m.ChallengeScope,
		EnforceExpiry:        m.EnforceExpiry,
		RequiredScopes:       m.RequiredScopes,
		MethodScopes:         m.MethodScopes,
		OpenMethods:          m.OpenMethods,
		PRMAt:                m.PRMAt,
		OmitResourceMetadata: m.OmitResourceMetadata,
	}
}

// CheckServers reports what makes the servers of c impossible to start:
// a duplicate or empty name, a description that does not match its kind,
// an MCP server that names an unknown authorization server, no MCP server
// or an unknown client target.
func CheckServers(c *Case) error {
	seen := map[string]ServerKind{}
	mcps := 0
	for _, s := range c.Servers {
		if s.Name == "" {
			return fmt.Errorf("a server has no name")
		}
		if _, dup := seen[s.Name]; dup {
			return fmt.Errorf("two servers are called %q", s.Name)
		}
		seen[s.Name] = s.Kind
		switch {
		case s.Kind.IsAuthorizationServer() && s.Auth != nil && s.MCP == nil:
			if s.Kind == IdentityProvider && s.Auth.SigningKey == "" {
				return fmt.Errorf("identity provider %q has no signing key", s.Name)
			}
		case s.Kind == MCPServer && s.MCP != nil && s.Auth == nil:
			mcps++
		default:
			return fmt.Errorf("server %q: its description does not match its kind %q", s.Name, s.Kind)
		}
		for _, r := range s.Rules {
			if !slices.Contains(Endpoints(s.Kind), r.Endpoint) {
				return fmt.Errorf("server %q rule %q: a %s has no %q endpoint", s.Name, r.Name, s.Kind, r.Endpoint)
			}
		}
	}
	keys := map[string]bool{}
	for _, k := range c.Keys {
		keys[k.Name] = true
	}
	for _, s := range c.Servers {
		if s.Auth != nil {
			for _, k := range append(slices.Clone(s.Auth.TrustedKeys), s.Auth.SigningKey) {
				if k != "" && !keys[k] {
					return fmt.Errorf("server %q names the key %q, which is not a key of the case", s.Name, k)
				}
			}
		}
		if s.Kind != MCPServer {
			continue
		}
		if o := s.MCP.SameOriginAs; o != "" && !seen[o].IsAuthorizationServer() {
			return fmt.Errorf("server %q shares the origin of %q, which is not an authorization server of the case", s.Name, o)
		}
		for _, a := range s.MCP.AuthorizationServers {
			if seen[a] != AuthorizationServer {
				return fmt.Errorf("server %q names %q, which is not an authorization server of the case", s.Name, a)
			}
		}
	}
	if mcps == 0 {
		return fmt.Errorf("the case has no MCP server for the client to connect to")
	}
	if t := c.Client.Target; t != "" && seen[t] != MCPServer {
		return fmt.Errorf("the client target %q is not an MCP server of the case", t)
	}
	return nil
}

// ServerDescription is what a server of a case will do, as its server
// package reports it with every default applied: what `wifdsl plan` shows.
type ServerDescription struct {
	Name string     `json:"name"`
	Kind ServerKind `json:"kind"`
	// URLs are on a placeholder origin (http://127.0.0.1:NAME_PORT).
	URLs     map[string]string `json:"urls"`
	Settings map[string]string `json:"settings"`
	// Rules are the server's rules in order, each with the answer the
	// server gives when it matches.
	Rules []RuleDescription `json:"rules,omitempty"`
}

// RuleDescription is one rule and the answer its server gives.
type RuleDescription struct {
	Name string `json:"name"`
	// Endpoint is the endpoint a response rule answers; "" for a reject
	// rule, which answers at the token endpoint once its built-in checks pass.
	Endpoint string `json:"endpoint,omitempty"`
	When     string `json:"when"`
	Status   int    `json:"status"`
	Error    string `json:"error"`
}

// PlaceholderOrigin is the origin a server called name is shown on before
// it runs.
func PlaceholderOrigin(name string) string {
	return "http://127.0.0.1:" + placeholderPort(name)
}

func placeholderPort(name string) string {
	switch name {
	case "auth":
		return "AS_PORT"
	case "mcp":
		return "MCP_PORT"
	}
	out := []rune{}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, r-'a'+'A')
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			out = append(out, r)
		default:
			out = append(out, '_')
		}
	}
	return string(out) + "_PORT"
}

// PreviewURLs are the URLs of s on its placeholder origin.
func PreviewURLs(s *Server) map[string]string {
	switch {
	case s.Kind.IsAuthorizationServer() && s.Auth != nil:
		return authserver.URLs(PlaceholderOrigin(s.Name), authConfig(s))
	case s.Kind == MCPServer && s.MCP != nil:
		origin := PlaceholderOrigin(s.Name)
		if o := s.MCP.SameOriginAs; o != "" {
			origin = PlaceholderOrigin(o)
		}
		return mcpserver.URLs(origin, mcpConfig(s))
	}
	return map[string]string{}
}

// URLNames lists the URL names a server of kind k reports, sorted.
func URLNames(k ServerKind) []string {
	var urls map[string]string
	switch {
	case k.IsAuthorizationServer():
		urls = authserver.URLs("", authserver.Config{})
	case k == MCPServer:
		urls = mcpserver.URLs("", mcpserver.Config{})
	}
	return slices.Sorted(maps.Keys(urls))
}

// Endpoints lists the kinds of endpoint a server of kind k has, which its
// rules can answer.
func Endpoints(k ServerKind) []string {
	switch {
	case k.IsAuthorizationServer():
		return []string{record.EndpointMetadata, record.EndpointToken, record.EndpointAuthorize, record.EndpointRegister, record.EndpointJWKS}
	case k == MCPServer:
		return []string{record.EndpointMCP, record.EndpointPRM}
	}
	return nil
}

// Describe reports what every server of c will do, from the server
// packages themselves.
func Describe(c *Case) []ServerDescription {
	var out []ServerDescription
	for _, s := range c.Servers {
		d := ServerDescription{Name: s.Name, Kind: s.Kind, URLs: PreviewURLs(s), Settings: map[string]string{}}
		describeTLS(c, s, &d)
		switch {
		case s.Kind.IsAuthorizationServer():
			b := authConfig(s).Behaviour()
			d.Settings["grant_types_supported"] = join(b.GrantTypesSupported)
			d.Settings["registration"] = fmt.Sprint(b.Registration)
			d.Settings["verify_assertion"] = fmt.Sprint(b.VerifyAssertion)
			d.Settings["leeway"] = withDefault(b.Leeway, s.Auth.Leeway == 0)
			d.Settings["token_ttl"] = withDefault(b.TokenTTL, s.Auth.TokenTTL == 0)
			if len(b.ScopesSupported) > 0 {
				d.Settings["scopes_supported"] = join(b.ScopesSupported)
			}
			if s.Auth.SeenJTIs != nil {
				d.Settings["seen_jtis"] = s.Auth.SeenJTIs.String()
			}
			if p := s.Auth.IssuerPath; p != "" {
				d.Settings["issuer_path"] = p
			}
			d.Settings["metadata_at"] = join(authserver.MetadataPaths(s.Auth.IssuerPath, s.Auth.MetadataAt))
			if len(s.Auth.TokenEndpointAuthMethods) > 0 {
				d.Settings["token_endpoint_auth_methods"] = join(s.Auth.TokenEndpointAuthMethods)
			}
			if s.Auth.AllowJTIReuse {
				d.Settings["jti_replay"] = "false: a reused assertion is accepted"
			}
			if s.Auth.IssueRefreshTokens {
				d.Settings["refresh_tokens"] = "issued and rotated"
			}
			if len(s.Auth.TrustedKeys) > 0 {
				d.Settings["trusted_keys"] = join(s.Auth.TrustedKeys)
			}
			if dp := authConfig(s).DPoP; dp != nil {
				d.Settings["dpop"] = "proofs checked at the token endpoint; a valid proof binds the token (token_type DPoP), none gets a Bearer token"
				if dp.Nonce != "" {
					d.Settings["dpop_nonce"] = dp.Nonce + " (a valid proof without it: 400 use_dpop_nonce)"
				}
			}
			for i, r := range b.Rules {
				when := "always"
				if w := s.Auth.Rules[i].When; w != nil {
					when = w.String()
				}
				d.Rules = append(d.Rules, RuleDescription{Name: r.Name, When: when, Status: r.Status, Error: r.Error})
			}
		case s.Kind == MCPServer:
			d.Settings["endpoint"] = d.URLs["url"]
			if len(s.MCP.ScopesSupported) > 0 {
				d.Settings["scopes_supported"] = join(s.MCP.ScopesSupported)
			}
			if s.MCP.ChallengeScope != "" {
				d.Settings["challenge_scope"] = s.MCP.ChallengeScope
			}
			if len(s.MCP.AuthorizationServers) > 0 {
				d.Settings["authorization_servers"] = join(s.MCP.AuthorizationServers)
			}
			if d.URLs["metadata_url"] == "" {
				d.Settings["protected_resource_metadata"] = "none"
			} else {
				d.Settings["protected_resource_metadata"] = d.URLs["metadata_url"]
			}
			if s.MCP.EnforceExpiry {
				d.Settings["enforce_expiry"] = "true"
			}
			if o := s.MCP.SameOriginAs; o != "" {
				d.Settings["origin"] = "shared with " + o
			}
			if len(s.MCP.RequiredScopes) > 0 {
				d.Settings["required_scopes"] = join(s.MCP.RequiredScopes)
			}
			if len(s.MCP.OpenMethods) > 0 {
				d.Settings["open_methods"] = join(s.MCP.OpenMethods)
			}
			if dp := mcpConfig(s).DPoP; dp != nil {
				d.Settings["dpop"] = "DPoP challenges; tokens accepted with the DPoP or Bearer scheme; every proof checked and recorded"
				if dp.Nonce != "" {
					d.Settings["dpop_nonce"] = dp.Nonce + " (a valid proof without it: 401 use_dpop_nonce)"
				}
				if dp.Enforce {
					d.Settings["dpop_enforce"] = "a bound token sent as Bearer, or an invalid or replayed proof: 401"
				}
			}
		}
		for _, r := range s.Rules {
			when := "always"
			if r.When != nil {
				when = r.When.String()
			}
			ans := rules.Reply{Status: r.Status, Error: r.Error}.Effective()
			d.Rules = append(d.Rules, RuleDescription{Name: r.Name, Endpoint: r.Endpoint, When: when, Status: ans.Status, Error: r.Error})
		}
		out = append(out, d)
	}
	return out
}

func join(list []string) string { return strings.Join(list, ", ") }

func withDefault(d time.Duration, isDefault bool) string {
	if isDefault {
		return d.String() + " (default)"
	}
	return d.String()
}

// MetadataLocations are where an authorization server can serve its
// metadata, as the server package names them.
var MetadataLocations = slices.Clone(authserver.MetadataLocations)

// AuthMethods are the client authentication methods a token endpoint can
// accept, as the server package names them.
var AuthMethods = slices.Clone(authserver.AuthMethods)
