package cli

import (
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

// draftSpecVersion is what --spec-version draft means: the protocol
// version of the draft specification, as the official harness names it.
const draftSpecVersion = "2026-07-28"

// selection is how a command chooses what to load and which of its
// scenarios to use: --suite, --scenario, --case and --spec-version. Every
// command that selects scenarios parses them here.
type selection struct {
	suite       string
	scenarios   []string
	cases       []string
	specVersion string
}

// addSelectionFlags adds --suite and --spec-version to cmd, and with
// filters also --scenario and --case; verb starts their help ("run only").
func addSelectionFlags(cmd *cobra.Command, sel *selection, verb string, filters bool) {
	fl := cmd.Flags()
	fl.StringVar(&sel.suite, "suite", "", verb+" the scenarios of the suite `NAME` (any case; 'all' is every scenario); with no files, of the embedded official catalogue")
	if filters {
		fl.StringSliceVar(&sel.scenarios, "scenario", nil, verb+" scenarios with these names (glob patterns allowed)")
		fl.StringSliceVar(&sel.cases, "case", nil, verb+" cases with these names (glob patterns allowed)")
	}
	fl.StringVar(&sel.specVersion, "spec-version", "", "every scenario at the MCP protocol `VERSION` instead of its own (YYYY-MM-DD, or draft for "+draftSpecVersion+"): the client receives it, and checks enabled only at some versions come and go")
}

// selects reports whether any scenario, case or suite filter was given.
func (sel *selection) selects() bool {
	return sel.suite != "" || len(sel.scenarios)+len(sel.cases) > 0
}

// source is what the command loads: the files given; with none, the
// embedded official catalogue when a suite is asked for (the official
// suites live there), else the built-in suite.
func (sel *selection) source(paths []string) source {
	return source{paths: paths, catalogue: len(paths) == 0 && sel.suite != ""}
}

// options are the language options for vars and --spec-version.
func (sel *selection) options(vars map[string]string) (dsl.Options, error) {
	v, err := sel.protocolVersion()
	return dsl.Options{Vars: vars, ProtocolVersion: v}, err
}

// protocolVersion is the version --spec-version names, or "" when it is
// not given.
func (sel *selection) protocolVersion() (string, error) {
	v := sel.specVersion
	if strings.EqualFold(v, "draft") {
		v = draftSpecVersion
	}
	if v != "" && dsl.CheckProtocolVersion(v) != nil {
		return "", fmt.Errorf("--spec-version takes an MCP protocol version, a date written YYYY-MM-DD such as %s, or draft (%s); %q is not one", engine.DefaultProtocolVersion, draftSpecVersion, sel.specVersion)
	}
	return v, nil
}

// apply keeps the scenarios and cases of p the selection names: those of
// the suite, of them those --scenario matches, and of those the cases
// --case matches.
func (sel *selection) apply(p *engine.Plan, origin string) (*engine.Plan, error) {
	var suite *engine.Suite
	if sel.suite != "" {
		if suite = p.Suite(sel.suite); suite == nil {
			return nil, unknownSuite(p, sel.suite, origin)
		}
	}
	for _, pat := range append(append([]string{}, sel.scenarios...), sel.cases...) {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", pat, err)
		}
	}
	match := func(pats []string, name string) bool { return len(pats) == 0 || matchAny(pats, name) }
	inSuite := func(name string) bool {
		if suite == nil {
			return true
		}
		for _, n := range suite.Scenarios {
			if n == name {
				return true
			}
		}
		return false
	}
	out := &engine.Plan{}
	var candidates []string // the cases of the suite, for the error below
	for _, s := range p.Scenarios {
		if !inSuite(s.Name) {
			continue
		}
		for _, c := range s.Cases {
			candidates = append(candidates, s.Name+"/"+c.Name)
		}
		if !match(sel.scenarios, s.Name) {
			continue
		}
		ns := *s
		ns.Cases = nil
		for _, c := range s.Cases {
			if match(sel.cases, c.Name) {
				ns.Cases = append(ns.Cases, c)
			}
		}
		if len(ns.Cases) > 0 {
			out.Scenarios = append(out.Scenarios, &ns)
		}
	}
	if len(out.Scenarios) > 0 {
		if suite != nil {
			out.Suites = []*engine.Suite{suite}
		}
		return out, nil
	}
	if len(p.Cases()) == 0 {
		return nil, fmt.Errorf("the scenario files declare no scenario, so there is nothing to run")
	}
	var given []string
	if suite != nil {
		given = append(given, "--suite "+suite.Name)
	}
	if len(sel.scenarios) > 0 {
		given = append(given, fmt.Sprintf("--scenario %v", sel.scenarios))
	}
	if len(sel.cases) > 0 {
		given = append(given, fmt.Sprintf("--case %v", sel.cases))
	}
	what := "the cases are"
	if suite != nil {
		what = fmt.Sprintf("the cases of the suite %s are", suite.Name)
	}
	return nil, fmt.Errorf("no case matches %s; %s: %s", strings.Join(given, " "), what, strings.Join(candidates, ", "))
}

// unknownSuite is the error for a --suite the plan does not have: it
// lists the suites there are, with the closest one.
func unknownSuite(p *engine.Plan, name, origin string) error {
	var names, lower []string
	for _, s := range p.Suites {
		names = append(names, s.Name)
		lower = append(lower, strings.ToLower(s.Name))
	}
	msg := fmt.Sprintf("unknown suite %q", name)
	if s := dsl.ClosestName(strings.ToLower(name), lower); s != "" {
		for i, l := range lower {
			if l == s {
				msg += fmt.Sprintf(" (did you mean %q?)", names[i])
				break
			}
		}
	}
	return fmt.Errorf("%s; the suites of %s are: %s", msg, origin, strings.Join(names, ", "))
}

// matchAny reports whether name equals or matches one of the glob
// patterns, as suite blocks match scenario names.
func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		if dsl.MatchName(p, name) {
			return true
		}
	}
	return false
}
