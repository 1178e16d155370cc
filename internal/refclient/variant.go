package refclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// EnvVariant is the environment variable through which a caller (wifdsl
// prove) hands the client a Variant as JSON.
const EnvVariant = "WIFDSL_CLIENT_VARIANT"

// Variant describes, as data, how the client departs from conformant
// behaviour. The zero value is the conformant client. Each field is one
// deviation; any combination may be set. The JSON names are the names of
// the attributes of a `variant` block in a scenario file.
type Variant struct {
	// Description says what the variant does, for reports.
	Description string `json:"description,omitempty"`

	// The token request.

	// ExtraParams are form parameters added to every token request.
	ExtraParams map[string]string `json:"extra_params,omitempty"`
	// OmitParams are form parameters left out of every token request
	// (grant_type, assertion, resource, scope, or an extra one).
	OmitParams []string `json:"omit_params,omitempty"`
	// RepeatParams are form parameters sent twice.
	RepeatParams []string `json:"repeat_params,omitempty"`
	// GrantType is sent as grant_type instead of the JWT-bearer grant.
	GrantType string `json:"grant_type,omitempty"`
	// AssertionParam names the parameter that carries the workload JWT
	// instead of assertion (client_assertion for the RFC 7523 §2.2 mix-up).
	AssertionParam string `json:"assertion_param,omitempty"`
	// BasicAuth, "id:secret", is sent as HTTP Basic client credentials
	// (RFC 6749 §2.3.1) with every token request.
	BasicAuth string `json:"basic_auth,omitempty"`
	// TokenMethod is the HTTP method of the token request; "GET" sends the
	// parameters in the query string.
	TokenMethod string `json:"token_method,omitempty"`
	// TokenBody is the encoding of the token request body: "form" (the
	// default) or "json".
	TokenBody string `json:"token_body,omitempty"`
	// SelfSignedAssertion signs a JWT of its own (a fresh ES256 key, the
	// claims of valid_jwt, a new jti) instead of presenting valid_jwt.
	SelfSignedAssertion bool `json:"self_signed_assertion,omitempty"`
	// AssertionFrom names the context key whose JWT is presented instead
	// of valid_jwt and the JWT file: "expired_jwt" or "wrong_audience_jwt"
	// (the JWTs the official context hands a client to get wrong).
	AssertionFrom string `json:"assertion_from,omitempty"`
	// IgnoreChallengeScope ignores the scope of the WWW-Authenticate
	// challenge.
	IgnoreChallengeScope bool `json:"ignore_challenge_scope,omitempty"`
	// Scope is requested in every token request, replacing the
	// challenge's.
	Scope string `json:"scope,omitempty"`
	// SkipDiscovery skips the RFC 8414 metadata and posts to the issuer
	// followed by "/token".
	SkipDiscovery bool `json:"skip_discovery,omitempty"`
	// Register POSTs an RFC 7591 registration to the issuer followed by
	// "/register" before the token request, ignoring the outcome.
	Register bool `json:"register,omitempty"`

	// The authorization code flow.

	// AuthorizeOmit are query parameters left out of the authorization
	// request (code_challenge, code_challenge_method, scope, resource,
	// state).
	AuthorizeOmit []string `json:"authorize_omit,omitempty"`
	// AuthorizeParams are query parameters set on the authorization
	// request, replacing the client's ({code_challenge_method = "plain"},
	// {scope = "mcp:basic"}).
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
	// ReauthDropScopes are scopes removed from every authorization request
	// after the first (a step-up that asks only for the new scope).
	ReauthDropScopes []string `json:"reauth_drop_scopes,omitempty"`
	// RegisterOmit are fields left out of the dynamic client registration
	// request (application_type, grant_types).
	RegisterOmit []string `json:"register_omit,omitempty"`
	// ReuseRegistration registers once: every later registration request
	// gets the first registration's answer without being sent, so the
	// client presents one server's client_id to another.
	ReuseRegistration bool `json:"reuse_registration,omitempty"`
	// NoCIMD never uses a client ID metadata document, even where the
	// authorization server supports them.
	NoCIMD bool `json:"no_cimd,omitempty"`
	// IgnoreIss neither reads the iss of the authorization response nor
	// the metadata's authorization_response_iss_parameter_supported, so
	// it accepts any issuer (RFC 9207 unchecked).
	IgnoreIss bool `json:"ignore_iss,omitempty"`
	// TrustMetadataIssuer accepts authorization server metadata whatever
	// issuer it names (RFC 8414 §3.3 unchecked).
	TrustMetadataIssuer bool `json:"trust_metadata_issuer,omitempty"`
	// TrustPRMResource accepts protected resource metadata whatever
	// resource it names (RFC 9728 §3.3 unchecked).
	TrustPRMResource bool `json:"trust_prm_resource,omitempty"`
	// ProbeRootPRM first fetches the protected resource metadata at the
	// root of the MCP server's origin, whatever the challenge says.
	ProbeRootPRM bool `json:"probe_root_prm,omitempty"`
	// ProbeRootMetadata also fetches the authorization server metadata at
	// the root of its origin whenever it looks for an issuer's metadata.
	ProbeRootMetadata bool `json:"probe_root_metadata,omitempty"`
	// QuitAtStart prints an error and exits 1 before any request.
	QuitAtStart bool `json:"quit_at_start,omitempty"`

	// After the token response.

	// Retries repeats a rejected token request this many more times,
	// RetryDelay apart (default 50ms).
	Retries    int    `json:"retries,omitempty"`
	RetryDelay string `json:"retry_delay,omitempty"`
	// FallbackGrant is tried once after a rejected token request, with the
	// context's client_id, the resource and the scope.
	FallbackGrant string `json:"fallback_grant,omitempty"`
	// ThenGrant is sent once after a successful token request: for
	// refresh_token, with the refresh token received (or the access token
	// when none came); for any other grant, with the client_id.
	ThenGrant string `json:"then_grant,omitempty"`
	// IgnoreExpiry keeps using an access token after its expires_in has
	// passed; the conformant client requests a new one first.
	IgnoreExpiry bool `json:"ignore_expiry,omitempty"`
	// Pause waits this long (a Go duration) between listing the tools and
	// calling whoami, so that a short token_ttl can pass.
	Pause string `json:"pause,omitempty"`

	// MCP requests.

	// AuthScheme replaces "Bearer" in the Authorization header of MCP
	// requests (e.g. "Token").
	AuthScheme string `json:"auth_scheme,omitempty"`
	// TokenInQuery also sends the access token as ?access_token= on MCP
	// requests.
	TokenInQuery bool `json:"token_in_query,omitempty"`
	// OmitHeaders are HTTP headers removed from MCP requests, e.g.
	// "MCP-Protocol-Version".
	OmitHeaders []string `json:"omit_headers,omitempty"`

	// DPoP (RFC 9449), where the authorization server advertises it.

	// DPoPBearer presents the DPoP-bound access token with the Bearer
	// scheme instead of DPoP, its proofs still attached (RFC 9449 §7.1).
	DPoPBearer bool `json:"dpop_bearer,omitempty"`
	// DPoPReplay sends the MCP server one proof (one jti) again and
	// again instead of a fresh one per request (RFC 9449 §4.2, §11.1).
	DPoPReplay bool `json:"dpop_replay,omitempty"`
	// DPoPNoTokenProof sends no proof with token requests, so it gets an
	// unbound token, yet goes on with proofs at the MCP server.
	DPoPNoTokenProof bool `json:"dpop_no_token_proof,omitempty"`
	// DPoPIgnoreASNonce and DPoPIgnoreRSNonce do not retry with the nonce
	// of a use_dpop_nonce challenge from the token endpoint (RFC 9449
	// §8) or the MCP server (§9).
	DPoPIgnoreASNonce bool `json:"dpop_ignore_as_nonce,omitempty"`
	DPoPIgnoreRSNonce bool `json:"dpop_ignore_rs_nonce,omitempty"`

	// Output and exit.

	// Print are lines printed to stdout when the client starts.
	Print []string `json:"print,omitempty"`
	// PrintSecrets prints the assertion and the access token (the
	// assertion alone when no token was issued) to stdout.
	PrintSecrets bool `json:"print_secrets,omitempty"`
	// ErrorOutput replaces the whole error report on a failure with this
	// one line (e.g. "authorization failed").
	ErrorOutput string `json:"error_output,omitempty"`
	// ReportErrorAs reports every token error with this OAuth error code
	// instead of the one received (and no description).
	ReportErrorAs string `json:"report_error_as,omitempty"`
	// ExitCode, when set, is the exit status of every run that ends by
	// itself, success or failure.
	ExitCode *int `json:"exit_code,omitempty"`
	// Hang blocks forever at a point: "start" (before any request),
	// "after_error" (after reporting a token error) or "after_success"
	// (after the success line).
	Hang string `json:"hang,omitempty"`

	// NoRenewal treats a token the MCP server calls invalid as final
	// instead of replacing it once with a fresh exchange.
	NoRenewal bool `json:"no_renewal,omitempty"`

	// TLS and the JWT file.

	// FollowDowngrade sends the assertion to an http:// token endpoint even
	// when the metadata came over HTTPS.
	FollowDowngrade bool `json:"follow_downgrade,omitempty"`
	// StaleJWTFile reads the JWT file once at start, waits until it was
	// rewritten twice, then presents that first copy.
	StaleJWTFile bool `json:"stale_jwt_file,omitempty"`

	// The official extension flows (client credentials, enterprise-managed
	// authorization).

	// ClientAuth is how the client authenticates at the token endpoint
	// instead of the method the scenario expects: "basic", "post" or
	// "none".
	ClientAuth string `json:"client_auth,omitempty"`
	// ClientSecret replaces the context's client secret.
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientAssertionType replaces the RFC 7523 §2.2 client_assertion_type.
	ClientAssertionType string `json:"client_assertion_type,omitempty"`
	// ClientAssertionIssuer, ClientAssertionSubject and
	// ClientAssertionAudience replace the iss, sub and aud of the client
	// assertion.
	ClientAssertionIssuer   string `json:"client_assertion_issuer,omitempty"`
	ClientAssertionSubject  string `json:"client_assertion_subject,omitempty"`
	ClientAssertionAudience string `json:"client_assertion_audience,omitempty"`
	// ForgedToken sends the MCP server a token no server issued.
	ForgedToken bool `json:"forged_token,omitempty"`
	// IgnoreExchangeError presents the ID token itself to the
	// authorization server when the token exchange fails.
	IgnoreExchangeError bool `json:"ignore_exchange_error,omitempty"`

	// Hostile is for testing the runner rather than a check: "crash"
	// (SIGKILL itself after a token error), "fork" (leave a child holding
	// its output), "flood" (300 MiB to stdout), "hammer" (10,000 token
	// requests).
	Hostile string `json:"hostile,omitempty"`
}

