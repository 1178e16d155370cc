package dsl

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
)

// Config is a decoded set of scenario files: structure and references are
// checked, expressions are kept for Compile.
type Config struct {
	Requirements     map[string]*Requirement
	RequirementOrder []string
	CheckSets        map[string]*CheckSet
	Scenarios        []*Scenario

	Variables map[string]*Variable
	// Variants are the variant blocks, in order (see variants.go).
	Variants []*Variant
	// Suites are the suite blocks, in order (see suites.go).
	Suites []*Suite

	ctx     *hcl.EvalContext
	sources map[string][]byte
	// guards keeps the budget-guarded functions of check evaluations.
	guards guardPool
	// protocolVersion, when set, replaces every scenario's
	// protocol_version (Options.ProtocolVersion).
	protocolVersion string
	// decodeErrors is set when decoding found errors: Compile then leaves
	// out the diagnostics those errors would cause in turn.
	decodeErrors bool
}

// Requirement is a normative statement that checks verify.
type Requirement struct {
	ID        string
	Level     engine.Level
	Text      string
	Ref       string
	Tags      []string
	DeclRange hcl.Range
}

// CheckSet is a named group of checks that cases include.
type CheckSet struct {
	Name        string
	Description string
	Checks      []*CheckDef
	Includes    []ref
	DeclRange   hcl.Range
}

// CheckDef is a check as written.
type CheckDef struct {
	ID           string
	Name         string
	Description  string
	Verifies     []string
	Level        engine.Level // explicit level, or the strictest verified requirement's
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	// Enabled decides, per case, whether the check is part of it; nil
	// means always.
	Enabled *hcl.Attribute
	// Locals are the check's named values, in evaluation order.
	Locals    []*hcl.Attribute
	DeclRange hcl.Range

	verifiesRefs  []ref
	levelExplicit bool
	calls         calledOnce // the functions Condition and ErrorMessage call
}

// Scenario is a scenario as written.
type Scenario struct {
	Name            string
	Extension       string
	ProtocolVersion string
	Attrs           ScenarioAttrs
	Body            *CaseBody
	Cases           []*CaseDef
	DeclRange       hcl.Range
}

// CaseDef is a case as written; its body overrides the scenario's.
type CaseDef struct {
	Name      string
	Body      *CaseBody
	DeclRange hcl.Range
}

// CaseBody holds what scenario and case bodies have in common.
type CaseBody struct {
	Attrs      CaseAttrs
	Servers    []*ServerDef
	Keys       []*KeyDef
	AuthServer *AuthServerDef
	MCPServer  *MCPServerDef
	Assertions []*AssertionDef
	Checks     []*CheckDef
	CheckSets  []ref
	JWTFile    *JWTFileDef
}

// ServerDef is a server block.
type ServerDef struct {
	Name      string
	Attrs     ServerAttrs
	Rejects   []*RuleDef
	Rules     []*ResponseRuleDef
	DeclRange hcl.Range
}

// ResponseRuleDef is a rule block.
type ResponseRuleDef struct {
	Name      string
	Attrs     ResponseRuleAttrs
	DeclRange hcl.Range
}

// KeyDef is a key block.
type KeyDef struct {
	Name      string
	Attrs     KeyAttrs
	DeclRange hcl.Range
}

// AuthServerDef is an auth_server block.
type AuthServerDef struct {
	Attrs         AuthServerAttrs
	Rules         []*RuleDef
	ResponseRules []*ResponseRuleDef
	DeclRange     hcl.Range
}

// MCPServerDef is an mcp_server block.
type MCPServerDef struct {
	Attrs         MCPServerAttrs
	ResponseRules []*ResponseRuleDef
	DeclRange     hcl.Range
}

// RuleDef is a reject block.
type RuleDef struct {
	Name      string
	Attrs     RuleAttrs
	DeclRange hcl.Range
}

// AssertionDef is an assertion block.
type AssertionDef struct {
	Name      string
	Attrs     AssertionAttrs
	DeclRange hcl.Range
}

// ref is a static reference such as checkset.name or requirement.id.
type ref struct {
	Name  string
	Range hcl.Range
}

