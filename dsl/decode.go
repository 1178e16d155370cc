package dsl

import (
	"fmt"

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

	ctx     *hcl.EvalContext
	sources map[string][]byte
}

// Requirement is a normative statement that checks verify.
type Requirement struct {
	ID        string
	Level     engine.Level
	Text      string
	Ref       string
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
	DeclRange    hcl.Range

	verifiesRefs  []ref
	levelExplicit bool
}

// Scenario is a scenario as written.
type Scenario struct {
	Name            string
	Extension       string
	ProtocolVersion string
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
	Attrs      hcl.Attributes // description, timeout, fail_fast, context, checks
	AuthServer *ServerDef
	MCPServer  *ServerDef
	Assertions []*AssertionDef
	Checks     []*CheckDef
	CheckSets  []ref
}

// ServerDef is an auth_server or mcp_server block.
type ServerDef struct {
	Attrs     hcl.Attributes
	Rules     []*RuleDef
	DeclRange hcl.Range
}

// RuleDef is a reject block.
type RuleDef struct {
	Name      string
	Attrs     hcl.Attributes
	DeclRange hcl.Range
}

// AssertionDef is an assertion block.
type AssertionDef struct {
	Name      string
	Attrs     hcl.Attributes
	DeclRange hcl.Range
}

// ref is a static reference such as checkset.name or requirement.id.
type ref struct {
	Name  string
	Range hcl.Range
}

// Decode checks the structure of files and the references between blocks.
func Decode(files []*hcl.File) (*Config, hcl.Diagnostics) {
	cfg := &Config{
		Requirements: map[string]*Requirement{},
		CheckSets:    map[string]*CheckSet{},
		ctx:          newRootContext(Functions()),
		sources:      map[string][]byte{},
	}
	var diags hcl.Diagnostics
	scenarioRanges := map[string]hcl.Range{}
	for _, f := range files {
		if r := f.Body.MissingItemRange(); r.Filename != "" {
			cfg.sources[r.Filename] = f.Bytes
		}
		content, ds := f.Body.Content(fileSchema)
		diags = append(diags, ds...)
		if content == nil {
			continue
		}
		for _, b := range content.Blocks {
			switch b.Type {
			case "requirement":
				r, ds := cfg.decodeRequirement(b)
				diags = append(diags, ds...)
				if r == nil {
					continue
				}
				if prev, dup := cfg.Requirements[r.ID]; dup {
					diags = append(diags, duplicate("requirement", r.ID, b.LabelRanges[0], prev.DeclRange))
					continue
				}
				cfg.Requirements[r.ID] = r
				cfg.RequirementOrder = append(cfg.RequirementOrder, r.ID)
			case "checkset":
				cs, ds := cfg.decodeCheckSet(b)
				diags = append(diags, ds...)
				if prev, dup := cfg.CheckSets[cs.Name]; dup {
					diags = append(diags, duplicate("checkset", cs.Name, b.LabelRanges[0], prev.DeclRange))
					continue
				}
				cfg.CheckSets[cs.Name] = cs
			case "scenario":
				s, ds := cfg.decodeScenario(b)
				diags = append(diags, ds...)
				if prev, dup := scenarioRanges[s.Name]; dup {
					diags = append(diags, duplicate("scenario", s.Name, b.LabelRanges[0], prev))
					continue
				}
				scenarioRanges[s.Name] = b.DefRange
				cfg.Scenarios = append(cfg.Scenarios, s)
			}
		}
	}
	diags = append(diags, cfg.checkReferences()...)
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
	content, diags := b.Body.Content(requirementSchema)
	r := &Requirement{ID: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("requirement", b.Labels[0], b.LabelRanges[0])...)
	if a := content.Attributes["level"]; a != nil {
		lvl, ds := evalLevel(a, cfg.ctx)
		diags = append(diags, ds...)
		r.Level = lvl
	}
	if a := content.Attributes["text"]; a != nil {
		s, ds := evalString(a, cfg.ctx)
		diags = append(diags, ds...)
		r.Text = s
	}
	if a := content.Attributes["ref"]; a != nil {
		s, ds := evalString(a, cfg.ctx)
		diags = append(diags, ds...)
		r.Ref = s
	}
	return r, diags
}

