package engine

import (
	"reflect"
	"testing"
)

// Compact drops what only the case's own report reads and keeps what a
// summary and a baseline read.
func TestCompactKeepsWhatTheSummaryReads(t *testing.T) {
	c := &CaseResult{
		Scenario: "s", Case: "c", Error: "", Interrupted: false,
		Observations: &Observations{RequestCount: 3},
		Secrets:      []string{"secret"},
		SecretNames:  map[string]string{"secret": "client secret"},
		Checks: []CheckResult{
			{ID: "a", Name: "A", Level: MUST, Status: StatusSuccess, Location: "f.hcl:1"},
			{ID: "b", Name: "B", Level: SHOULD, Status: StatusWarning, ErrorMessage: "why", Values: map[string]string{"x": "1"}},
			{ID: "c", Name: "C", Level: MUST, Status: StatusFailure, ErrorMessage: "why", Values: map[string]string{"y": "2"}},
		},
	}
	res := &Result{Cases: []*CaseResult{c}}
	before, ok := res.Summarize(), res.OK()
	c.Compact()
	if after := res.Summarize(); !reflect.DeepEqual(after, before) || res.OK() != ok {
		t.Errorf("summary %+v (OK %v) after Compact, want %+v (OK %v)", after, res.OK(), before, ok)
	}
	if c.Observations != nil || c.Secrets != nil || c.SecretNames != nil {
		t.Error("observations or secrets kept")
	}
	for _, ch := range c.Checks {
		if ch.ErrorMessage != "" || ch.Values != nil {
			t.Errorf("check %s kept its message or values", ch.ID)
		}
		if ch.ID == "" || ch.Name == "" || ch.Status == "" {
			t.Errorf("check %+v lost what a baseline reads", ch)
		}
	}
	if c.Scenario != "s" || c.Case != "c" || c.Checks[0].Location != "f.hcl:1" {
		t.Errorf("case names or locations lost: %+v", c)
	}
}