// Decode checks the structure of files and the references between blocks.
// The files form one configuration: a scenario may be spread over several
// of them.
func Decode(files []*hcl.File) (*Config, hcl.Diagnostics) {
	return DecodeWith(files, Options{})
}

// DecodeWith is Decode with options, such as variable values.
func DecodeWith(files []*hcl.File, opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{
		Requirements: map[string]*Requirement{},
		CheckSets:    map[string]*CheckSet{},
		sources:      map[string][]byte{},
	}
	for _, f := range files {
		if r := f.Body.MissingItemRange(); r.Filename != "" {
			cfg.sources[r.Filename] = f.Bytes
		}
	}
	var diags hcl.Diagnostics
	if v := opts.ProtocolVersion; v != "" {
		if err := CheckProtocolVersion(v); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid protocol version",
				Detail:   fmt.Sprintf("The protocol version every scenario runs at: %s.", err),
			})
		}
		cfg.protocolVersion = v
	}
	// A recursive function would never finish evaluating: refuse it
	// before anything is evaluated, whoever parsed the files.
	if ds := recursiveFunctions(files); ds.HasErrors() {
		cfg.ctx = newRootContext(Functions())
		return cfg, append(diags, ds...)
	}
	body, ds := cfg.prepare(files, opts)
	diags = append(diags, ds...)
	content, ds := body.Content(schemas["(file)"])
	diags = append(diags, ds...)
	scenarios := map[string]*Scenario{}
	if content != nil {
		decoded := cfg.decodeBlocks(content.Blocks)
		for i, b := range content.Blocks {
			switch b.Type {
			case "requirement":
				r, ds := decoded[i].v.(*Requirement), decoded[i].diags
				diags = append(diags, ds...)
				if prev, dup := cfg.Requirements[r.ID]; dup {
					if !sameRequirement(prev, r) {
						diags = append(diags, duplicate("requirement", r.ID, b.LabelRanges[0], prev.DeclRange))
					}
					continue
				}
				cfg.Requirements[r.ID] = r
				cfg.RequirementOrder = append(cfg.RequirementOrder, r.ID)
			case "checkset":
				cs, ds := decoded[i].v.(*CheckSet), decoded[i].diags
				diags = append(diags, ds...)
				if prev, dup := cfg.CheckSets[cs.Name]; dup {
					diags = append(diags, duplicate("checkset", cs.Name, b.LabelRanges[0], prev.DeclRange))
					continue
				}
				cfg.CheckSets[cs.Name] = cs
			case "scenario":
				s, ds := decoded[i].v.(*Scenario), decoded[i].diags
				diags = append(diags, ds...)
				if prev, ok := scenarios[s.Name]; ok {
					diags = append(diags, mergeScenario(prev, s)...)
					continue
				}
				scenarios[s.Name] = s
				cfg.Scenarios = append(cfg.Scenarios, s)
			case "variant":
				v, ds := decoded[i].v.(*Variant), decoded[i].diags
				diags = append(diags, ds...)
				if i := slices.IndexFunc(cfg.Variants, func(p *Variant) bool { return p.Name == v.Name }); i >= 0 {
					if p := cfg.Variants[i]; p.Description != v.Description || p.JSON() != v.JSON() {
						diags = append(diags, duplicate("variant", v.Name, b.LabelRanges[0], p.DeclRange))
					}
					continue
				}
				cfg.Variants = append(cfg.Variants, v)
			case "suite":
				su, ds := decoded[i].v.(*Suite), decoded[i].diags
				diags = append(diags, ds...)
				// Suite names are matched ignoring case, as --suite takes them.
				if i := slices.IndexFunc(cfg.Suites, func(p *Suite) bool { return strings.EqualFold(p.Name, su.Name) }); i >= 0 {
					d := duplicate("suite", su.Name, su.NameRange, cfg.Suites[i].DeclRange)
					if prev := cfg.Suites[i].Name; prev != su.Name {
						d.Detail = fmt.Sprintf("A suite named %q was already declared at %s, and --suite matches names ignoring case. Each suite needs a unique name.", prev, cfg.Suites[i].DeclRange)
					}
					diags = append(diags, d)
					continue
				}
				cfg.Suites = append(cfg.Suites, su)
			}
		}
	}
	diags = append(diags, cfg.checkReferences()...)
	diags = append(diags, cfg.checkSuites()...)
	cfg.decodeErrors = diags.HasErrors()
	if len(cfg.Scenarios) == 0 && !diags.HasErrors() && len(files) > 0 {
		var rng *hcl.Range
		if len(files) == 1 {
			r := files[0].Body.MissingItemRange()
			rng = &r
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No scenarios",
			Detail:   "These files declare no scenario block, so there is nothing to run.",
			Subject:  rng,
		})
	}
	return cfg, diags
}

