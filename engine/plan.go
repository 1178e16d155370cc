package engine

import (
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
)

// Level is a requirement keyword in the sense of RFC 2119.
type Level string

// The requirement levels; a failed check of each level reports the status
// that StatusFor gives.
const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
	MAY    Level = "MAY"
)

// Status is the outcome of one check, in the official harness's vocabulary.
type Status string

// Check statuses.
const (
	StatusSuccess Status = "SUCCESS"
	StatusFailure Status = "FAILURE"
	StatusWarning Status = "WARNING"
	StatusSkipped Status = "SKIPPED"
	StatusInfo    Status = "INFO"
)

// StatusFor is the status of a failed check of level l: MUST → FAILURE,
// SHOULD → WARNING, MAY → INFO.
func StatusFor(l Level) Status {
	switch l {
	case SHOULD:
		return StatusWarning
	case MAY:
		return StatusInfo
	default:
		return StatusFailure
	}
}

// Defaults for a case's time budgets.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultFailFast = 5 * time.Second
	// DefaultProtocolVersion is sent to the client as
	// MCP_CONFORMANCE_PROTOCOL_VERSION when a scenario names none.
	DefaultProtocolVersion = "2025-11-25"
)

// Plan is a compiled set of scenarios, ready to run.
type Plan struct {
	Scenarios []*Scenario
	// Suites are the named sets of scenarios a run can be limited to
	// (wifdsl run --suite NAME), in declaration order.
	Suites []*Suite
}

// Suite is a named set of scenarios of a plan.
type Suite struct {
	Name        string
	Description string
	// Scenarios are the names of its scenarios, in plan order.
	Scenarios []string
}

