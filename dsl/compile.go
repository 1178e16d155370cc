package dsl

import (
	"cmp"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DefaultExpiresIn is an assertion's lifetime when expires_in is not set.
const DefaultExpiresIn = 5 * time.Minute

// DefaultCaseName names the one case of a scenario that declares none.
const DefaultCaseName = "default"

// Compile turns the decoded scenarios into a plan: every case merged with
// its scenario, static values evaluated and checked, late expressions
// checked against placeholders and wrapped for the engine.
func (cfg *Config) Compile() (*engine.Plan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	plan := &engine.Plan{}
	memo := &lateMemo{}
	compiled := cfg.compileCases(memo)
	for i, s := range cfg.Scenarios {
		sp := &engine.Scenario{Name: s.Name, Extension: s.Extension}
		readAttr(&diags, s.Body.Attrs.Description, cfg.ctx, evalString, &sp.Description)
		for _, cc := range compiled[i] {
			diags = append(diags, cc.diags...)
			if cc.c != nil {
				sp.Cases = append(sp.Cases, cc.c)
			}
		}
		plan.Scenarios = append(plan.Scenarios, sp)
	}
	plan.Suites = cfg.planSuites() // suites.go

	diags = append(diags, cfg.hintUnverified(cfg.unverifiedRequirements())...) // suggest.go
	diags = dedupeDiagnostics(diags)                                           // diagnostics.go
	if diags.HasErrors() {
		return nil, diags
	}
	return plan, diags
}

// compiledCase is a compiled case and its diagnostics.
type compiledCase struct {
	c     *engine.Case
	diags hcl.Diagnostics
}

// compileCases compiles every case of every scenario, on as many
// goroutines as there are CPUs (cases are independent: each reads the
// configuration and evaluates expressions in its own contexts), and
// returns them by scenario in declaration order, so the plan and the
// diagnostics do not depend on the scheduling.
func (cfg *Config) compileCases(memo *lateMemo) [][]compiledCase {
	type job struct {
		s  *Scenario
		cd *CaseDef
		at *compiledCase
	}
	out := make([][]compiledCase, len(cfg.Scenarios))
	var jobs []job
	for i, s := range cfg.Scenarios {
		cases := s.Cases
		if len(cases) == 0 {
			cases = []*CaseDef{{Name: DefaultCaseName, Body: &CaseBody{}, DeclRange: s.DeclRange}}
		}
		out[i] = make([]compiledCase, len(cases))
		for j, cd := range cases {
			jobs = append(jobs, job{s: s, cd: cd, at: &out[i][j]})
		}
	}
	forEach(len(jobs), min(runtime.GOMAXPROCS(0), len(jobs)/minCasesPerWorker), func(k int) {
		jb := jobs[k]
		jb.at.c, jb.at.diags = cfg.compileCase(jb.s, jb.cd, memo)
	})
	return out
}

// minCasesPerWorker keeps small files, such as the built-in suite, on one
// goroutine: below this many cases per goroutine, starting them costs
// more than it saves.
const minCasesPerWorker = 8

// unverifiedRequirements warns about requirements no check verifies.
func (cfg *Config) unverifiedRequirements() hcl.Diagnostics {
	verified := map[string]bool{}
	mark := func(cs []*CheckDef) {
		for _, c := range cs {
			for _, v := range c.Verifies {
				verified[v] = true
			}
		}
	}
	for _, cs := range cfg.CheckSets {
		mark(cs.Checks)
	}
	for _, s := range cfg.Scenarios {
		mark(s.Body.Checks)
		for _, c := range s.Cases {
			mark(c.Body.Checks)
		}
	}
	var diags hcl.Diagnostics
	for _, id := range cfg.RequirementOrder {
		if !verified[id] {
			r := cfg.Requirements[id]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Requirement not verified",
				Detail:   fmt.Sprintf("No check verifies the requirement %q; add verifies = requirement.%s to the check that covers it.", id, id),
				Subject:  r.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

// merged is a case's view: the scenario body overridden by the case body.
type merged struct {
	keys       []*KeyDef
	attrs      CaseAttrs
	auth       AuthServerAttrs
	rules      []*RuleDef
	mcp        MCPServerAttrs
	assertions []*AssertionDef
	contexts   []*hcl.Attribute // scenario first, then case
	jwtFile    *JWTFileDef
}

func mergeBodies(s, c *CaseBody) *merged {
	m := &merged{}
	for _, b := range []*CaseBody{s, c} {
		overlayAttrs(&m.attrs, &b.Attrs)
		if b.Attrs.Context != nil {
			m.contexts = append(m.contexts, b.Attrs.Context)
		}
		if b.AuthServer != nil {
			overlayAttrs(&m.auth, &b.AuthServer.Attrs)
		}
		if b.MCPServer != nil {
			overlayAttrs(&m.mcp, &b.MCPServer.Attrs)
		}
		for _, k := range b.Keys {
			if i := slices.IndexFunc(m.keys, func(p *KeyDef) bool { return p.Name == k.Name }); i >= 0 {
				m.keys[i] = k
			} else {
				m.keys = append(m.keys, k)
			}
		}
		m.jwtFile = overlayJWTFile(m.jwtFile, b.JWTFile)
		for _, a := range b.Assertions {
			i := slices.IndexFunc(m.assertions, func(p *AssertionDef) bool { return p.Name == a.Name })
			if i < 0 {
				m.assertions = append(m.assertions, a)
				continue
			}
			over := &AssertionDef{Name: a.Name, Attrs: m.assertions[i].Attrs, DeclRange: a.DeclRange}
			overlayAttrs(&over.Attrs, &a.Attrs)
			m.assertions[i] = over
		}
	}
	// Case rules come first (they are the more specific); a case rule
	// replaces the scenario rule of the same name.
	if c.AuthServer != nil {
		m.rules = append(m.rules, c.AuthServer.Rules...)
	}
	if s.AuthServer != nil {
		for _, r := range s.AuthServer.Rules {
			if !slices.ContainsFunc(m.rules, func(cr *RuleDef) bool { return cr.Name == r.Name }) {
				m.rules = append(m.rules, r)
			}
		}
	}
	return m
}

func (cfg *Config) compileCase(s *Scenario, cd *CaseDef, memo *lateMemo) (*engine.Case, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	m := mergeBodies(s.Body, cd.Body)
	c := &engine.Case{Scenario: s.Name, Name: cd.Name, ProtocolVersion: cfg.protocolVersionOf(s)}
	readAttr(&diags, m.attrs.Description, cfg.ctx, evalString, &c.Description)
	readAttr(&diags, m.attrs.Timeout, cfg.ctx, evalPositiveDuration, &c.Timeout)
	readAttr(&diags, m.attrs.FailFast, cfg.ctx, evalPositiveDuration, &c.FailFast)
	readAttr(&diags, m.attrs.TLS, cfg.ctx, evalBool, &c.TLS)
	var names []string
	for _, a := range m.assertions {
		names = append(names, a.Name)
	}
	var keyNames []string
	for _, k := range m.keys {
		ks := engine.KeySpec{Name: k.Name, Alg: "ES256"}
		if at := k.Attrs.Alg; readAttr(&diags, at, cfg.ctx, evalString, &ks.Alg) && !slices.Contains(jwt.SupportedAlgs(), ks.Alg) {
			diags = append(diags, invalidValue(at, "Unsupported signing algorithm", fmt.Sprintf("The alg %q is not supported; use one of %s.", ks.Alg, strings.Join(jwt.SupportedAlgs(), ", "))))
		}
		c.Keys = append(c.Keys, ks)
		keyNames = append(keyNames, k.Name)
	}
	servers := mergeServers(s.Body, cd.Body, m)
	for _, ms := range servers {
		srv, ds := cfg.compileServerStatic(ms)
		diags = append(diags, ds...)
		if srv == nil {
			srv = &engine.Server{Name: ms.name, Kind: engine.AuthorizationServer, Auth: &engine.AuthServerSpec{}}
		}
		c.Servers = append(c.Servers, srv)
	}
	readAttr(&diags, m.attrs.Target, cfg.ctx, evalString, &c.Client.Target)
	if !diags.HasErrors() {
		if err := engine.CheckServers(c); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Servers that cannot start",
				Detail: fmt.Sprintf("In case %q: %s.", cd.Name, err), Subject: cd.DeclRange.Ptr()})
		}
	}
	// Late expressions are checked against this context: the env variables
	// exist but their values are unknown.
	lateCtx := cfg.ctx.NewChild()
	lateCtx.Variables = placeholderEnvVariables(c.Servers, keyNames, s.Name, cd.Name, c.ProtocolVersion, names, true)
	preview := cfg.lazyPreview(c.Servers, keyNames, s.Name, cd.Name, c.ProtocolVersion, names)
	for i, ms := range servers {
		diags = append(diags, cfg.compileServerLate(ms, c.Servers[i], lateCtx)...)
	}
	for _, a := range m.assertions {
		spec, ds := cfg.compileAssertion(a, lateCtx, preview)
		diags = append(diags, ds...)
		c.Assertions = append(c.Assertions, spec)
	}
	for _, a := range m.contexts {
		diags = append(diags, checkLateShape(a.Expr, lateCtx, "an object", isObjectLike)...)
	}
	if len(m.contexts) > 0 {
		c.Client.Context = &contextValue{cfg: cfg, exprs: m.contexts, preview: preview}
	}
	jf, ds := cfg.compileJWTFile(m.jwtFile, names)
	c.JWTFile = jf
	diags = append(diags, ds...)
	checks, ds := cfg.compileChecks(s, cd, c.ProtocolVersion, lateCtx, memo.forCase(s.Name, cd.Name, names))
	diags = append(diags, ds...)
	c.Checks = checks
	if len(checks) == 0 && !diags.HasErrors() && !cfg.decodeErrors {
		// A case with nothing to judge would pass whatever the client did.
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Case without checks",
			Detail:   fmt.Sprintf("The case %q of scenario %q has no check, so it would pass whatever the client does. Add a check block or checks = [checkset.<name>] to the case or its scenario.", cd.Name, s.Name),
			Subject:  cd.DeclRange.Ptr(),
		})
	}
	return c, diags
}

