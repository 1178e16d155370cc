package engine_test

import (
	"testing"

	"github.com/wifdsl/wifdsl/engine"
)

func TestPlanSuiteIgnoresCase(t *testing.T) {
	p := &engine.Plan{Suites: []*engine.Suite{{Name: "all"}, {Name: "sep-835"}, {Name: "Core"}}}
	for name, want := range map[string]string{"core": "Core", "CORE": "Core", "SEP-835": "sep-835", "All": "all", "cor": "", "": ""} {
		got := ""
		if s := p.Suite(name); s != nil {
			got = s.Name
		}
		if got != want {
			t.Errorf("Suite(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEffectiveProtocolVersion(t *testing.T) {
	if v := (&engine.Case{}).EffectiveProtocolVersion(); v != engine.DefaultProtocolVersion {
		t.Errorf("no version: %q", v)
	}
	if v := (&engine.Case{ProtocolVersion: "2026-07-28"}).EffectiveProtocolVersion(); v != "2026-07-28" {
		t.Errorf("set version: %q", v)
	}
}