// decodedBlock is a top-level block decoded on its own: a *Requirement,
// *CheckSet, *Scenario, *Variant or *Suite, and its diagnostics.
type decodedBlock struct {
	v     any
	diags hcl.Diagnostics
}

// minBlocksPerWorker keeps small files on one goroutine.
const minBlocksPerWorker = 16

// decodeBlocks decodes each top-level block on its own, on up to
// GOMAXPROCS goroutines: a block's decoding reads only the evaluation
// context that prepare built, so only putting the definitions together,
// which DecodeWith does after, depends on their order.
func (cfg *Config) decodeBlocks(blocks hcl.Blocks) []decodedBlock {
	out := make([]decodedBlock, len(blocks))
	decode := func(i int) {
		b := blocks[i]
		var d decodedBlock
		switch b.Type {
		case "requirement":
			d.v, d.diags = cfg.decodeRequirement(b)
		case "checkset":
			d.v, d.diags = cfg.decodeCheckSet(b)
		case "scenario":
			d.v, d.diags = cfg.decodeScenario(b)
		case "variant":
			d.v, d.diags = cfg.decodeVariant(b)
		case "suite":
			d.v, d.diags = cfg.decodeSuite(b)
		}
		out[i] = d
	}
	forEach(len(blocks), min(runtime.GOMAXPROCS(0), len(blocks)/minBlocksPerWorker), decode)
	return out
}

// mergeScenario adds a later block of the same scenario (typically from
// another file) to the first: cases, checks, assertions and reject rules
// add up; an attribute may be set only once.
func mergeScenario(into, from *Scenario) hcl.Diagnostics {
	var diags hcl.Diagnostics
	conflict := func(what string, at, prev hcl.Range) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Scenario %q sets %s twice", into.Name, what),
			Detail:   fmt.Sprintf("The scenario %q is spread over several blocks and %s is already set at %s. Set it in one place.", into.Name, what, prev),
			Subject:  at.Ptr(),
			Context:  prev.Ptr(),
		})
	}
	onConflict := func(prefix string) func(string, *hcl.Attribute, *hcl.Attribute) {
		return func(name string, at, prev *hcl.Attribute) {
			if prefix == "" {
				name = fmt.Sprintf("%q", name)
			}
			conflict(prefix+name, at.NameRange, prev.NameRange)
		}
	}
	mergeAttrsOnce(&into.Attrs, &from.Attrs, func(name string, at, prev *hcl.Attribute) {
		conflict(name, from.DeclRange, into.DeclRange)
	})
	into.Extension = cmp.Or(into.Extension, from.Extension)
	into.ProtocolVersion = cmp.Or(into.ProtocolVersion, from.ProtocolVersion)
	ib, fb := into.Body, from.Body
	mergeAttrsOnce(&ib.Attrs, &fb.Attrs, onConflict(""))
	if fb.AuthServer != nil {
		if ib.AuthServer == nil {
			ib.AuthServer = fb.AuthServer
		} else {
			mergeAttrsOnce(&ib.AuthServer.Attrs, &fb.AuthServer.Attrs, onConflict("auth_server."))
			ib.AuthServer.ResponseRules = append(ib.AuthServer.ResponseRules, fb.AuthServer.ResponseRules...)
			ib.AuthServer.Rules = appendNamed(&diags, "reject rule", ib.AuthServer.Rules, fb.AuthServer.Rules,
				func(r *RuleDef) (string, hcl.Range) { return r.Name, r.DeclRange })
		}
	}
	if fb.MCPServer != nil {
		if ib.MCPServer == nil {
			ib.MCPServer = fb.MCPServer
		} else {
			mergeAttrsOnce(&ib.MCPServer.Attrs, &fb.MCPServer.Attrs, onConflict("mcp_server."))
			ib.MCPServer.ResponseRules = append(ib.MCPServer.ResponseRules, fb.MCPServer.ResponseRules...)
		}
	}
	ib.Servers = appendNamed(&diags, "server", ib.Servers, fb.Servers,
		func(sd *ServerDef) (string, hcl.Range) { return sd.Name, sd.DeclRange })
	ib.Keys = appendNamed(&diags, "key", ib.Keys, fb.Keys,
		func(k *KeyDef) (string, hcl.Range) { return k.Name, k.DeclRange })
	mergeJWTFileOnce(ib, fb, onConflict("jwt_file."))
	ib.Assertions = appendNamed(&diags, "assertion", ib.Assertions, fb.Assertions,
		func(a *AssertionDef) (string, hcl.Range) { return a.Name, a.DeclRange })
	ib.Checks = appendNamed(&diags, "check", ib.Checks, fb.Checks,
		func(c *CheckDef) (string, hcl.Range) { return c.ID, c.DeclRange })
	ib.CheckSets = append(ib.CheckSets, fb.CheckSets...)
	into.Cases = appendNamed(&diags, "case", into.Cases, from.Cases,
		func(c *CaseDef) (string, hcl.Range) { return c.Name, c.DeclRange })
	return diags
}

