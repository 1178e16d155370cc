package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
	"gopkg.in/yaml.v3"
)

// A baseline (--expected-failures FILE) is the official harness's YAML:
//
//	client:
//	  - auth/wif-jwt-bearer                     # every check of the scenario may fail
//	  - auth/wif-jwt-bearer:wif-no-retry        # this check may fail, in any case
//	  - auth/wif-jwt-bearer/rejected-scope      # every check of one case may fail (wifdsl)
//	  - auth/wif-jwt-bearer/rejected-scope:wif-no-retry   # one check of one case (wifdsl)
//	server: [...]                               # accepted, not used by client runs
//
// An entry is split at its first colon into a target and an optional check
// id; the target is a scenario name or, failing that, "<scenario>/<case>".
// The verdict is the official one: FAILURE and WARNING count as failing; a
// failing check no entry covers is an unexpected failure; an entry is
// stale when the checks it names ran and none fails any more (for a check
// that ran in several cases, its worst status counts); either gives exit
// status 1, and otherwise the run passes even with failures. Entries that
// name no check of the run are ignored, with a warning when they name
// nothing in the scenario files at all.

// baselineEntry is one client entry of a baseline file.
type baselineEntry struct {
	raw    string
	target string // scenario name or scenario/case
	check  string // check id, or "" for the whole target
	// Resolved against the plan:
	scenario string
	kase     string // "" for a scenario-level entry
}

// baseline is a parsed and resolved expected-failures file.
type baseline struct {
	file    string
	entries []*baselineEntry
	// Lookups from what an entry covers to the entry.
	scenarios   map[string]*baselineEntry // scenario
	scenarioChk map[string]*baselineEntry // scenario + "\x00" + check
	cases       map[string]*baselineEntry // scenario + "\x00" + case
	caseChk     map[string]*baselineEntry // scenario + "\x00" + case + "\x00" + check
}

// readBaseline reads and validates an expected-failures file, the way the
// official harness does, and returns its client entries.
func readBaseline(path string) ([]*baselineEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--expected-failures: %w", err)
	}
	return parseBaseline(path, b)
}

func parseBaseline(path string, src []byte) ([]*baselineEntry, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid expected-failures file %s: %s", path, fmt.Sprintf(format, a...))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, bad("%v", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty file: no expected failures
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, bad("expected a mapping with 'client' and/or 'server' keys")
	}
	var entries []*baselineEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		if key != "client" && key != "server" {
			continue // the official harness ignores other keys too
		}
		if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			continue
		}
		if val.Kind != yaml.SequenceNode {
			return nil, bad("'%s' must be a list of scenario names (line %d)", key, val.Line)
		}
		for _, item := range val.Content {
			e, err := parseEntry(item)
			if err != nil {
				return nil, bad("'%s' entry at line %d: %v", key, item.Line, err)
			}
			if key == "client" && !seen[e.raw] {
				seen[e.raw] = true
				entries = append(entries, e)
			}
		}
	}
	return entries, nil
}

func parseEntry(n *yaml.Node) (*baselineEntry, error) {
	const form = "entries are '<scenario>' or '<scenario>:<check-id>' (wifdsl also takes '<scenario>/<case>' and '<scenario>/<case>:<check-id>')"
	switch {
	case n.Kind == yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[1].Kind == yaml.ScalarNode && n.Content[1].Value != "" {
			return nil, fmt.Errorf("did you write '- %s: %s'? Remove the space after the colon: '- %s:%s'",
				n.Content[0].Value, n.Content[1].Value, n.Content[0].Value, n.Content[1].Value)
		}
		return nil, errors.New("a per-check entry takes no space after the colon; " + form)
	case n.Kind != yaml.ScalarNode:
		return nil, errors.New(form)
	case n.Tag == "!!null" || strings.TrimSpace(n.Value) == "":
		return nil, errors.New("the entry is empty; " + form)
	}
	raw := n.Value
	target, check, hasColon := strings.Cut(raw, ":")
	if hasColon && (target == "" || check == "") {
		return nil, fmt.Errorf("%q: both sides of the colon are required; %s", raw, form)
	}
	return &baselineEntry{raw: raw, target: target, check: check}, nil
}