// protocolVersionOf is the protocol version the cases of s run at: the
// one of Options.ProtocolVersion, else the scenario's, else the default.
func (cfg *Config) protocolVersionOf(s *Scenario) string {
	return cmp.Or(cfg.protocolVersion, s.ProtocolVersion, engine.DefaultProtocolVersion)
}

// The names the language gives the servers of its auth_server and
// mcp_server blocks.
const (
	authServerName = "auth"
	mcpServerName  = "mcp"
)

func validErrorCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (cfg *Config) compileAssertion(a *AssertionDef, lateCtx *hcl.EvalContext, preview func() *hcl.EvalContext) (*engine.AssertionSpec, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	spec := &engine.AssertionSpec{Name: a.Name, Alg: "ES256"}
	if at := a.Attrs.Alg; at != nil {
		alg, ds := evalString(at, cfg.ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			if !slices.Contains(jwt.SupportedAlgs(), alg) {
				diags = append(diags, invalidValue(at, "Unsupported signing algorithm", fmt.Sprintf("The alg %q is not supported; use one of %s.", alg, strings.Join(jwt.SupportedAlgs(), ", "))))
			}
			spec.Alg = alg
		}
	}
	for _, at := range []*hcl.Attribute{a.Attrs.Issuer, a.Attrs.Subject, a.Attrs.JTI} {
		if at != nil {
			diags = append(diags, checkLate(at.Expr, lateCtx, "a string", cty.String)...)
		}
	}
	if at := a.Attrs.Audience; at != nil {
		diags = append(diags, checkLateShape(at.Expr, lateCtx, "a string or a list of strings", func(t cty.Type) bool {
			_, errS := convert.Convert(cty.UnknownVal(t), cty.String)
			_, errL := convert.Convert(cty.UnknownVal(t), cty.List(cty.String))
			return errS == nil || errL == nil
		})...)
	}
	if at := a.Attrs.Claims; at != nil {
		diags = append(diags, checkLateShape(at.Expr, lateCtx, "an object", isObjectLike)...)
	}
	for _, at := range []*hcl.Attribute{a.Attrs.ExpiresIn, a.Attrs.IssuedAt, a.Attrs.NotBefore} {
		if at != nil {
			// Durations are static: they are checked now.
			_, ds := evalDuration(at, cfg.ctx)
			diags = append(diags, ds...)
		}
	}
	readAttr(&diags, a.Attrs.Key, cfg.ctx, evalString, &spec.Key)
	readAttr(&diags, a.Attrs.Typ, cfg.ctx, evalString, &spec.Typ)
	spec.Claims = &claimsFunc{cfg: cfg, def: a, preview: preview}
	return spec, diags
}

