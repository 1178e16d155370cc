package dsl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// VariantAttrs are the attributes of a variant block: the deviations from
// conformant behaviour that the bundled reference client applies when
// `wifdsl prove` runs it as this variant. Each attribute is passed to the
// client under its own name (see internal/refclient.Variant).
type VariantAttrs struct {
	Description          *hcl.Attribute `hcl:"description,optional"`
	ExtraParams          *hcl.Attribute `hcl:"extra_params,optional"`
	OmitParams           *hcl.Attribute `hcl:"omit_params,optional"`
	RepeatParams         *hcl.Attribute `hcl:"repeat_params,optional"`
	GrantType            *hcl.Attribute `hcl:"grant_type,optional"`
	AssertionParam       *hcl.Attribute `hcl:"assertion_param,optional"`
	BasicAuth            *hcl.Attribute `hcl:"basic_auth,optional"`
	TokenMethod          *hcl.Attribute `hcl:"token_method,optional"`
	TokenBody            *hcl.Attribute `hcl:"token_body,optional"`
	SelfSignedAssertion  *hcl.Attribute `hcl:"self_signed_assertion,optional"`
	AssertionFrom        *hcl.Attribute `hcl:"assertion_from,optional"`
	IgnoreChallengeScope *hcl.Attribute `hcl:"ignore_challenge_scope,optional"`
	Scope                *hcl.Attribute `hcl:"scope,optional"`
	AuthorizeOmit        *hcl.Attribute `hcl:"authorize_omit,optional"`
	AuthorizeParams      *hcl.Attribute `hcl:"authorize_params,optional"`
	RegisterOmit         *hcl.Attribute `hcl:"register_omit,optional"`
	ReauthDropScopes     *hcl.Attribute `hcl:"reauth_drop_scopes,optional"`
	NoCIMD               *hcl.Attribute `hcl:"no_cimd,optional"`
	ReuseRegistration    *hcl.Attribute `hcl:"reuse_registration,optional"`
	IgnoreIss            *hcl.Attribute `hcl:"ignore_iss,optional"`
	TrustMetadataIssuer  *hcl.Attribute `hcl:"trust_metadata_issuer,optional"`
	TrustPRMResource     *hcl.Attribute `hcl:"trust_prm_resource,optional"`
	ProbeRootPRM         *hcl.Attribute `hcl:"probe_root_prm,optional"`
	ProbeRootMetadata    *hcl.Attribute `hcl:"probe_root_metadata,optional"`
	QuitAtStart          *hcl.Attribute `hcl:"quit_at_start,optional"`
	SkipDiscovery        *hcl.Attribute `hcl:"skip_discovery,optional"`
	Register             *hcl.Attribute `hcl:"register,optional"`
	Retries              *hcl.Attribute `hcl:"retries,optional"`
	RetryDelay           *hcl.Attribute `hcl:"retry_delay,optional"`
	FallbackGrant        *hcl.Attribute `hcl:"fallback_grant,optional"`
	ThenGrant            *hcl.Attribute `hcl:"then_grant,optional"`
	IgnoreExpiry         *hcl.Attribute `hcl:"ignore_expiry,optional"`
	Pause                *hcl.Attribute `hcl:"pause,optional"`
	AuthScheme           *hcl.Attribute `hcl:"auth_scheme,optional"`
	TokenInQuery         *hcl.Attribute `hcl:"token_in_query,optional"`
	OmitHeaders          *hcl.Attribute `hcl:"omit_headers,optional"`
	Print                *hcl.Attribute `hcl:"print,optional"`
	PrintSecrets         *hcl.Attribute `hcl:"print_secrets,optional"`
	ErrorOutput          *hcl.Attribute `hcl:"error_output,optional"`
	ReportErrorAs        *hcl.Attribute `hcl:"report_error_as,optional"`
	ExitCode             *hcl.Attribute `hcl:"exit_code,optional"`
	Hang                 *hcl.Attribute `hcl:"hang,optional"`
	NoRenewal            *hcl.Attribute `hcl:"no_renewal,optional"`
	FollowDowngrade      *hcl.Attribute `hcl:"follow_downgrade,optional"`
	StaleJWTFile         *hcl.Attribute `hcl:"stale_jwt_file,optional"`
	ClientAuth           *hcl.Attribute `hcl:"client_auth,optional"`
	ClientSecret         *hcl.Attribute `hcl:"client_secret,optional"`
	ClientAssertionType  *hcl.Attribute `hcl:"client_assertion_type,optional"`
	ClientAssertionIss   *hcl.Attribute `hcl:"client_assertion_issuer,optional"`
	ClientAssertionSub   *hcl.Attribute `hcl:"client_assertion_subject,optional"`
	ClientAssertionAud   *hcl.Attribute `hcl:"client_assertion_audience,optional"`
	ForgedToken          *hcl.Attribute `hcl:"forged_token,optional"`
	IgnoreExchangeError  *hcl.Attribute `hcl:"ignore_exchange_error,optional"`
	DPoPBearer           *hcl.Attribute `hcl:"dpop_bearer,optional"`
	DPoPReplay           *hcl.Attribute `hcl:"dpop_replay,optional"`
	DPoPNoTokenProof     *hcl.Attribute `hcl:"dpop_no_token_proof,optional"`
	DPoPIgnoreASNonce    *hcl.Attribute `hcl:"dpop_ignore_as_nonce,optional"`
	DPoPIgnoreRSNonce    *hcl.Attribute `hcl:"dpop_ignore_rs_nonce,optional"`
}

