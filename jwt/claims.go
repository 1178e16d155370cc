package jwt

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Registered claim names (RFC 7519 §4.1) that [Claims] sets from its typed
// fields.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// Claims is the claims set of an assertion to mint (RFC 7519 §4, RFC 7523
// §3). Zero-valued fields are omitted from the token.
type Claims struct {
	// Issuer is "iss" (RFC 7519 §4.1.1).
	Issuer string
	// Subject is "sub" (RFC 7519 §4.1.2).
	Subject string
	// Audience is "aud" (RFC 7519 §4.1.3): serialized as a single string
	// when it has one element, as an array when it has more, and omitted
	// when empty.
	Audience []string
	// Expiry is "exp" (RFC 7519 §4.1.4), a NumericDate in whole seconds.
	Expiry time.Time
	// IssuedAt is "iat" (RFC 7519 §4.1.6), a NumericDate in whole seconds.
	IssuedAt time.Time
	// NotBefore is "nbf" (RFC 7519 §4.1.5), a NumericDate in whole seconds.
	NotBefore time.Time
	// ID is "jti" (RFC 7519 §4.1.7).
	ID string
	// Extra holds additional claims. A key may name a registered claim
	// only when the corresponding typed field is unset, which allows a
	// deliberately malformed value (say a string "exp"); naming a
	// registered claim that a typed field also sets is an error.
	Extra map[string]any
}

// ClaimCollisionError reports an Extra claim that would override a claim set
// by a typed field of [Claims].
type ClaimCollisionError struct {
	Name string
}

func (e *ClaimCollisionError) Error() string {
	return fmt.Sprintf("jwt: extra claim %q overrides the registered claim set by Claims", e.Name)
}

// Map returns the claims as they are serialized: NumericDates are int64
// seconds and a single audience is a string.
func (c Claims) Map() (map[string]any, error) {
	m := make(map[string]any, len(c.Extra)+len(registeredClaims))
	if c.Issuer != "" {
		m["iss"] = c.Issuer
	}
	if c.Subject != "" {
		m["sub"] = c.Subject
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		m["aud"] = c.Audience[0]
	default:
		m["aud"] = append([]string(nil), c.Audience...)
	}
	if !c.Expiry.IsZero() {
		m["exp"] = c.Expiry.Unix()
	}
	if !c.NotBefore.IsZero() {
		m["nbf"] = c.NotBefore.Unix()
	}
	if !c.IssuedAt.IsZero() {
		m["iat"] = c.IssuedAt.Unix()
	}
	if c.ID != "" {
		m["jti"] = c.ID
	}
	names := make([]string, 0, len(c.Extra))
	for name := range c.Extra {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, set := m[name]; set {
			return nil, &ClaimCollisionError{Name: name}
		}
		m[name] = c.Extra[name]
	}
	return m, nil
}

// MarshalJSON encodes the claims as an RFC 7519 §4 JSON object with its
// members sorted by name. It fails with a *[ClaimCollisionError] when Extra
// overrides a typed field.
func (c Claims) MarshalJSON() ([]byte, error) {
	m, err := c.Map()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("jwt: encode claims: %w", err)
	}
	return b, nil
}