// Allowed values of the enumerated fields.
var (
	HangPoints   = []string{"start", "after_error", "after_success"}
	TokenMethods = []string{"POST", "GET"}
	TokenBodies  = []string{"form", "json"}
	HostileKinds = []string{"crash", "fork", "flood", "hammer"}
	ClientAuths  = []string{"basic", "post", "none"}
	// AssertionSources are the context keys AssertionFrom may name.
	AssertionSources = []string{"valid_jwt", "expired_jwt", "wrong_audience_jwt"}
)

// VariantFields lists the JSON names of the fields of Variant, in order:
// the attributes a scenario file's variant block may set.
func VariantFields() []string {
	var out []string
	rt := reflect.TypeOf(Variant{})
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// ParseVariant reads a Variant from JSON, refusing unknown fields and
// values out of range.
func ParseVariant(raw string) (Variant, error) {
	var v Variant
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Variant{}, fmt.Errorf("variant: %w", err)
	}
	return v, v.Validate()
}

// Validate checks the values of the enumerated and duration fields.
func (v Variant) Validate() error {
	oneOf := func(field, val string, allowed []string) error {
		if val == "" || slices.Contains(allowed, val) {
			return nil
		}
		return fmt.Errorf("variant: %s is %q; want one of %s", field, val, strings.Join(allowed, ", "))
	}
	for _, err := range []error{
		oneOf("hang", v.Hang, HangPoints),
		oneOf("token_method", strings.ToUpper(v.TokenMethod), TokenMethods),
		oneOf("token_body", v.TokenBody, TokenBodies),
		oneOf("hostile", v.Hostile, HostileKinds),
		oneOf("client_auth", v.ClientAuth, ClientAuths),
		oneOf("assertion_from", v.AssertionFrom, AssertionSources),
	} {
		if err != nil {
			return err
		}
	}
	for field, d := range map[string]string{"retry_delay": v.RetryDelay, "pause": v.Pause} {
		if d == "" {
			continue
		}
		if x, err := time.ParseDuration(d); err != nil || x < 0 || x > time.Minute {
			return fmt.Errorf("variant: %s is %q; want a duration between 0s and 1m", field, d)
		}
	}
	if v.Retries < 0 || v.Retries > 100 {
		return fmt.Errorf("variant: retries is %d; want 0 to 100", v.Retries)
	}
	if v.ExitCode != nil && (*v.ExitCode < 0 || *v.ExitCode > 255) {
		return fmt.Errorf("variant: exit_code is %d; want 0 to 255", *v.ExitCode)
	}
	return nil
}

