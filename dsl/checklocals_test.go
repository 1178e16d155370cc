package dsl

import (
	"strings"
	"testing"
)

// Check locals are evaluated over the observations before the condition
// and the error message, may use each other in any order and the
// configuration's locals, and show up among the values of a failure.
func TestCheckLocalsAtRunTime(t *testing.T) {
	src := `
locals {
  wanted = "invalid_grant"
}
scenario "s" {
  check "errors" {
    locals {
      count  = length(local.errors)
      errors = [for r in token_requests : r.response.error if r.response.error != ""]
    }
    condition     = local.count == 0
    error_message = "${local.count} error(s): ${join(", ", local.errors)}; first is ${local.errors[0] == local.wanted ? "the wanted one" : "another"}"
  }
}
`
	l, diags := Load(Source{Inline: []InlineFile{{Name: "t.hcl", Bytes: []byte(src)}}}, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ch := l.Plan.Cases()[0].Checks[0]
	out := ch.Eval.Evaluate(sampleObservations())
	if out.Err != nil || out.Pass {
		t.Fatalf("outcome %+v", out)
	}
	if out.Message != "1 error(s): invalid_grant; first is the wanted one" {
		t.Errorf("message %q", out.Message)
	}
	if out.Values["local.count"] != "1" {
		t.Errorf("values %v, want local.count = 1", out.Values)
	}
}

// A check local that fails to evaluate fails the check with its reason.
func TestCheckLocalErrorFailsTheCheck(t *testing.T) {
	src := `
scenario "s" {
  check "c" {
    locals {
      third = token_requests[2].form
    }
    condition = local.third != null
  }
}
`
	l, diags := Load(Source{Inline: []InlineFile{{Name: "t.hcl", Bytes: []byte(src)}}}, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := l.Plan.Cases()[0].Checks[0].Eval.Evaluate(sampleObservations())
	if out.Err == nil || !strings.Contains(out.Err.Error(), "t.hcl:5") {
		t.Errorf("outcome %+v, want an error naming the local", out)
	}
}
