package dsl

import (
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// The typed definitions of the scenario language. Each block's attributes
// are a struct whose hcl tags name them: the schema is derived from the
// tags (schemaFor), decoding binds attributes to the fields (bindAttrs),
// and compiling reads the fields, so each attribute name is written once.
// Expressions are kept as written; static ones are evaluated by Compile,
// late ones (see the "late" field comments) while a case runs.

// RequirementAttrs are the attributes of a requirement block.
type RequirementAttrs struct {
	Level *hcl.Attribute `hcl:"level"`
	Text  *hcl.Attribute `hcl:"text"`
	Ref   *hcl.Attribute `hcl:"ref,optional"`
	Tags  *hcl.Attribute `hcl:"tags,optional"`
}

// CheckSetAttrs are the attributes of a checkset block.
type CheckSetAttrs struct {
	Description *hcl.Attribute `hcl:"description,optional"`
	Checks      *hcl.Attribute `hcl:"checks,optional"`
}

// CheckAttrs are the attributes of a check block.
type CheckAttrs struct {
	Name         *hcl.Attribute `hcl:"name,optional"`
	Description  *hcl.Attribute `hcl:"description,optional"`
	Verifies     *hcl.Attribute `hcl:"verifies,optional"`
	Level        *hcl.Attribute `hcl:"level,optional"`
	Condition    *hcl.Attribute `hcl:"condition"`              // late: over the observations
	ErrorMessage *hcl.Attribute `hcl:"error_message,optional"` // late: over the observations
	Enabled      *hcl.Attribute `hcl:"enabled,optional"`       // static, per case: over protocol_version
}

// SuiteAttrs are the attributes of a suite block.
type SuiteAttrs struct {
	Description *hcl.Attribute `hcl:"description,optional"`
	Scenarios   *hcl.Attribute `hcl:"scenarios"`
}

// CaseAttrs are the attributes scenario and case bodies share.
type CaseAttrs struct {
	Description *hcl.Attribute `hcl:"description,optional"`
	Timeout     *hcl.Attribute `hcl:"timeout,optional"`
	FailFast    *hcl.Attribute `hcl:"fail_fast,optional"`
	Context     *hcl.Attribute `hcl:"context,optional"` // late: over the servers and assertions
	Checks      *hcl.Attribute `hcl:"checks,optional"`
	Target      *hcl.Attribute `hcl:"target,optional"`
	TLS         *hcl.Attribute `hcl:"tls,optional"`
}

// ScenarioAttrs are the attributes only a scenario block has.
type ScenarioAttrs struct {
	Extension       *hcl.Attribute `hcl:"extension,optional"`
	ProtocolVersion *hcl.Attribute `hcl:"protocol_version,optional"`
}

// AuthServerAttrs are the attributes of an auth_server block.
type AuthServerAttrs struct {
	GrantTypesSupported *hcl.Attribute `hcl:"grant_types_supported,optional"`
	Registration        *hcl.Attribute `hcl:"registration,optional"`
	ScopesSupported     *hcl.Attribute `hcl:"scopes_supported,optional"`
	Leeway              *hcl.Attribute `hcl:"leeway,optional"`
	TokenTTL            *hcl.Attribute `hcl:"token_ttl,optional"`
	VerifyAssertion     *hcl.Attribute `hcl:"verify_assertion,optional"`
	SeenJTIs            *hcl.Attribute `hcl:"seen_jtis,optional"` // late: over the assertions
	JTIReplay           *hcl.Attribute `hcl:"jti_replay,optional"`
	RefreshTokens       *hcl.Attribute `hcl:"refresh_tokens,optional"`
	PlainTokenEndpoint  *hcl.Attribute `hcl:"plain_token_endpoint,optional"`
}

// RuleAttrs are the attributes of a reject block.
type RuleAttrs struct {
	When             *hcl.Attribute `hcl:"when"` // late: over the token request
	Error            *hcl.Attribute `hcl:"error,optional"`
	ErrorDescription *hcl.Attribute `hcl:"error_description,optional"`
	Status           *hcl.Attribute `hcl:"status,optional"`
}

// MCPServerAttrs are the attributes of an mcp_server block.
type MCPServerAttrs struct {
	Path            *hcl.Attribute `hcl:"path,optional"`
	ScopesSupported *hcl.Attribute `hcl:"scopes_supported,optional"`
	ChallengeScope  *hcl.Attribute `hcl:"challenge_scope,optional"`
	EnforceExpiry   *hcl.Attribute `hcl:"enforce_expiry,optional"`
}

// KeyAttrs are the attributes of a key block.
type KeyAttrs struct {
	Alg *hcl.Attribute `hcl:"alg,optional"`
}

// ServerAttrs are the attributes of a server block. Which apply depends on
// its kind; Compile reports the others.
type ServerAttrs struct {
	Kind *hcl.Attribute `hcl:"kind,optional"` // required once scenario and case are merged
	// Authorization servers and identity providers.
	IssuerPath               *hcl.Attribute `hcl:"issuer_path,optional"`
	MetadataAt               *hcl.Attribute `hcl:"metadata_at,optional"`
	Metadata                 *hcl.Attribute `hcl:"metadata,optional"` // late: over the servers started before
	GrantTypesSupported      *hcl.Attribute `hcl:"grant_types_supported,optional"`
	Registration             *hcl.Attribute `hcl:"registration,optional"`
	ScopesSupported          *hcl.Attribute `hcl:"scopes_supported,optional"`
	Leeway                   *hcl.Attribute `hcl:"leeway,optional"`
	TokenTTL                 *hcl.Attribute `hcl:"token_ttl,optional"`
	VerifyAssertion          *hcl.Attribute `hcl:"verify_assertion,optional"`
	SeenJTIs                 *hcl.Attribute `hcl:"seen_jtis,optional"` // late: over the assertions
	JTIReplay                *hcl.Attribute `hcl:"jti_replay,optional"`
	TokenEndpointAuthMethods *hcl.Attribute `hcl:"token_endpoint_auth_methods,optional"`
	Clients                  *hcl.Attribute `hcl:"clients,optional"`
	RefreshTokens            *hcl.Attribute `hcl:"refresh_tokens,optional"`
	TrustedKeys              *hcl.Attribute `hcl:"trusted_keys,optional"`
	PlainTokenEndpoint       *hcl.Attribute `hcl:"plain_token_endpoint,optional"`
	SigningKey               *hcl.Attribute `hcl:"signing_key,optional"`
	IDJAGClaims              *hcl.Attribute `hcl:"id_jag_claims,optional"`
	AuthorizationResponseIss *hcl.Attribute `hcl:"authorization_response_iss,optional"` // late: over the running case
	// Authorization servers and MCP servers.
	DPoP      *hcl.Attribute `hcl:"dpop,optional"`
	DPoPNonce *hcl.Attribute `hcl:"dpop_nonce,optional"`
	// MCP servers.
	Path                        *hcl.Attribute `hcl:"path,optional"`
	ChallengeScope              *hcl.Attribute `hcl:"challenge_scope,optional"`
	AuthorizationServers        *hcl.Attribute `hcl:"authorization_servers,optional"`
	EnforceExpiry               *hcl.Attribute `hcl:"enforce_expiry,optional"`
	RequiredScopes              *hcl.Attribute `hcl:"required_scopes,optional"`
	MethodScopes                *hcl.Attribute `hcl:"method_scopes,optional"`
	OpenMethods                 *hcl.Attribute `hcl:"open_methods,optional"`
	ResourceMetadataAt          *hcl.Attribute `hcl:"resource_metadata_at,optional"`
	ResourceMetadata            *hcl.Attribute `hcl:"resource_metadata,optional"` // late: over the servers started before
	ResourceMetadataInChallenge *hcl.Attribute `hcl:"resource_metadata_in_challenge,optional"`
	SameOriginAs                *hcl.Attribute `hcl:"same_origin_as,optional"`
	DPoPEnforce                 *hcl.Attribute `hcl:"dpop_enforce,optional"`
}

// ResponseRuleAttrs are the attributes of a rule block.
type ResponseRuleAttrs struct {
	Endpoint         *hcl.Attribute `hcl:"endpoint"`
	When             *hcl.Attribute `hcl:"when,optional"` // late: over the request
	Status           *hcl.Attribute `hcl:"status,optional"`
	Error            *hcl.Attribute `hcl:"error,optional"`
	ErrorDescription *hcl.Attribute `hcl:"error_description,optional"`
	Headers          *hcl.Attribute `hcl:"headers,optional"` // late: over the request
	Body             *hcl.Attribute `hcl:"body,optional"`    // late: over the request
}

// AssertionAttrs are the attributes of an assertion block.
type AssertionAttrs struct {
	Issuer    *hcl.Attribute `hcl:"issuer,optional"`   // late
	Subject   *hcl.Attribute `hcl:"subject,optional"`  // late
	Audience  *hcl.Attribute `hcl:"audience,optional"` // late
	ExpiresIn *hcl.Attribute `hcl:"expires_in,optional"`
	IssuedAt  *hcl.Attribute `hcl:"issued_at,optional"`
	NotBefore *hcl.Attribute `hcl:"not_before,optional"`
	JTI       *hcl.Attribute `hcl:"jti,optional"`    // late
	Claims    *hcl.Attribute `hcl:"claims,optional"` // late
	Alg       *hcl.Attribute `hcl:"alg,optional"`
	Key       *hcl.Attribute `hcl:"key,optional"`
	Typ       *hcl.Attribute `hcl:"typ,optional"`
}

// blockHeaders lists, for each block type that holds blocks, the blocks it
// holds; the attributes come from the typed structs above.
var blockHeaders = map[string][]hcl.BlockHeaderSchema{
	"(file)": {
		{Type: "requirement", LabelNames: []string{"id"}},
		{Type: "checkset", LabelNames: []string{"name"}},
		{Type: "scenario", LabelNames: []string{"name"}},
		{Type: "variant", LabelNames: []string{"name"}},
		{Type: "suite", LabelNames: []string{"name"}},
	},
	"checkset": {checkBlock},
	"check":    {{Type: "locals"}}, // named values over the observations: checklocals.go
	"scenario": append([]hcl.BlockHeaderSchema{{Type: "case", LabelNames: []string{"name"}}}, caseBlocks...),
	"case":     caseBlocks,
	"auth_server": {
		{Type: "reject", LabelNames: []string{"name"}},
		{Type: "rule", LabelNames: []string{"name"}},
	},
	"mcp_server": {
		{Type: "rule", LabelNames: []string{"name"}},
	},
	"server": {
		{Type: "reject", LabelNames: []string{"name"}},
		{Type: "rule", LabelNames: []string{"name"}},
	},
}

var checkBlock = hcl.BlockHeaderSchema{Type: "check", LabelNames: []string{"id"}}

var caseBlocks = []hcl.BlockHeaderSchema{
	{Type: "server", LabelNames: []string{"name"}},
	{Type: "key", LabelNames: []string{"name"}},
	{Type: "auth_server"},
	{Type: "mcp_server"},
	{Type: "assertion", LabelNames: []string{"name"}},
	jwtFileBlock,
	checkBlock,
}

// attrsOf lists, for each block type, the typed structs of its attributes.
var attrsOf = map[string][]any{
	"(file)":      nil,
	"requirement": {&RequirementAttrs{}},
	"checkset":    {&CheckSetAttrs{}},
	"check":       {&CheckAttrs{}},
	"scenario":    {&ScenarioAttrs{}, &CaseAttrs{}},
	"case":        {&CaseAttrs{}},
	"auth_server": {&AuthServerAttrs{}},
	"reject":      {&RuleAttrs{}},
	"mcp_server":  {&MCPServerAttrs{}},
	"assertion":   {&AssertionAttrs{}},
	"server":      {&ServerAttrs{}},
	"rule":        {&ResponseRuleAttrs{}},
	"key":         {&KeyAttrs{}},
	"jwt_file":    {&JWTFileAttrs{}},
	"variant":     {&VariantAttrs{}}, // see variants.go
	"suite":       {&SuiteAttrs{}},   // see suites.go
}

// schemas are the body schemas of every block type, derived once.
var schemas = func() map[string]*hcl.BodySchema {
	out := map[string]*hcl.BodySchema{}
	for typ, structs := range attrsOf {
		s := &hcl.BodySchema{Blocks: blockHeaders[typ]}
		for _, v := range structs {
			s.Attributes = append(s.Attributes, attributeSchemas(v)...)
		}
		out[typ] = s
	}
	return out
}()

// attributeSchemas derives the attribute schemas of a typed attribute
// struct from its tags, in field order: "name" is required and
// "name,optional" is not, as in gohcl.
func attributeSchemas(v any) []hcl.AttributeSchema {
	var out []hcl.AttributeSchema
	rt := reflect.TypeOf(v).Elem()
	for i := 0; i < rt.NumField(); i++ {
		tag := rt.Field(i).Tag.Get("hcl")
		if tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		out = append(out, hcl.AttributeSchema{Name: name, Required: opts != "optional"})
	}
	return out
}

// Schemas lists every block type with its schema, for documentation tests
// and tooling.
func Schemas() map[string]*hcl.BodySchema {
	out := make(map[string]*hcl.BodySchema, len(schemas))
	for k, v := range schemas {
		out[k] = v
	}
	return out
}

// bindAttrs sets each field of dst (a pointer to a typed attribute struct)
// to the attribute of its name, or nil.
func bindAttrs(attrs hcl.Attributes, dst any) {
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("hcl"), ",")
		if a := attrs[name]; a != nil && name != "" {
			rv.Field(i).Set(reflect.ValueOf(a))
		}
	}
}