func isObjectLike(t cty.Type) bool {
	return t == cty.DynamicPseudoType || t.IsObjectType() || t.IsMapType()
}

// checkLateShape is checkLate for a value whose type is accepted by ok.
func checkLateShape(expr hcl.Expression, ctx *hcl.EvalContext, want string, ok func(cty.Type) bool) hcl.Diagnostics {
	v, diags := expr.Value(ctx)
	diags = suggestFunctions(diags, ctx)
	if diags.HasErrors() || v.IsNull() || v.Type() == cty.DynamicPseudoType || ok(v.Type()) {
		return diags
	}
	return append(diags, &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Incorrect value type",
		Detail:      fmt.Sprintf("This expression must produce %s; it produces %s.", want, v.Type().FriendlyName()),
		Subject:     expr.Range().Ptr(),
		Expression:  expr,
		EvalContext: ctx,
	})
}

// suggestFunctions adds "Did you mean …?" to unknown-function errors,
// which hclsyntax marks with FunctionCallUnknownDiagExtra.
func suggestFunctions(diags hcl.Diagnostics, ctx *hcl.EvalContext) hcl.Diagnostics {
	for _, d := range diags {
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallUnknownDiagExtra](d)
		if !ok || extra.CalledFunctionNamespace() != "" || strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		var known []string
		for c := ctx; c != nil; c = c.Parent() {
			for n := range c.Functions {
				known = append(known, n)
			}
		}
		sort.Strings(known)
		if s := nameSuggestion(extra.CalledFunctionName(), known); s != "" {
			d.Detail += fmt.Sprintf(" Did you mean %q?", s)
		}
	}
	return suggestAttributes(diags) // suggest.go
}