// resolveBaseline matches the entries against the compiled scenarios (all
// of them, before --scenario and --case filter the run). It returns the
// warnings for entries that name nothing there, and an error for entries
// made redundant by a broader one, as the official harness does for a
// scenario listed both whole and by check.
func resolveBaseline(file string, entries []*baselineEntry, plan *engine.Plan) (*baseline, []string, error) {
	b := &baseline{
		file: file, entries: entries,
		scenarios: map[string]*baselineEntry{}, scenarioChk: map[string]*baselineEntry{},
		cases: map[string]*baselineEntry{}, caseChk: map[string]*baselineEntry{},
	}
	scenarios := map[string]bool{}
	cases := map[string][2]string{}
	checks := map[string]bool{} // scenario\x00check and scenario\x00case\x00check
	for _, s := range plan.Scenarios {
		scenarios[s.Name] = true
		for _, c := range s.Cases {
			cases[c.ID()] = [2]string{s.Name, c.Name}
			for _, ch := range c.Checks {
				checks[s.Name+"\x00"+ch.ID] = true
				checks[s.Name+"\x00"+c.Name+"\x00"+ch.ID] = true
			}
		}
	}
	var warnings []string
	for _, e := range entries {
		switch {
		case scenarios[e.target]:
			e.scenario = e.target
		case cases[e.target] != [2]string{}:
			e.scenario, e.kase = cases[e.target][0], cases[e.target][1]
		default:
			warnings = append(warnings, fmt.Sprintf("%s: entry %q names no scenario or case of the scenario files; ignored", file, e.raw))
			continue
		}
		key := e.scenario
		if e.kase != "" {
			key += "\x00" + e.kase
		}
		if e.check != "" && !checks[key+"\x00"+e.check] {
			warnings = append(warnings, fmt.Sprintf("%s: entry %q: no check %q in %s; ignored", file, e.raw, e.check, e.target))
		}
		switch {
		case e.kase == "" && e.check == "":
			b.scenarios[e.scenario] = e
		case e.kase == "":
			b.scenarioChk[e.scenario+"\x00"+e.check] = e
		case e.check == "":
			b.cases[e.scenario+"\x00"+e.kase] = e
		default:
			b.caseChk[e.scenario+"\x00"+e.kase+"\x00"+e.check] = e
		}
	}
	// Redundant entries: a narrower entry inside a broader one.
	for _, e := range entries {
		if e.scenario == "" {
			continue
		}
		var broader *baselineEntry
		if w := b.scenarios[e.scenario]; w != nil && w != e {
			broader = w
		} else if e.kase != "" && e.check != "" {
			if w := b.cases[e.scenario+"\x00"+e.kase]; w != nil {
				broader = w
			} else if w := b.scenarioChk[e.scenario+"\x00"+e.check]; w != nil {
				broader = w
			}
		}
		if broader != nil && broader.raw != e.raw {
			return nil, warnings, fmt.Errorf("invalid expected-failures file %s: '%s' already expects every failure that '%s' names; remove one or the other", file, broader.raw, e.raw)
		}
	}
	return b, warnings, nil
}

// expects returns the entry that covers a failing check, narrowest first.
func (b *baseline) expects(scenario, kase, check string) (string, bool) {
	for _, e := range []*baselineEntry{
		b.caseChk[scenario+"\x00"+kase+"\x00"+check],
		b.cases[scenario+"\x00"+kase],
		b.scenarioChk[scenario+"\x00"+check],
		b.scenarios[scenario],
	} {
		if e != nil {
			return e.raw, true
		}
	}
	return "", false
}

// report returns the baseline for the reports, verdicts not yet judged.
func (b *baseline) report() *report.Baseline {
	rb := &report.Baseline{File: b.file, Expects: b.expects}
	for _, e := range b.entries {
		rb.Entries = append(rb.Entries, e.raw)
	}
	return rb
}

// statusRankBaseline orders statuses as the official harness does when one
// check id has several results: the worst counts.
func statusRankBaseline(s engine.Status) int {
	switch s {
	case engine.StatusFailure:
		return 3
	case engine.StatusWarning:
		return 2
	case engine.StatusSuccess:
		return 1
	}
	return 0
}

// judge fills in the verdicts of rb for the result.
func (b *baseline) judge(rb *report.Baseline, res *engine.Result) {
	rb.Expected, rb.Unexpected, rb.Stale, rb.Unmatched = nil, nil, nil, nil
	// worst status of each check id per scenario and per case, INFO aside;
	// ran records the scenarios and cases that ran.
	worst := map[string]engine.Status{}
	ran := map[string]bool{}
	failing := map[string]bool{} // scenario or scenario\x00case with a failing check
	seen := map[string]bool{}
	note := func(key string, s engine.Status) {
		seen[key] = true
		if s == engine.StatusInfo {
			return
		}
		if cur, ok := worst[key]; !ok || statusRankBaseline(s) >= statusRankBaseline(cur) {
			worst[key] = s
		}
	}
	for _, c := range res.Cases {
		ran[c.Scenario] = true
		ran[c.Scenario+"\x00"+c.Case] = true
		for _, ch := range c.Checks {
			note(c.Scenario+"\x00"+ch.ID, ch.Status)
			note(c.Scenario+"\x00"+c.Case+"\x00"+ch.ID, ch.Status)
			if !ch.Failed() {
				continue
			}
			failing[c.Scenario] = true
			failing[c.Scenario+"\x00"+c.Case] = true
			key := report.CheckKey(c.Scenario, c.Case, ch.ID)
			if _, ok := b.expects(c.Scenario, c.Case, ch.ID); ok {
				rb.Expected = append(rb.Expected, key)
			} else {
				rb.Unexpected = append(rb.Unexpected, key)
			}
		}
	}
	for _, e := range b.entries {
		if e.scenario == "" {
			rb.Unmatched = append(rb.Unmatched, e.raw)
			continue
		}
		key := e.scenario
		if e.kase != "" {
			key += "\x00" + e.kase
		}
		if !ran[key] {
			rb.Unmatched = append(rb.Unmatched, e.raw)
			continue
		}
		if e.check == "" {
			if !failing[key] {
				rb.Stale = append(rb.Stale, e.raw)
			}
			continue
		}
		switch {
		case !seen[key+"\x00"+e.check]:
			rb.Unmatched = append(rb.Unmatched, e.raw)
		case worst[key+"\x00"+e.check] == engine.StatusSuccess:
			rb.Stale = append(rb.Stale, e.raw)
		}
	}
}