// variantTypes is the type of each variant attribute; the rest are strings.
var variantTypes = map[string]cty.Type{
	"extra_params":           cty.Map(cty.String),
	"omit_params":            cty.List(cty.String),
	"repeat_params":          cty.List(cty.String),
	"omit_headers":           cty.List(cty.String),
	"print":                  cty.List(cty.String),
	"self_signed_assertion":  cty.Bool,
	"ignore_challenge_scope": cty.Bool,
	"skip_discovery":         cty.Bool,
	"register":               cty.Bool,
	"ignore_expiry":          cty.Bool,
	"token_in_query":         cty.Bool,
	"print_secrets":          cty.Bool,
	"retries":                cty.Number,
	"exit_code":              cty.Number,
	"follow_downgrade":       cty.Bool,
	"no_renewal":             cty.Bool,
	"stale_jwt_file":         cty.Bool,
	"forged_token":           cty.Bool,
	"ignore_exchange_error":  cty.Bool,
	"authorize_omit":         cty.List(cty.String),
	"authorize_params":       cty.Map(cty.String),
	"register_omit":          cty.List(cty.String),
	"reauth_drop_scopes":     cty.List(cty.String),
	"no_cimd":                cty.Bool,
	"reuse_registration":     cty.Bool,
	"ignore_iss":             cty.Bool,
	"trust_metadata_issuer":  cty.Bool,
	"trust_prm_resource":     cty.Bool,
	"probe_root_prm":         cty.Bool,
	"probe_root_metadata":    cty.Bool,
	"quit_at_start":          cty.Bool,
	"dpop_bearer":            cty.Bool,
	"dpop_replay":            cty.Bool,
	"dpop_no_token_proof":    cty.Bool,
	"dpop_ignore_as_nonce":   cty.Bool,
	"dpop_ignore_rs_nonce":   cty.Bool,
}

// variantChoices are the accepted values of the enumerated attributes.
var variantChoices = map[string][]string{
	"hang":           {"start", "after_error", "after_success"},
	"token_method":   {"POST", "GET"},
	"token_body":     {"form", "json"},
	"assertion_from": {"valid_jwt", "expired_jwt", "wrong_audience_jwt"},
}

// variantRanges bound the whole-number attributes.
var variantRanges = map[string][2]int{
	"retries":   {0, 100},
	"exit_code": {0, 255},
}

// Variant is a variant block: a named departure from conformant behaviour
// of the bundled reference client, used by `wifdsl prove` to show that a
// check can fail.
type Variant struct {
	Name        string
	Description string
	// Fields are the deviations by attribute name, as JSON-shaped Go
	// values (string, bool, int64, []any, map[string]any).
	Fields    map[string]any
	DeclRange hcl.Range
}

// JSON renders the deviations as the JSON object the reference client
// reads.
func (v *Variant) JSON() string {
	b, _ := json.Marshal(v.Fields)
	return string(b)
}

// VariantAttributes lists the attributes a variant block may set.
func VariantAttributes() []string {
	var out []string
	for _, a := range attributeSchemas(&VariantAttrs{}) {
		out = append(out, a.Name)
	}
	return out
}

func (cfg *Config) decodeVariant(b *hcl.Block) (*Variant, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["variant"])
	v := &Variant{Name: b.Labels[0], DeclRange: b.DefRange, Fields: map[string]any{}}
	diags = append(diags, checkName("variant", v.Name, b.LabelRanges[0])...)
	var attrs VariantAttrs
	bindAttrs(content.Attributes, &attrs)
	for name, a := range setAttrs(&attrs) {
		val, ds := evalValue(a, cfg.ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() || val.IsNull() {
			continue
		}
		ty, ok := variantTypes[name]
		if !ok {
			ty = cty.String
		}
		cv, err := convert.Convert(val, ty)
		if err != nil {
			diags = append(diags, typeError(a, friendlyType(ty), val.Type(), cfg.ctx))
			continue
		}
		g, err := ctyToGo(cv)
		if err != nil {
			diags = append(diags, invalidValue(a, "Invalid value", err.Error()))
			continue
		}
		if d := checkVariantValue(a, name, g); d != nil {
			diags = append(diags, d)
			continue
		}
		if name == "description" {
			v.Description, _ = g.(string)
			continue
		}
		v.Fields[name] = g
	}
	return v, diags
}

func friendlyType(ty cty.Type) string {
	switch {
	case ty == cty.Bool:
		return "a bool"
	case ty == cty.Number:
		return "a whole number"
	case ty.IsListType():
		return "a list of strings"
	case ty.IsMapType():
		return "a map of strings"
	}
	return "a string"
}

// checkVariantValue checks the value of an enumerated, ranged or duration
// attribute.
func checkVariantValue(a *hcl.Attribute, name string, g any) *hcl.Diagnostic {
	if choices, ok := variantChoices[name]; ok {
		s, _ := g.(string)
		if name == "token_method" {
			s = strings.ToUpper(s)
		}
		if !slices.Contains(choices, s) {
			return invalidValue(a, "Invalid value", fmt.Sprintf("The %q attribute is one of %s; %q is not.", name, quoteAll(choices), g))
		}
	}
	if r, ok := variantRanges[name]; ok {
		n, isInt := g.(int64)
		if !isInt || n < int64(r[0]) || n > int64(r[1]) {
			return invalidValue(a, "Invalid value", fmt.Sprintf("The %q attribute takes a whole number from %d to %d.", name, r[0], r[1]))
		}
	}
	if name == "pause" || name == "retry_delay" {
		s, _ := g.(string)
		if d, err := time.ParseDuration(s); err != nil || d < 0 || d > time.Minute {
			return invalidValue(a, "Invalid duration", fmt.Sprintf("The %q attribute takes a duration from \"0s\" to \"1m\", such as \"50ms\"; %q is not one.", name, s))
		}
	}
	return nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
