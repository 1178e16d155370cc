package authserver

import "maps"

// clone returns a deep copy of the record.
func (tr TokenRequest) clone() TokenRequest {
	cp := tr
	cp.Query = cloneValues(tr.Query)
	cp.Header = tr.Header.Clone()
	cp.Form = cloneValues(tr.Form)
	if tr.RepeatedKeys != nil {
		cp.RepeatedKeys = append([]string(nil), tr.RepeatedKeys...)
	}
	cp.Claims = cloneJSON(tr.Claims)
	cp.AssertionHeader = cloneJSON(tr.AssertionHeader)
	return cp
}

func cloneValues(v map[string][]string) map[string][]string {
	if v == nil {
		return nil
	}
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// cloneJSON deep-copies a JSON-decoded object.
func cloneJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneJSONValue(v)
	}
	return out
}

func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSON(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSONValue(e)
		}
		return out
	default:
		return v
	}
}