// appendNamed appends more to have, adding to diags a duplicate
// diagnostic for each element of more whose name is already taken.
func appendNamed[T any](diags *hcl.Diagnostics, kind string, have, more []T, name func(T) (string, hcl.Range)) []T {
	for _, m := range more {
		n, at := name(m)
		for _, prev := range have {
			if pn, pr := name(prev); pn == n {
				*diags = append(*diags, duplicate(kind, n, at, pr))
			}
		}
		have = append(have, m)
	}
	return have
}

// sameRequirement reports whether two requirement blocks say the same: a
// file that must also load alone may repeat a requirement it shares with
// others, word for word.
func sameRequirement(a, b *Requirement) bool {
	return a.Level == b.Level && a.Text == b.Text && a.Ref == b.Ref && slices.Equal(a.Tags, b.Tags)
}

func duplicate(kind, name string, at, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s %q", kind, name),
		Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Each %s needs a unique name.", kind, name, prev.String(), kind),
		Subject:  at.Ptr(),
		Context:  prev.Ptr(),
	}
}

func (cfg *Config) decodeRequirement(b *hcl.Block) (*Requirement, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["requirement"])
	r := &Requirement{ID: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("requirement", b.Labels[0], b.LabelRanges[0])...)
	var attrs RequirementAttrs
	bindAttrs(content.Attributes, &attrs)
	readAttr(&diags, attrs.Level, cfg.ctx, evalLevel, &r.Level)
	readAttr(&diags, attrs.Text, cfg.ctx, evalString, &r.Text)
	readAttr(&diags, attrs.Ref, cfg.ctx, evalString, &r.Ref)
	readAttr(&diags, attrs.Tags, cfg.ctx, evalStringList, &r.Tags)
	return r, diags
}

func (cfg *Config) decodeCheckSet(b *hcl.Block) (*CheckSet, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["checkset"])
	cs := &CheckSet{Name: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("checkset", b.Labels[0], b.LabelRanges[0])...)
	var attrs CheckSetAttrs
	bindAttrs(content.Attributes, &attrs)
	readAttr(&diags, attrs.Description, cfg.ctx, evalString, &cs.Description)
	if a := attrs.Checks; a != nil {
		refs, ds := staticRefs(a, "checkset")
		diags = append(diags, ds...)
		cs.Includes = refs
	}
	checks, ds := cfg.decodeChecks(content.Blocks)
	diags = append(diags, ds...)
	cs.Checks = checks
	return cs, diags
}

