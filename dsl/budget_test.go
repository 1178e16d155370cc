package dsl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

// TestRunawayExpressionsAreDiagnostics: conditions that would build tens of
// millions of elements (the 64-million-element list, and the same
// built by a range inside a for expression) end as a diagnostic of their
// check, quickly and without a crash; a sound check beside them passes.
func TestRunawayExpressionsAreDiagnostics(t *testing.T) {
	src := `
requirement "r" {
  level = MUST
  text  = "r"
}
scenario "budget" {
  case "runaway" {
    # token_request_count is 0 at run time, unknown when the file is compiled: the lists are
    # built while the case is judged.
    check "nested-ranges" {
      verifies  = requirement.r
      condition = alltrue([for i in range(100 + token_request_count) : length(flatten([for j in range(1000) : range(64)])) > 0])
    }
    check "huge-format" {
      verifies  = requirement.r
      condition = strlen(format("%0999999999d", token_request_count)) > 0
    }
    check "setproduct" {
      verifies  = requirement.r
      condition = length(setproduct(range(1000 + token_request_count), range(1000 + token_request_count), range(10 + token_request_count))) > 0 || token_request_count < 0
    }
    check "sound" {
      verifies  = requirement.r
      condition = length(range(1000)) == 1000
    }
  }
}`
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: "budget.hcl", Bytes: []byte(src)}}}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := l.Plan
	cr := engine.RunCase(context.Background(), plan.Cases()[0], engine.Options{Command: "true", CheckTimeout: time.Minute})
	for _, ch := range cr.Checks {
		switch ch.ID {
		case "sound":
			if ch.Status != engine.StatusSuccess {
				t.Errorf("sound: %s %q", ch.Status, ch.ErrorMessage)
			}
		default:
			if ch.Status != engine.StatusFailure || !strings.Contains(ch.ErrorMessage, "condition could not be evaluated") ||
				strings.Contains(ch.ErrorMessage, "time budget") {
				t.Errorf("%s: %s %q", ch.ID, ch.Status, ch.ErrorMessage)
			}
		}
	}
}