// Suite returns the suite named name, ignoring case (the official
// harness lowercases suite names), or nil.
func (p *Plan) Suite(name string) *Suite {
	for _, s := range p.Suites {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Cases returns every case of the plan in order.
func (p *Plan) Cases() []*Case {
	var out []*Case
	for _, s := range p.Scenarios {
		out = append(out, s.Cases...)
	}
	return out
}

// Scenario groups cases that share a name in the client contract
// (MCP_CONFORMANCE_SCENARIO).
type Scenario struct {
	Name        string
	Description string
	Extension   string
	Cases       []*Case
}

// Case is one isolated run of the client. Its parts run in this order:
// every server starts (Servers, in order), the assertions are minted, the
// context is computed, the client is launched and observed, and the checks
// judge what was observed.
type Case struct {
	Scenario    string
	Name        string
	Description string
	// ProtocolVersion is sent to the client as
	// MCP_CONFORMANCE_PROTOCOL_VERSION; empty means DefaultProtocolVersion.
	ProtocolVersion string
	// Timeout bounds the whole client run; FailFast bounds the time from
	// the first error response of an authorization server to the client's
	// exit.
	Timeout  time.Duration
	FailFast time.Duration
	// Keys are generated for the case before anything else.
	Keys []KeySpec
	// Servers are the stub servers of the case, by unique name.
	Servers []*Server
	// Assertions are the workload JWTs the harness mints with the case's
	// keys once every server has started.
	Assertions []*AssertionSpec
	// Client is how the client under test is launched.
	Client ClientSpec
	// Checks judge the observations.
	Checks []*Check
	// TLS makes every server of the case speak HTTPS with a certificate
	// of the run's CA, which the client is told to trust (CAFileEnv).
	TLS bool
	// JWTFile, if set, delivers an assertion to the client as a file too.
	JWTFile *JWTFileSpec
}

// EffectiveProtocolVersion is the MCP protocol version the case runs at:
// its ProtocolVersion, or DefaultProtocolVersion when it names none.
func (c *Case) EffectiveProtocolVersion() string {
	if c.ProtocolVersion == "" {
		return DefaultProtocolVersion
	}
	return c.ProtocolVersion
}

// ID is "scenario/case".
func (c *Case) ID() string { return c.Scenario + "/" + c.Name }

// Server looks a server of the case up by name.
func (c *Case) Server(name string) *Server {
	for _, s := range c.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ServerKind names what a stub server is.
type ServerKind string

// The kinds of stub server.
const (
	// AuthorizationServer is an OAuth 2.0 authorization server (RFC 8414
	// metadata, token endpoint, JWKS).
	AuthorizationServer ServerKind = "authorization_server"
	// MCPServer is an MCP server that is also an OAuth protected resource
	// (RFC 9728 metadata, RFC 6750 bearer challenges).
	MCPServer ServerKind = "mcp_server"
	// IdentityProvider is an enterprise identity provider: an
	// authorization server whose token endpoint is an RFC 8693 token
	// exchange issuing ID-JAGs (SEP-990).
	IdentityProvider ServerKind = "identity_provider"
)

// IsAuthorizationServer reports whether servers of kind k issue tokens
// (authorization servers and identity providers).
func (k ServerKind) IsAuthorizationServer() bool {
	return k == AuthorizationServer || k == IdentityProvider
}

// Server is a plain description of one stub server of a case. Auth is set
// for authorization servers and identity providers, MCP for MCP servers.
type Server struct {
	Name string
	Kind ServerKind
	Auth *AuthServerSpec
	MCP  *MCPServerSpec
	// Rules answer requests to the server's endpoints before their
	// built-in behaviour, in order.
	Rules []ResponseRule
}

// ResponseRule answers the requests to one endpoint of a server that its
// condition matches, in place of the endpoint's built-in behaviour.
type ResponseRule struct {
	Name string
	// Endpoint is the kind of endpoint (record.Endpoint*).
	Endpoint string
	// When decides; nil matches every request.
	When Condition
	// Status, Error and ErrorDescription are the answer; Status zero means
	// the server's default for Error (400, 401 for invalid_client …).
	Status           int
	Error            string
	ErrorDescription string
	// Extra, if set, computes the headers and the body of the answer when
	// the rule matches.
	Extra ReplyFunc
}

// Condition decides whether a rule answers a request.
type Condition interface {
	// Match reports whether the rule answers in.
	Match(env *Env, in *record.Incoming) (bool, error)
	// String is the condition's source text, for plans and reports.
	String() string
}

// ReplyFunc computes the parts of a rule's answer known only when it
// answers.
type ReplyFunc interface {
	Reply(env *Env, in *record.Incoming) (headers map[string]string, body string, err error)
}

// KeySpec is a named key the harness generates for a case.
type KeySpec struct {
	Name string
	Alg  string
}

// AuthServerSpec describes a stub authorization server. Zero fields take the
// server's defaults, which [Describe] reports.
type AuthServerSpec struct {
	GrantTypesSupported []string
	Registration        bool
	ScopesSupported     []string
	// Leeway tolerates clock skew; zero means the server's default and a
	// negative value means none.
	Leeway           time.Duration
	TokenTTL         time.Duration
	SkipVerification bool
	// Rules answer token requests, in order, after the built-in checks.
	Rules []Rule
	// SeenJTIs, if set, computes jti values the server treats as already
	// used; it is evaluated once the assertions are minted.
	SeenJTIs ValueFunc
	// IssuerPath is the path of the issuer on the server's origin.
	IssuerPath string
	// MetadataAt lists where the metadata is served (see authserver);
	// nil means the server's default, empty means none.
	MetadataAt []string
	// MetadataFields, if set, computes fields merged into the metadata
	// (null removes one) when the server starts.
	MetadataFields ValueFunc
	// TokenEndpointAuthMethods are the client authentication methods the
	// token endpoint accepts; empty means no client authentication.
	TokenEndpointAuthMethods []string
	// Clients are registered with the server.
	Clients []RegisteredClient
	// IssueRefreshTokens issues refresh tokens with access tokens.
	IssueRefreshTokens bool
	// TrustedKeys names the case keys whose signatures the server trusts
	// for assertions and subject tokens; empty means the keys the case's
	// assertions are minted with.
	TrustedKeys []string
	// SigningKey names the case key an identity provider signs ID-JAGs
	// with; IDJAGClaims are set on every ID-JAG it issues.
	SigningKey  string
	IDJAGClaims map[string]any
	// AllowJTIReuse accepts assertions whose jti was already used.
	AllowJTIReuse bool
	// PlainTokenEndpoint advertises the token endpoint on a second,
	// plain-HTTP listener: in TLS mode, a downgrade.
	PlainTokenEndpoint bool
	// AuthorizationResponseIss, if set, computes the iss parameter of
	// each authorization response (RFC 9207) from the running case: a
	// string is sent as it is, nil omits the parameter. Unset sends the
	// issuer.
	AuthorizationResponseIss ValueFunc
	// DPoP makes the token endpoint check DPoP proofs and bind tokens to
	// their keys (RFC 9449 §5); DPoPNonce, if set, is the nonce every
	// proof must carry (§8) and implies DPoP.
	DPoP      bool
	DPoPNonce string
}

// RegisteredClient is a client registered with an authorization server.
type RegisteredClient struct {
	ID     string
	Secret string
	// Key names the case key whose public part verifies the client's
	// private_key_jwt assertions.
	Key string
}

// Rule is a scenario's reason to answer a token request with an error.
type Rule struct {
	Name             string
	When             Predicate
	Error            string
	ErrorDescription string
	Status           int
}

// Predicate decides whether a rule applies to a token request: Match
// gets the request as in.Token and the assertion's verified claims as
// in.Claims.
type Predicate = Condition

// MCPServerSpec describes a stub MCP server.
type MCPServerSpec struct {
	// Path is the MCP endpoint path; empty means the server's default.
	Path            string
	ScopesSupported []string
	ChallengeScope  string
	// AuthorizationServers names the case's authorization servers the
	// protected resource metadata lists and whose tokens it accepts; empty
	// means every authorization server of the case.
	AuthorizationServers []string
	// EnforceExpiry answers an expired token 401 invalid_token.
	EnforceExpiry bool
	// RequiredScopes must be granted to every token; MethodScopes add
	// scopes per JSON-RPC method (a trailing "*" is a prefix).
	RequiredScopes []string
	MethodScopes   map[string][]string
	// OpenMethods need no token.
	OpenMethods []string
	// PRMAt lists where the protected resource metadata is served ("path",
	// "root" or an absolute path); nil means the default, empty none.
	PRMAt []string
	// PRMFields, if set, computes fields merged into the protected
	// resource metadata (null removes one) when the server starts.
	PRMFields ValueFunc
	// OmitResourceMetadata leaves resource_metadata out of challenges.
	OmitResourceMetadata bool
	// SameOriginAs names an authorization server of the case whose origin
	// the MCP server shares (one host and port for both); empty means an
	// origin of its own.
	SameOriginAs string
	// DPoP puts the server in DPoP mode (RFC 9449 §7): DPoP challenges,
	// the DPoP scheme accepted, every proof checked and recorded.
	// DPoPNonce, if set, is the nonce every proof must carry (§9);
	// DPoPEnforce refuses bound tokens sent as Bearer and invalid proofs.
	// Either implies DPoP.
	DPoP        bool
	DPoPNonce   string
	DPoPEnforce bool
}

// AssertionSpec is one JWT the harness signs: with the case's key for
// Alg, or with the named Key.
type AssertionSpec struct {
	Name string
	Alg  string
	// Key names a case key to sign with instead; Typ, if set, is the JOSE
	// header's typ.
	Key string
	Typ string
	// Claims computes the claims once the servers' URLs are known.
	Claims ClaimsFunc
}

// ClaimsFunc computes an assertion's claims at run time.
type ClaimsFunc interface {
	Claims(env *Env, now time.Time) (jwt.Claims, error)
	// Preview describes the claims without a running case, for plans.
	Preview() map[string]string
}

// ClientSpec is how the client under test is launched: as
// `<command> <URL of the MCP server Target>`.
type ClientSpec struct {
	// Target names the MCP server whose URL the client gets; empty means
	// the case's first MCP server.
	Target string
	// Context computes the scenario context the client receives in
	// MCP_CONFORMANCE_CONTEXT (the runner adds "name"); nil means none
	// beyond the name.
	Context ValueFunc
}

// ValueFunc computes a value at run time from the case environment.
type ValueFunc interface {
	Value(env *Env) (any, error)
	String() string
}

// Previewer is implemented by a ValueFunc that can describe its value
// before a run.
type Previewer interface {
	Preview() map[string]string
}

// SpecReference points at the text a check verifies.
type SpecReference struct {
	ID  string `json:"id"`
	URL string `json:"url,omitempty"`
}

// Check is one judgement about the client's behaviour.
type Check struct {
	ID             string
	Name           string
	Description    string
	Level          Level
	SpecReferences []SpecReference
	Eval           Evaluator
	// Location is where the condition is written, "file:line".
	Location string
}

// Evaluator computes a check's outcome from the observations.
type Evaluator interface {
	Evaluate(obs *Observations) Outcome
	// String is the condition's source text.
	String() string
}

// Outcome is what an Evaluator found.
type Outcome struct {
	// Pass is true when the condition held.
	Pass bool
	// Err is set when the condition could not be evaluated; the check then
	// fails with it as the reason, whatever its level.
	Err error
	// Message explains a failure (the check's error_message).
	Message string
	// Values are the observed values the condition referenced, rendered
	// as text, e.g. "length(token_requests)": "3".
	Values map[string]string
}

// EvaluatorFunc adapts a Go function to Evaluator.
type EvaluatorFunc struct {
	Source string
	Fn     func(obs *Observations) Outcome
}

// Evaluate calls Fn.
func (f EvaluatorFunc) Evaluate(obs *Observations) Outcome { return f.Fn(obs) }

// String returns Source.
func (f EvaluatorFunc) String() string { return f.Source }