// JSON renders the variant as the JSON ParseVariant reads.
func (v Variant) JSON() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(buf.String())
}

func (v Variant) retryDelay() time.Duration {
	if d, err := time.ParseDuration(v.RetryDelay); err == nil {
		return d
	}
	return 50 * time.Millisecond
}

func (v Variant) pause() time.Duration {
	d, _ := time.ParseDuration(v.Pause)
	return d
}

func intPtr(i int) *int { return &i }

// namedVariants are the variants -bug NAME selects: the same mechanism as
// a scenario file's variant blocks, under short names. Most are declared
// again, as data, in scenarios.hcl and the examples; a test keeps the two
// equal.
var namedVariants = map[string]Variant{
	"retry":                {Description: "on a token error, repeats the token request 3 more times about 50 ms apart", Retries: 3},
	"grant-fallback":       {Description: "on a token error, tries grant_type=client_credentials with the context client_id", FallbackGrant: "client_credentials"},
	"hang":                 {Description: "on a token error, prints the error then blocks forever", Hang: "after_error"},
	"hang-start":           {Description: "blocks forever before making any request", Hang: "start"},
	"hang-success":         {Description: "after a successful MCP call, blocks forever instead of exiting", Hang: "after_success"},
	"exit-zero":            {Description: "prints the proper error but exits 0", ExitCode: intPtr(0)},
	"vague":                {Description: "on an error, prints only \"authorization failed\"", ErrorOutput: "authorization failed"},
	"scope-as-grant":       {Description: "reports every token error as invalid_grant", ReportErrorAs: "invalid_grant"},
	"no-resource":          {Description: "omits the resource parameter (RFC 8707) from token and authorization requests", OmitParams: []string{"resource"}, AuthorizeOmit: []string{"resource"}},
	"token-in-query":       {Description: "also sends the access token as ?access_token= on MCP requests", TokenInQuery: true},
	"leak":                 {Description: "prints its secrets (the assertion, the context's secrets) and the access token to stdout", PrintSecrets: true},
	"self-assertion":       {Description: "signs its own JWT instead of using valid_jwt", SelfSignedAssertion: true},
	"json-body":            {Description: "sends the token request as application/json", TokenBody: "json"},
	"get-request":          {Description: "sends the token request as GET with a query string", TokenMethod: "GET"},
	"client-credentials":   {Description: "uses client_credentials with a client_assertion, the RFC 7523 §2.2 mix-up", GrantType: "client_credentials", AssertionParam: "client_assertion", ExtraParams: map[string]string{"client_assertion_type": clientAssertionTypeJWTBearer}},
	"repeated-params":      {Description: "sends grant_type twice", RepeatParams: []string{"grant_type"}},
	"no-discovery":         {Description: "skips discovery and posts to the issuer (or the MCP server's origin) followed by /token", SkipDiscovery: true},
	"register":             {Description: "POSTs an RFC 7591 registration to <issuer>/register first", Register: true},
	"no-bearer":            {Description: "sends the access token with the scheme Token instead of Bearer", AuthScheme: "Token"},
	"ignore-scope":         {Description: "ignores the scope of the WWW-Authenticate challenge", IgnoreChallengeScope: true},
	"no-protocol-version":  {Description: "strips the MCP-Protocol-Version header from MCP requests", OmitHeaders: []string{"MCP-Protocol-Version"}},
	"crash":                {Description: "on a token error, kills itself with SIGKILL (hostile)", Hostile: "crash"},
	"fork":                 {Description: "leaves a child `sleep 300` running in its process group holding stdout (hostile)", Hostile: "fork"},
	"flood":                {Description: "writes 300 MiB to stdout before running (hostile)", Hostile: "flood"},
	"hammer":               {Description: "sends 10,000 token requests as fast as it can, then fails (hostile)", Hostile: "hammer"},
	"no-renewal":           {Description: "gives up when the MCP server calls its access token invalid instead of getting a new one", NoRenewal: true},
	"refresh-grant":        {Description: "after each successful token request, also tries the refresh grant", ThenGrant: "refresh_token"},
	"tls-downgrade":        {Description: "sends the assertion to an http:// token endpoint advertised over HTTPS", FollowDowngrade: true},
	"stale-jwt-file":       {Description: "reads the JWT file once at start, waits until it was rewritten twice, then sends that first copy", StaleJWTFile: true},
	"wrong-secret":         {Description: "client credentials: sends a wrong client secret", ClientSecret: "not-the-secret"},
	"secret-post":          {Description: "client credentials: sends the secret in the body (client_secret_post) where Basic is required", ClientAuth: "post"},
	"assertion-type":       {Description: "client credentials: sends a wrong client_assertion_type", ClientAssertionType: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
	"assertion-audience":   {Description: "client credentials: signs its client assertion for another audience", ClientAssertionAudience: "https://wrong.example"},
	"assertion-issuer":     {Description: "client credentials: signs its client assertion with another iss", ClientAssertionIssuer: "someone-else"},
	"assertion-subject":    {Description: "client credentials: signs its client assertion with another sub", ClientAssertionSubject: "someone-else"},
	"no-client-auth":       {Description: "enterprise-managed: presents the ID-JAG without client authentication", ClientAuth: "none"},
	"wrong-grant":          {Description: "sends grant_type=password", GrantType: "password"},
	"forged-token":         {Description: "sends the MCP server a token no server issued", ForgedToken: true},
	"expired-jwt":          {Description: "presents the context's expired_jwt instead of valid_jwt", AssertionFrom: "expired_jwt"},
	"wrong-audience-jwt":   {Description: "presents the context's wrong_audience_jwt instead of valid_jwt", AssertionFrom: "wrong_audience_jwt"},
	"no-assertion":         {Description: "omits the assertion parameter from the token request", OmitParams: []string{"assertion"}},
	"quit":                 {Description: "exits 1 at once, before any request", QuitAtStart: true},
	"grant-without-id-jag": {Description: "enterprise-managed: when the token exchange fails, presents the ID token itself to the authorization server", IgnoreExchangeError: true},
}

// Bugs returns the names accepted by -bug, sorted.
func Bugs() []string {
	names := make([]string, 0, len(namedVariants))
	for n := range namedVariants {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NamedVariant returns the variant -bug name selects, and whether the name
// is known.
func NamedVariant(name string) (Variant, bool) {
	v, ok := namedVariants[name]
	return v, ok
}

// DescribeBug returns a one-line description of the named variant, and
// whether the name is known.
func DescribeBug(name string) (string, bool) {
	v, ok := namedVariants[name]
	return v.Description, ok
}

// bugList renders the valid names for a usage message.
func bugList() string {
	return strings.Join(Bugs(), ", ")
}