func (cfg *Config) decodeChecks(blocks hcl.Blocks) ([]*CheckDef, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []*CheckDef
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if b.Type != "check" {
			continue
		}
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicate("check", b.Labels[0], b.LabelRanges[0], prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		c, ds := cfg.decodeCheck(b)
		diags = append(diags, ds...)
		out = append(out, c)
	}
	return out, diags
}

func (cfg *Config) decodeCheck(b *hcl.Block) (*CheckDef, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["check"])
	c := &CheckDef{ID: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("check", b.Labels[0], b.LabelRanges[0])...)
	var attrs CheckAttrs
	bindAttrs(content.Attributes, &attrs)
	readAttr(&diags, attrs.Name, cfg.ctx, evalString, &c.Name)
	readAttr(&diags, attrs.Description, cfg.ctx, evalString, &c.Description)
	if a := attrs.Verifies; a != nil {
		refs, ds := staticRefs(a, "requirement")
		diags = append(diags, ds...)
		for _, r := range refs {
			c.Verifies = append(c.Verifies, r.Name)
		}
		c.verifiesRefs = refs
	}
	c.levelExplicit = readAttr(&diags, attrs.Level, cfg.ctx, evalLevel, &c.Level)
	if a := attrs.Condition; a != nil {
		c.Condition = a.Expr
	}
	if a := attrs.ErrorMessage; a != nil {
		c.ErrorMessage = a.Expr
	}
	c.Enabled = attrs.Enabled
	locals, ds := cfg.decodeCheckLocals(content.Blocks)
	diags = append(diags, ds...)
	c.Locals = locals
	if c.Name == "" {
		c.Name = c.ID
	}
	return c, diags
}

func (cfg *Config) decodeScenario(b *hcl.Block) (*Scenario, hcl.Diagnostics) {
	content, diags := b.Body.Content(schemas["scenario"])
	s := &Scenario{Name: b.Labels[0], DeclRange: b.DefRange}
	if s.Name == "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Empty scenario name",
			Detail: "A scenario needs a name, such as \"auth/wif-jwt-bearer\".", Subject: b.LabelRanges[0].Ptr(),
		})
	}
	bindAttrs(content.Attributes, &s.Attrs)
	readAttr(&diags, s.Attrs.Extension, cfg.ctx, evalString, &s.Extension)
	if readAttr(&diags, s.Attrs.ProtocolVersion, cfg.ctx, evalString, &s.ProtocolVersion) {
		if err := CheckProtocolVersion(s.ProtocolVersion); err != nil {
			diags = append(diags, invalidValue(s.Attrs.ProtocolVersion, "Invalid protocol version", fmt.Sprintf("The protocol version is sent to the client as MCP_CONFORMANCE_PROTOCOL_VERSION and compared by version_at_least: %s.", err)))
			s.ProtocolVersion = "" // the default, so that the error is reported once
		}
	}
	body, ds := cfg.decodeCaseBody(content)
	diags = append(diags, ds...)
	s.Body = body
	seen := map[string]hcl.Range{}
	for _, cb := range content.Blocks {
		if cb.Type != "case" {
			continue
		}
		diags = append(diags, checkName("case", cb.Labels[0], cb.LabelRanges[0])...)
		if prev, dup := seen[cb.Labels[0]]; dup {
			diags = append(diags, duplicate("case", cb.Labels[0], cb.LabelRanges[0], prev))
			continue
		}
		seen[cb.Labels[0]] = cb.DefRange
		cc, ds := cb.Body.Content(schemas["case"])
		diags = append(diags, ds...)
		body, ds := cfg.decodeCaseBody(cc)
		diags = append(diags, ds...)
		s.Cases = append(s.Cases, &CaseDef{Name: cb.Labels[0], Body: body, DeclRange: cb.DefRange})
	}
	return s, diags
}

