package dsl

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// ctyToGo converts a known cty value into JSON-shaped Go values.
func ctyToGo(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsWhollyKnown() {
		return nil, errUnknown
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact {
				return i, nil
			}
		}
		f, _ := bf.Float64()
		return f, nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			g, err := ctyToGo(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			g, err := ctyToGo(e)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = g
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", ty.FriendlyName())
}

// renderValue renders a value compactly for failure messages.
func renderValue(v cty.Value, max int) string {
	var s string
	switch {
	case v.IsNull():
		s = "null"
	case !v.IsWhollyKnown():
		s = "(not known)"
	case v.Type() == cty.String:
		s = fmt.Sprintf("%q", v.AsString())
	default:
		g, err := ctyToGo(v)
		if err != nil {
			s = v.GoString()
		} else {
			var buf strings.Builder
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(g)
			s = strings.TrimSuffix(buf.String(), "\n")
		}
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// jsonToCty converts a JSON-shaped Go value into the cty value that
// goToCty (a JSON round trip through ctyjson.ImpliedType and Unmarshal)
// gives, without the round trip, which dominated the cost of evaluating
// a case. Objects become objects, arrays tuples, numbers are parsed from
// their JSON text as ctyjson parses them, strings are coerced to valid
// UTF-8 as encoding/json coerces them, and null is a dynamic null. Go
// types it does not know take the JSON route.
func jsonToCty(v any) (cty.Value, error) {
	switch t := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(validUTF8(t)), nil
	case bool:
		return cty.BoolVal(t), nil
	case int:
		return cty.ParseNumberVal(strconv.Itoa(t))
	case int64:
		return cty.ParseNumberVal(strconv.FormatInt(t, 10))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return goToCty(v) // encoding/json refuses these: keep its error
		}
		return cty.ParseNumberVal(strconv.FormatFloat(t, 'g', -1, 64))
	case map[string]any:
		if t == nil {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		return objectToCty(t, jsonToCty)
	case map[string]string:
		if t == nil {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		return objectToCty(t, func(s string) (cty.Value, error) { return cty.StringVal(validUTF8(s)), nil })
	case map[string][]string:
		if t == nil {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		return objectToCty(t, func(l []string) (cty.Value, error) { return jsonToCty(l) })
	case []string:
		if t == nil {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		if len(t) == 0 {
			return cty.EmptyTupleVal, nil
		}
		out := make([]cty.Value, len(t))
		for i, e := range t {
			out[i] = cty.StringVal(validUTF8(e))
		}
		return cty.TupleVal(out), nil
	case []any:
		if t == nil {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		if len(t) == 0 {
			return cty.EmptyTupleVal, nil
		}
		out := make([]cty.Value, len(t))
		for i, e := range t {
			ev, err := jsonToCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			out[i] = ev
		}
		return cty.TupleVal(out), nil
	default:
		return goToCty(v)
	}
}

func objectToCty[V any](m map[string]V, conv func(V) (cty.Value, error)) (cty.Value, error) {
	if len(m) == 0 {
		return cty.EmptyObjectVal, nil
	}
	attrs := make(map[string]cty.Value, len(m))
	for k, e := range m {
		if !utf8.ValidString(k) {
			// encoding/json would coerce the key, perhaps onto another one.
			return goToCty(m)
		}
		ev, err := conv(e)
		if err != nil {
			return cty.NilVal, err
		}
		attrs[k] = ev
	}
	return cty.ObjectVal(attrs), nil
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
