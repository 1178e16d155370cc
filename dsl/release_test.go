package dsl_test

import (
	"fmt"
	"testing"

	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

// After Release, the plan judges as it did before: the checks' conditions,
// messages and the values they show come out the same, while the
// definitions and the syntax trees are gone and the sources stay.
func TestReleaseKeepsThePlan(t *testing.T) {
	fs, err := dsl.SourceFS(wifdsl.Catalogue, "catalogue")
	if err != nil {
		t.Fatal(err)
	}
	fs.Inline = append(fs.Inline, dsl.InlineFile{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite})
	l, diags := dsl.Load(fs, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	judge := func() []string {
		var out []string
		for _, s := range l.Plan.Scenarios {
			for _, c := range s.Cases {
				obs := &engine.Observations{FirstError: -1, FirstTokenIssued: -1, Client: engine.ClientObservation{ExitCode: 1, Exited: true}}
				obs.Env = &engine.Env{Scenario: s.Name, Case: c.Name, ProtocolVersion: c.EffectiveProtocolVersion()}
				for _, ch := range c.Checks {
					o := ch.Eval.Evaluate(obs)
					out = append(out, fmt.Sprintf("%s/%s %s: pass %v err %v message %q values %v", s.Name, c.Name, ch.ID, o.Pass, o.Err, o.Message, o.Values))
				}
			}
		}
		return out
	}
	before := judge()
	sources := map[string]string{}
	for name, f := range l.Files {
		sources[name] = string(f.Bytes)
	}
	l.Release()
	if l.Config != nil {
		t.Error("Config is still there")
	}
	if len(l.Files) != len(sources) {
		t.Errorf("%d files, want %d", len(l.Files), len(sources))
	}
	for name, f := range l.Files {
		if f.Body != nil || string(f.Bytes) != sources[name] {
			t.Errorf("%s: body %v, source kept %v", name, f.Body != nil, string(f.Bytes) == sources[name])
		}
	}
	after := judge()
	if len(after) != len(before) || len(before) < 600 {
		t.Fatalf("%d outcomes after, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("before: %s\nafter:  %s", before[i], after[i])
		}
	}
}
