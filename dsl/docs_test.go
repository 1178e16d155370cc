package dsl

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
	"github.com/zclconf/go-cty/cty"
)

// The language reference must name every block, attribute, function and
// observation field: the schema cannot grow without the docs.
func TestReferenceCoversSchema(t *testing.T) {
	b, err := os.ReadFile("../docs/dsl.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	mention := func(what, name string) {
		t.Helper()
		if !strings.Contains(doc, "`"+name+"`") && !strings.Contains(doc, "`"+name+" ") && !strings.Contains(doc, "`"+name+"(") {
			t.Errorf("docs/dsl.md does not mention %s `%s`", what, name)
		}
	}
	for block, schema := range Schemas() {
		if block != "(file)" {
			mention("block", block)
		}
		for _, a := range schema.Attributes {
			mention("attribute of "+block, a.Name)
		}
		for _, bl := range schema.Blocks {
			mention("block in "+block, bl.Type)
		}
	}
	for _, s := range []string{"variable", "locals", "function", "dynamic", "default", "description"} {
		mention("reuse construct", s)
	}
	for name := range Functions() {
		mention("function", name)
	}
	for _, v := range append(ObservationVariables, "auth_server", "mcp_server", "assertion", "request", "form", "claims", "jwt_header", "attempt", "grant", "var", "local") {
		mention("variable", v)
	}
	obs := sampleObservations()
	vars, err := observationVariables(obs)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range vars {
		mention("variable", name)
		ty := v.Type()
		switch {
		case ty.IsObjectType():
			for attr := range ty.AttributeTypes() {
				mention("field of "+name, attr)
			}
		case ty.IsTupleType() && len(ty.TupleElementTypes()) > 0:
			for attr := range ty.TupleElementTypes()[0].AttributeTypes() {
				mention("field of "+name, attr)
			}
		}
	}
	for attr := range vars["token_requests"].Index(zero()).GetAttr("response").Type().AttributeTypes() {
		mention("field of response", attr)
	}
	for _, list := range []string{"token_requests", "mcp_requests"} {
		for attr := range vars[list].Index(zero()).GetAttr("dpop").Type().AttributeTypes() {
			mention("field of "+list+" dpop", attr)
		}
	}
}

func sampleObservations() *engine.Observations {
	return &engine.Observations{
		Env: &engine.Env{Scenario: "s", Case: "c", Assertions: map[string]*engine.Assertion{}},
		TokenRequests: []record.TokenRequest{{
			Seq: 1, At: time.Millisecond, Method: "POST", Path: "/token",
			Form:     map[string][]string{"grant_type": {"x"}},
			Response: record.TokenResponse{Status: 400, Error: "invalid_grant"},
		}},
		Requests:         []record.Request{{Server: "auth", Method: "POST", Path: "/token", Status: 400}},
		MCPRequests:      []record.MCPRequest{{Seq: 1, HTTPMethod: "POST", Path: "/mcp", RPCMethod: "initialize"}},
		FirstError:       time.Millisecond,
		FirstTokenIssued: -1,
		Client:           engine.ClientObservation{ExitCode: 1, ExitAfterError: -1},
	}
}

func zero() cty.Value { return cty.NumberIntVal(0) }