// checkLate evaluates a late expression against unknown placeholders to
// find unknown variables, unknown functions and type errors before a run.
func checkLate(expr hcl.Expression, ctx *hcl.EvalContext, want string, ty cty.Type) hcl.Diagnostics {
	v, diags := expr.Value(ctx)
	diags = suggestFunctions(diags, ctx)
	if diags.HasErrors() {
		return diags
	}
	if ty == cty.DynamicPseudoType || !v.IsKnown() || v.IsNull() {
		return diags
	}
	if _, err := convert.Convert(v, ty); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect value type",
			Detail:      fmt.Sprintf("This expression must produce %s; it produces %s.", want, v.Type().FriendlyName()),
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		})
	}
	return diags
}

// lateMemo remembers what checkLate found for a check's expressions, so
// that a check that many cases reach through a check set is checked once
// per context shape instead of once per case: with thousands of cases
// this was the largest cost of compiling. The context a check expression
// is checked in differs between cases only in the assertion names and in
// the scenario and case names, so those are the key, each only for the
// expressions that read it.
type lateMemo struct {
	mu    sync.Mutex
	diags map[lateKey]*memoEntry
	reads map[hcl.Expression]exprReads
}

// memoEntry is the memoized diagnostics of one key, computed once.
type memoEntry struct {
	once  sync.Once
	diags hcl.Diagnostics
}

// exprReads is what of the case an expression (with those memoized with
// it) reads.
type exprReads struct {
	scope      bool // scenario, case or protocol_version
	assertions bool // assertion
}

type lateKey struct {
	expr  hcl.Expression
	want  string
	names string
	scope string
}

// caseMemo is a lateMemo seen from one case.
type caseMemo struct {
	m                   *lateMemo
	names, scenarioCase string
}

func (m *lateMemo) forCase(scenario, caseName string, names []string) caseMemo {
	return caseMemo{m: m, names: strings.Join(names, "\x00"), scenarioCase: scenario + "\x00" + caseName}
}

// checkLate is the package's checkLate, memoized.
func (cm caseMemo) checkLate(expr hcl.Expression, ctx *hcl.EvalContext, want string, ty cty.Type) hcl.Diagnostics {
	return cm.memoized(expr, want, []hcl.Expression{expr}, func() hcl.Diagnostics {
		return checkLate(expr, ctx, want, ty)
	})
}

// memoized returns check's diagnostics for the expression anchor, checked
// as want, computing them once per scope: once for every case, unless one
// of exprs reads scenario, case or protocol_version, then once per
// scenario and case; and, for expressions that read assertion, once per
// set of assertion names. Only expressions held by pointer are memoized:
// their identity is their source, while wrapped expressions (from dynamic
// blocks) may evaluate differently per use.
func (cm caseMemo) memoized(anchor hcl.Expression, want string, exprs []hcl.Expression, check func() hcl.Diagnostics) hcl.Diagnostics {
	m := cm.m
	if m == nil || reflect.TypeOf(anchor).Kind() != reflect.Pointer {
		return check()
	}
	m.mu.Lock()
	if m.reads == nil {
		m.reads, m.diags = map[hcl.Expression]exprReads{}, map[lateKey]*memoEntry{}
	}
	reads, known := m.reads[anchor]
	m.mu.Unlock()
	if !known {
		for _, e := range exprs {
			if e == nil {
				continue
			}
			for _, t := range e.Variables() {
				switch t.RootName() {
				case "scenario", "case", "protocol_version":
					reads.scope = true
				case "assertion":
					reads.assertions = true
				}
			}
		}
	}
	key := lateKey{expr: anchor, want: want}
	if reads.scope {
		key.scope = cm.scenarioCase
	}
	if reads.assertions {
		key.names = cm.names
	}
	m.mu.Lock()
	m.reads[anchor] = reads
	entry, hit := m.diags[key]
	if !hit {
		entry = &memoEntry{}
		m.diags[key] = entry
	}
	m.mu.Unlock()
	// Cases compiled at once that need the same check wait for one
	// computation rather than each doing it.
	first := false
	entry.once.Do(func() { entry.diags, first = check(), true })
	if first {
		return entry.diags
	}
	// Each case reports its own copies, as an unmemoized check would.
	cached := entry.diags
	out := make(hcl.Diagnostics, len(cached))
	for i, d := range cached {
		cp := *d
		out[i] = &cp
	}
	return out
}

