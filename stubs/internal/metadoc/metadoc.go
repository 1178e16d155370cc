// Package metadoc encodes the metadata documents the stub servers publish
// (RFC 8414 authorization server metadata, RFC 9728 protected resource
// metadata), with the fields a scenario sets or removes merged last.
package metadoc

import (
	"encoding/json"
	"fmt"
	"maps"
)

// Encode merges fields into base (a field set to nil is removed) and
// encodes the result as JSON; base is not changed.
func Encode(base, fields map[string]any) ([]byte, error) {
	m := maps.Clone(base)
	for k, v := range fields {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return b, nil
}