// overlayAttrs sets every field of dst that src sets: a case's attributes
// override its scenario's. dst and src point to the same struct type.
func overlayAttrs(dst, src any) {
	sv, dv := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	for i := 0; i < dv.NumField(); i++ {
		if f := sv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			dv.Field(i).Set(f)
		}
	}
}

// mergeAttrsOnce adds the attributes src sets to dst, calling conflict for
// each attribute both set: a scenario spread over several blocks sets each
// attribute in one place. dst and src point to the same struct type.
func mergeAttrsOnce(dst, src any, conflict func(name string, at, prev *hcl.Attribute)) {
	sv, dv := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	rt := dv.Type()
	for i := 0; i < rt.NumField(); i++ {
		s, d := sv.Field(i), dv.Field(i)
		if s.Kind() != reflect.Pointer || s.IsNil() {
			continue
		}
		if !d.IsNil() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("hcl"), ",")
			conflict(name, s.Interface().(*hcl.Attribute), d.Interface().(*hcl.Attribute))
			continue
		}
		d.Set(s)
	}
}

// setAttrs returns the attributes a typed attribute struct sets, by name.
func setAttrs(v any) map[string]*hcl.Attribute {
	out := map[string]*hcl.Attribute{}
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		if a, ok := rv.Field(i).Interface().(*hcl.Attribute); ok && a != nil {
			out[a.Name] = a
		}
	}
	return out
}

// copyAttrs sets each field of dst whose tag names an attribute that src
// sets: the legacy auth_server and mcp_server blocks are read as server
// blocks this way.
func copyAttrs(dst, src any) {
	byName := setAttrs(src)
	dv := reflect.ValueOf(dst).Elem()
	rt := dv.Type()
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("hcl"), ",")
		if a := byName[name]; a != nil {
			dv.Field(i).Set(reflect.ValueOf(a))
		}
	}
}