func (cfg *Config) compileChecks(s *Scenario, cd *CaseDef, protocolVersion string, lateCtx *hcl.EvalContext, memo caseMemo) ([]*engine.Check, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var defs []*CheckDef
	var addSet func(name string)
	visited := map[string]bool{}
	addSet = func(name string) {
		cs := cfg.CheckSets[name]
		if cs == nil || visited[name] {
			return
		}
		visited[name] = true
		for _, inc := range cs.Includes {
			addSet(inc.Name)
		}
		defs = append(defs, cs.Checks...)
	}
	for _, b := range []*CaseBody{s.Body, cd.Body} {
		for _, r := range b.CheckSets {
			addSet(r.Name)
		}
		defs = append(defs, b.Checks...)
	}
	checkCtx := lateCtx.NewChild()
	checkCtx.Variables = staticObservations() // obsschema.go
	dynCtx := lateCtx.NewChild()
	dynCtx.Variables = placeholderObservationVariables()
	var enabledCtx *hcl.EvalContext // built on first use: few checks have enabled
	seen := map[string]*CheckDef{}
	var out []*engine.Check
	for _, d := range defs {
		if d.Enabled != nil {
			if enabledCtx == nil {
				enabledCtx = cfg.ctx.NewChild()
				enabledCtx.Variables = staticCaseVariables(s.Name, cd.Name, protocolVersion)
			}
			on, ds := evalEnabled(d.Enabled, enabledCtx)
			diags = append(diags, ds...)
			if !on {
				// Absent from the case, as a check the official harness
				// does not emit at this version; its expressions are still
				// checked, so an error does not wait for the version that
				// enables it.
				if d.Condition != nil {
					diags = append(diags, memo.checkCheck(d, checkCtx, dynCtx)...)
				}
				continue
			}
		}
		if prev, dup := seen[d.ID]; dup {
			if prev == d {
				continue // the same check reached through two check sets
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate check %q in case %q", d.ID, cd.Name),
				Detail:   fmt.Sprintf("The case %q gets a check %q from %s and another from %s. Check ids must be unique within a case.", cd.Name, d.ID, prev.DeclRange, d.DeclRange),
				Subject:  d.DeclRange.Ptr(),
			})
			continue
		}
		seen[d.ID] = d
		if d.Condition == nil {
			continue // reported by Decode: the condition is required
		}
		diags = append(diags, memo.checkCheck(d, checkCtx, dynCtx)...)
		var refs []engine.SpecReference
		for _, v := range d.Verifies {
			if r := cfg.Requirements[v]; r != nil {
				refs = append(refs, engine.SpecReference{ID: r.ID, URL: r.Ref})
			}
		}
		desc := d.Description
		if desc == "" && len(d.Verifies) > 0 {
			if r := cfg.Requirements[d.Verifies[0]]; r != nil {
				desc = r.Text
			}
		}
		out = append(out, &engine.Check{
			ID: d.ID, Name: d.Name, Description: desc, Level: d.Level,
			SpecReferences: refs,
			Eval:           &checkEval{cfg: cfg, def: d},
			Location:       fmt.Sprintf("%s:%d", d.Condition.Range().Filename, d.Condition.Range().Start.Line),
		})
	}
	return out, diags
}

// source returns the text of rng from the parsed files.
func (cfg *Config) source(rng hcl.Range) string {
	b := cfg.sources[rng.Filename]
	if rng.Start.Byte < 0 || rng.End.Byte > len(b) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(b[rng.Start.Byte:rng.End.Byte])
}