func (cfg *Config) decodeCaseBody(content *hcl.BodyContent) (*CaseBody, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	body := &CaseBody{}
	bindAttrs(content.Attributes, &body.Attrs)
	if a := body.Attrs.Checks; a != nil {
		refs, ds := staticRefs(a, "checkset")
		diags = append(diags, ds...)
		body.CheckSets = refs
	}
	var authAt, mcpAt *hcl.Range
	onlyOne := func(b *hcl.Block, first *hcl.Range) bool {
		if first == nil {
			return true
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
			Detail:   fmt.Sprintf("Only one %s block is allowed here; the first is at %s.", b.Type, first),
			Subject:  b.DefRange.Ptr(),
		})
		return false
	}
	seenAssertion := map[string]hcl.Range{}
	seenServer := map[string]hcl.Range{}
	seenKey := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "server":
			diags = append(diags, checkName("server", b.Labels[0], b.LabelRanges[0])...)
			if prev, dup := seenServer[b.Labels[0]]; dup {
				diags = append(diags, duplicate("server", b.Labels[0], b.LabelRanges[0], prev))
				continue
			}
			seenServer[b.Labels[0]] = b.DefRange
			sd, ds := decodeServer(b)
			diags = append(diags, ds...)
			body.Servers = append(body.Servers, sd)
		case "key":
			diags = append(diags, checkName("key", b.Labels[0], b.LabelRanges[0])...)
			if prev, dup := seenKey[b.Labels[0]]; dup {
				diags = append(diags, duplicate("key", b.Labels[0], b.LabelRanges[0], prev))
				continue
			}
			seenKey[b.Labels[0]] = b.DefRange
			c, ds := b.Body.Content(schemas["key"])
			diags = append(diags, ds...)
			kd := &KeyDef{Name: b.Labels[0], DeclRange: b.DefRange}
			bindAttrs(c.Attributes, &kd.Attrs)
			body.Keys = append(body.Keys, kd)
		case "auth_server":
			if !onlyOne(b, authAt) {
				continue
			}
			authAt = b.DefRange.Ptr()
			c, ds := b.Body.Content(schemas["auth_server"])
			diags = append(diags, ds...)
			sd := &AuthServerDef{DeclRange: b.DefRange}
			bindAttrs(c.Attributes, &sd.Attrs)
			rejects, rules, ds := decodeRules(c.Blocks)
			diags = append(diags, ds...)
			sd.Rules, sd.ResponseRules = rejects, rules
			body.AuthServer = sd
		case "mcp_server":
			if !onlyOne(b, mcpAt) {
				continue
			}
			mcpAt = b.DefRange.Ptr()
			c, ds := b.Body.Content(schemas["mcp_server"])
			diags = append(diags, ds...)
			sd := &MCPServerDef{DeclRange: b.DefRange}
			bindAttrs(c.Attributes, &sd.Attrs)
			_, rules, ds := decodeRules(c.Blocks)
			diags = append(diags, ds...)
			sd.ResponseRules = rules
			body.MCPServer = sd
		case "assertion":
			diags = append(diags, checkName("assertion", b.Labels[0], b.LabelRanges[0])...)
			if prev, dup := seenAssertion[b.Labels[0]]; dup {
				diags = append(diags, duplicate("assertion", b.Labels[0], b.LabelRanges[0], prev))
				continue
			}
			seenAssertion[b.Labels[0]] = b.DefRange
			c, ds := b.Body.Content(schemas["assertion"])
			diags = append(diags, ds...)
			ad := &AssertionDef{Name: b.Labels[0], DeclRange: b.DefRange}
			bindAttrs(c.Attributes, &ad.Attrs)
			body.Assertions = append(body.Assertions, ad)
		case "jwt_file":
			diags = append(diags, decodeJWTFile(b, body)...)
		}
	}
	checks, ds := cfg.decodeChecks(content.Blocks)
	diags = append(diags, ds...)
	body.Checks = checks
	return body, diags
}

// decodeServer decodes a server block with its reject and rule blocks.
func decodeServer(b *hcl.Block) (*ServerDef, hcl.Diagnostics) {
	c, diags := b.Body.Content(schemas["server"])
	sd := &ServerDef{Name: b.Labels[0], DeclRange: b.DefRange}
	bindAttrs(c.Attributes, &sd.Attrs)
	rejects, rules, ds := decodeRules(c.Blocks)
	sd.Rejects, sd.Rules = rejects, rules
	return sd, append(diags, ds...)
}

