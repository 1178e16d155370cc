package dsl

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The static shape of the observations is derived from the conversion the
// engine's observations go through; this test fails when the two drift:
// when a variable or a field exists at run time but not statically, or
// when the samples the shape is derived from leave a field without a
// value (it would then accept any use of the field unchecked).
func TestObservationShapeIsDerived(t *testing.T) {
	static := staticObservations()
	for _, n := range ObservationVariables {
		if _, ok := static[n]; !ok {
			t.Errorf("observation %s has no static shape", n)
		}
	}
	// Every field of a populated run-time value is in the shape.
	run, err := observationVariables(schemaSample("k1"))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, rv, sv cty.Value)
	walk = func(path string, rv, sv cty.Value) {
		if sv.Type() == cty.DynamicPseudoType || rv.IsNull() {
			return
		}
		switch {
		case rv.Type().IsObjectType():
			for k := range rv.Type().AttributeTypes() {
				if !sv.Type().IsObjectType() || !sv.Type().HasAttribute(k) {
					t.Errorf("%s.%s exists at run time but not in the static shape", path, k)
					continue
				}
				walk(path+"."+k, rv.GetAttr(k), sv.GetAttr(k))
			}
		case rv.Type().IsTupleType() && rv.LengthInt() > 0:
			walk(path+"[]", rv.Index(cty.NumberIntVal(0)), sv.Index(cty.NumberIntVal(0)))
		case rv.Type().IsPrimitiveType():
			if !sv.Type().Equals(rv.Type()) {
				t.Errorf("%s is %s at run time but %s statically", path, rv.Type().FriendlyName(), sv.Type().FriendlyName())
			}
		}
	}
	for _, n := range ObservationVariables {
		walk(n, run[n], static[n])
	}
	// The only fields left open (any value, any key) are the maps.
	var open []string
	for _, line := range ObservationShape() {
		if strings.HasSuffix(line, ": any") {
			open = append(open, strings.TrimSuffix(line, ": any"))
		}
	}
	want := []string{
		"context",
		"jwt_file.versions[].claims",
		"requests[].query",
		"token_requests[].assertion_header",
		"token_requests[].claims",
		"token_requests[].form",
		"token_requests[].form_all",
		"token_requests[].headers",
		"token_requests[].query",
	}
	if !slices.Equal(open, want) {
		t.Errorf("open fields %q, want %q: a field the samples in obsschema.go leave empty or null is not checked statically; give it a value in schemaSample", open, want)
	}
}