func (cfg *Config) decodeCheckSet(b *hcl.Block) (*CheckSet, hcl.Diagnostics) {
	content, diags := b.Body.Content(checksetSchema)
	cs := &CheckSet{Name: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("checkset", b.Labels[0], b.LabelRanges[0])...)
	if a := content.Attributes["description"]; a != nil {
		s, ds := evalString(a, cfg.ctx)
		diags = append(diags, ds...)
		cs.Description = s
	}
	if a := content.Attributes["checks"]; a != nil {
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
	content, diags := b.Body.Content(checkSchema)
	c := &CheckDef{ID: b.Labels[0], DeclRange: b.DefRange}
	diags = append(diags, checkName("check", b.Labels[0], b.LabelRanges[0])...)
	attrs := content.Attributes
	if a := attrs["name"]; a != nil {
		c.Name, diags = appendString(diags, a, cfg.ctx)
	}
	if a := attrs["description"]; a != nil {
		c.Description, diags = appendString(diags, a, cfg.ctx)
	}
	if a := attrs["verifies"]; a != nil {
		refs, ds := staticRefs(a, "requirement")
		diags = append(diags, ds...)
		for _, r := range refs {
			c.Verifies = append(c.Verifies, r.Name)
		}
		c.verifiesRefs = refs
	}
	if a := attrs["level"]; a != nil {
		lvl, ds := evalLevel(a, cfg.ctx)
		diags = append(diags, ds...)
		c.Level = lvl
		c.levelExplicit = true
	}
	if a := attrs["condition"]; a != nil {
		c.Condition = a.Expr
	}
	if a := attrs["error_message"]; a != nil {
		c.ErrorMessage = a.Expr
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	return c, diags
}

func appendString(diags hcl.Diagnostics, a *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	s, ds := evalString(a, ctx)
	return s, append(diags, ds...)
}

func (cfg *Config) decodeScenario(b *hcl.Block) (*Scenario, hcl.Diagnostics) {
	content, diags := b.Body.Content(scenarioSchema)
	s := &Scenario{Name: b.Labels[0], DeclRange: b.DefRange}
	if s.Name == "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Empty scenario name",
			Detail: "A scenario needs a name, such as \"auth/wif-jwt-bearer\".", Subject: b.LabelRanges[0].Ptr(),
		})
	}
	if a := content.Attributes["extension"]; a != nil {
		s.Extension, diags = appendString(diags, a, cfg.ctx)
	}
	if a := content.Attributes["protocol_version"]; a != nil {
		s.ProtocolVersion, diags = appendString(diags, a, cfg.ctx)
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
		cc, ds := cb.Body.Content(caseSchema)
		diags = append(diags, ds...)
		body, ds := cfg.decodeCaseBody(cc)
		diags = append(diags, ds...)
		s.Cases = append(s.Cases, &CaseDef{Name: cb.Labels[0], Body: body, DeclRange: cb.DefRange})
	}
	return s, diags
}

func (cfg *Config) decodeCaseBody(content *hcl.BodyContent) (*CaseBody, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	body := &CaseBody{Attrs: hcl.Attributes{}}
	for name, a := range content.Attributes {
		switch name {
		case "description", "timeout", "fail_fast", "context":
			body.Attrs[name] = a
		case "checks":
			refs, ds := staticRefs(a, "checkset")
			diags = append(diags, ds...)
			body.CheckSets = refs
		}
	}
	seenAssertion := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "auth_server", "mcp_server":
			schema := authServerSchema
			if b.Type == "mcp_server" {
				schema = mcpServerSchema
			}
			existing := body.AuthServer
			if b.Type == "mcp_server" {
				existing = body.MCPServer
			}
			if existing != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
					Detail:   fmt.Sprintf("Only one %s block is allowed here; the first is at %s.", b.Type, existing.DeclRange),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			c, ds := b.Body.Content(schema)
			diags = append(diags, ds...)
			sd := &ServerDef{Attrs: c.Attributes, DeclRange: b.DefRange}
			seenRule := map[string]hcl.Range{}
			for _, rb := range c.Blocks {
				if prev, dup := seenRule[rb.Labels[0]]; dup {
					diags = append(diags, duplicate("reject rule", rb.Labels[0], rb.LabelRanges[0], prev))
					continue
				}
				seenRule[rb.Labels[0]] = rb.DefRange
				rc, ds := rb.Body.Content(rejectSchema)
				diags = append(diags, ds...)
				sd.Rules = append(sd.Rules, &RuleDef{Name: rb.Labels[0], Attrs: rc.Attributes, DeclRange: rb.DefRange})
			}
			if b.Type == "auth_server" {
				body.AuthServer = sd
			} else {
				body.MCPServer = sd
			}
		case "assertion":
			diags = append(diags, checkName("assertion", b.Labels[0], b.LabelRanges[0])...)
			if prev, dup := seenAssertion[b.Labels[0]]; dup {
				diags = append(diags, duplicate("assertion", b.Labels[0], b.LabelRanges[0], prev))
				continue
			}
			seenAssertion[b.Labels[0]] = b.DefRange
			c, ds := b.Body.Content(assertionSchema)
			diags = append(diags, ds...)
			body.Assertions = append(body.Assertions, &AssertionDef{Name: b.Labels[0], Attrs: c.Attributes, DeclRange: b.DefRange})
		}
	}
	checks, ds := cfg.decodeChecks(content.Blocks)
	diags = append(diags, ds...)
	body.Checks = checks
	return body, diags
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
	if s := nameSuggestion(r.Name, known); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Reference to undeclared %s", kind),
		Detail:   detail,
		Subject:  r.Range.Ptr(),
	}
}