// decodeRules decodes the reject and rule blocks of a server; names are
// unique among both.
func decodeRules(blocks hcl.Blocks) (rejects []*RuleDef, rules []*ResponseRuleDef, diags hcl.Diagnostics) {
	seen := map[string]hcl.Range{}
	for _, rb := range blocks {
		kind := "reject rule"
		if rb.Type == "rule" {
			kind = "rule"
		}
		if prev, dup := seen[rb.Labels[0]]; dup {
			diags = append(diags, duplicate(kind, rb.Labels[0], rb.LabelRanges[0], prev))
			continue
		}
		seen[rb.Labels[0]] = rb.DefRange
		rc, ds := rb.Body.Content(schemas[rb.Type])
		diags = append(diags, ds...)
		if rb.Type == "reject" {
			rd := &RuleDef{Name: rb.Labels[0], DeclRange: rb.DefRange}
			bindAttrs(rc.Attributes, &rd.Attrs)
			rejects = append(rejects, rd)
			continue
		}
		rd := &ResponseRuleDef{Name: rb.Labels[0], DeclRange: rb.DefRange}
		bindAttrs(rc.Attributes, &rd.Attrs)
		rules = append(rules, rd)
	}
	return rejects, rules, diags
}

// checkReferences resolves verifies and checks references and fills in
// each check's level from its requirements.
func (cfg *Config) checkReferences() hcl.Diagnostics {
	var diags hcl.Diagnostics
	resolve := func(c *CheckDef) {
		for _, r := range c.verifiesRefs {
			req, ok := cfg.Requirements[r.Name]
			if !ok {
				diags = append(diags, unknownRef("requirement", r, sortedKeys(cfg.Requirements)))
				continue
			}
			if c.Level == "" || stricter(req.Level, c.Level) && !c.levelExplicit {
				c.Level = req.Level
			}
		}
		if c.Level == "" {
			c.Level = engine.MUST
		}
	}
	checkSetRefs := func(refs []ref) {
		for _, r := range refs {
			if _, ok := cfg.CheckSets[r.Name]; !ok {
				diags = append(diags, unknownRef("checkset", r, sortedKeys(cfg.CheckSets)))
			}
		}
	}
	for _, name := range sortedKeys(cfg.CheckSets) {
		cs := cfg.CheckSets[name]
		for _, c := range cs.Checks {
			resolve(c)
		}
		checkSetRefs(cs.Includes)
	}
	for _, s := range cfg.Scenarios {
		bodies := []*CaseBody{s.Body}
		for _, c := range s.Cases {
			bodies = append(bodies, c.Body)
		}
		for _, b := range bodies {
			for _, c := range b.Checks {
				resolve(c)
			}
			checkSetRefs(b.CheckSets)
		}
	}
	if !diags.HasErrors() {
		diags = append(diags, cfg.checkSetCycles()...)
	}
	return diags
}

func (cfg *Config) checkSetCycles() hcl.Diagnostics {
	var diags hcl.Diagnostics
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, via hcl.Range) bool
	visit = func(name string, via hcl.Range) bool {
		switch state[name] {
		case 1:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Check set includes itself",
				Detail:   fmt.Sprintf("The checkset %q includes itself, directly or through other check sets.", name),
				Subject:  via.Ptr(),
			})
			return false
		case 2:
			return true
		}
		state[name] = 1
		for _, inc := range cfg.CheckSets[name].Includes {
			if !visit(inc.Name, inc.Range) {
				return false
			}
		}
		state[name] = 2
		return true
	}
	for _, name := range sortedKeys(cfg.CheckSets) {
		visit(name, cfg.CheckSets[name].DeclRange)
	}
	return diags
}

func stricter(a, b engine.Level) bool {
	rank := map[engine.Level]int{engine.MUST: 3, engine.SHOULD: 2, engine.MAY: 1}
	return rank[a] > rank[b]
}

func unknownRef(kind string, r ref, known []string) *hcl.Diagnostic {
	detail := fmt.Sprintf("There is no %s named %q.", kind, r.Name)
	if s := closestName(r.Name, known); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Reference to undeclared %s", kind),
		Detail:   detail,
		Subject:  r.Range.Ptr(),
	}
}
