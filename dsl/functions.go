package dsl

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Functions returns every function that scenario expressions can call:
// go-cty's stdlib under Terraform-style names, try and can, and wifdsl's
// own (strcontains, startswith, endswith, alltrue, anytrue,
// mentions_error, jwt_claims, jwt_header, duration_ms, version_at_least).
func Functions() map[string]function.Function {
	return map[string]function.Function{
		// numbers
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"log": stdlib.LogFunc, "max": stdlib.MaxFunc, "min": stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc, "signum": stdlib.SignumFunc,
		// strings
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc, "replace": stdlib.ReplaceFunc,
		"split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc, "strrev": stdlib.ReverseFunc,
		"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc,
		// collections
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
		"flatten": stdlib.FlattenFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
		"setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		// encoding and time
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "formatdate": stdlib.FormatDateFunc,
		"timeadd": stdlib.TimeAddFunc,
		// error handling
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		// wifdsl
		"strcontains":      strContainsFunc,
		"startswith":       startsWithFunc,
		"endswith":         endsWithFunc,
		"alltrue":          allTrueFunc,
		"anytrue":          anyTrueFunc,
		"mentions_error":   mentionsErrorFunc,
		"jwt_claims":       jwtPartFunc(false),
		"jwt_header":       jwtPartFunc(true),
		"duration_ms":      durationMSFunc,
		"version_at_least": versionAtLeastFunc,
	}
}

func stringPredicate(f func(a, b string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "str", Type: cty.String},
			{Name: "part", Type: cty.String},
		},
		Type: function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// strcontains(str, substr) reports whether substr is within str.
var strContainsFunc = stringPredicate(strings.Contains)

// startswith(str, prefix) reports whether str begins with prefix.
var startsWithFunc = stringPredicate(strings.HasPrefix)

// endswith(str, suffix) reports whether str ends with suffix.
var endsWithFunc = stringPredicate(strings.HasSuffix)

func boolFold(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v := args[0]
			ty := v.Type()
			if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
				return cty.NilVal, function.NewArgErrorf(0, "want a list of bools, got %s", ty.FriendlyName())
			}
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.IsNull() {
					return cty.NilVal, function.NewArgErrorf(0, "the list holds a null")
				}
				b, err := convertBool(e)
				if err != nil {
					return cty.NilVal, function.NewArgError(0, err)
				}
				if b != all {
					return cty.BoolVal(!all), nil
				}
			}
			return cty.BoolVal(all), nil
		},
	})
}

// alltrue(list) is true when every element is true (and for an empty list).
var allTrueFunc = boolFold(true)

// anytrue(list) is true when some element is true (false for an empty list).
var anyTrueFunc = boolFold(false)

// mentions_error(text, code) reports whether text names the OAuth error
// code the way SDKs render it: "invalid_grant", "invalid grant",
// "invalid-grant" and "InvalidGrantError" all count, in any case.
var mentionsErrorFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "text", Type: cty.String},
		{Name: "code", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(MentionsError(args[0].AsString(), args[1].AsString())), nil
	},
})

// MentionsError is the implementation of mentions_error.
func MentionsError(text, code string) bool {
	words := strings.FieldsFunc(strings.ToLower(code), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return false
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = regexp.QuoteMeta(w)
	}
	// Words joined by "_", "-", a space or nothing (CamelCase), not glued
	// to other letters on either side except an "Error"/"Exception" suffix.
	re, err := regexp.Compile(`(?i)(^|[^a-z0-9])` + strings.Join(quoted, `[_\- ]?`) + `(error|exception)?([^a-z0-9]|$)`)
	if err != nil {
		return false
	}
	return re.MatchString(text)
}

// jwt_claims(token) and jwt_header(token) decode a compact JWT without
// verifying it.
func jwtPartFunc(header bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "token", Type: cty.String}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			h, c, err := jwt.Decode(args[0].AsString())
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			if header {
				return goToCty(h)
			}
			return goToCty(c)
		},
	})
}

// duration_ms(str) converts a duration such as "1.5s" or "-5m" into
// milliseconds.
var durationMSFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "duration", Type: cty.String}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		d, err := time.ParseDuration(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "not a duration: %s", err)
		}
		return cty.NumberFloatVal(float64(d) / float64(time.Millisecond)), nil
	},
})

// version_at_least(version, min) reports whether the MCP protocol version
// version is min or a later one. Protocol versions are dates, so the later
// date is the later version.
var versionAtLeastFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "version", Type: cty.String},
		{Name: "min", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for i, a := range args {
			if err := CheckProtocolVersion(a.AsString()); err != nil {
				return cty.NilVal, function.NewArgError(i, err)
			}
		}
		return cty.BoolVal(args[0].AsString() >= args[1].AsString()), nil
	},
})

// CheckProtocolVersion returns an error unless v is an MCP protocol
// version: a date written YYYY-MM-DD, such as 2025-11-25.
func CheckProtocolVersion(v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil || len(v) != len(time.DateOnly) {
		return fmt.Errorf("%q is not a protocol version; MCP protocol versions are dates written YYYY-MM-DD, such as %q", v, engine.DefaultProtocolVersion)
	}
	return nil
}

func convertBool(v cty.Value) (bool, error) {
	if v.Type() != cty.Bool {
		return false, errNotBool(v.Type())
	}
	if !v.IsKnown() {
		return false, errUnknown
	}
	return v.True(), nil
}

// goToCty converts a JSON-shaped Go value (maps, slices, strings,
// numbers, bools, nil) into a cty value of its implied type.
func goToCty(v any) (cty.Value, error) {
	b, err := jsonMarshal(v)
	if err != nil {
		return cty.NilVal, err
	}
	ty, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(b, ty)
}
