package jwt

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Reasons a claims set fails [Validate], in [ValidationError].Reason.
const (
	ReasonMissingIss     = "missing iss"          // RFC 7523 §3 item 1
	ReasonMissingSub     = "missing sub"          // RFC 7523 §3 item 2.A
	ReasonMissingAud     = "missing aud"          // RFC 7523 §3 item 3
	ReasonAudience       = "audience"             // RFC 7523 §3 item 3: no accepted audience
	ReasonMissingExp     = "missing exp"          // RFC 7523 §3 item 4
	ReasonExpired        = "expired"              // RFC 7523 §3 item 4, RFC 7519 §4.1.4
	ReasonNotYetValid    = "not yet valid"        // RFC 7523 §3 item 5, RFC 7519 §4.1.5
	ReasonIssuedInFuture = "issued in the future" // RFC 7523 §3 item 6, RFC 7519 §4.1.6
	ReasonMalformed      = "malformed claim"      // a registered claim has the wrong JSON type
)

// ValidateOptions parameterizes [Validate].
type ValidateOptions struct {
	// Now is the instant the claims are checked at; zero means time.Now().
	Now time.Time
	// Leeway tolerates clock skew on exp, nbf and iat (RFC 7519 §4.1.4).
	// Negative values count as zero.
	Leeway time.Duration
	// Audiences, when non-empty, are the accepted values of aud: the
	// claims pass if aud contains any of them (RFC 7523 §3 item 3).
	Audiences []string
	// RequireExp rejects a claims set without exp (RFC 7523 §3 item 4).
	RequireExp bool
}

// ValidationError reports why [Validate] rejected a claims set.
type ValidationError struct {
	Reason string // one of the Reason* constants
	Detail string // human-readable specifics, free of quote characters
}

func (e *ValidationError) Error() string {
	if e.Detail == "" {
		return "jwt: " + e.Reason
	}
	return "jwt: " + e.Reason + ": " + e.Detail
}

// Validate applies the claim checks of RFC 7523 §3 to a decoded claims set,
// in the order of that section: iss (item 1) and sub (item 2.A) must be
// non-empty strings; aud must contain one of opts.Audiences when any are
// given (item 3); exp must be after opts.Now minus the leeway, and present
// when opts.RequireExp (item 4); nbf must not be after opts.Now plus the
// leeway (item 5); iat must not be after opts.Now plus the leeway (item 6).
// The first failure is returned as a *[ValidationError]. Replay (item 7) and
// signature (item 9) checks are the caller's job.
//
// NumericDate claims may be any Go number type or json.Number, so claims
// from [Decode] and hand-built maps both work.
func Validate(claims map[string]any, opts ValidateOptions) error {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	leeway := max(opts.Leeway, 0)

	if err := requireString(claims, "iss", ReasonMissingIss); err != nil {
		return err
	}
	if err := requireString(claims, "sub", ReasonMissingSub); err != nil {
		return err
	}

	if len(opts.Audiences) > 0 {
		raw, ok := claims["aud"]
		if !ok || raw == nil {
			return &ValidationError{Reason: ReasonMissingAud, Detail: "no aud claim; expected one of " + strings.Join(opts.Audiences, ", ")}
		}
		auds, err := audiences(raw)
		if err != nil {
			return err
		}
		if !containsAny(auds, opts.Audiences) {
			return &ValidationError{Reason: ReasonAudience,
				Detail: fmt.Sprintf("aud [%s] contains none of [%s]", strings.Join(auds, ", "), strings.Join(opts.Audiences, ", "))}
		}
	}

	exp, hasExp, err := numericDate(claims, "exp")
	if err != nil {
		return err
	}
	switch {
	case !hasExp && opts.RequireExp:
		return &ValidationError{Reason: ReasonMissingExp, Detail: "the assertion has no exp claim"}
	case hasExp && !now.Before(exp.Add(leeway)):
		return &ValidationError{Reason: ReasonExpired,
			Detail: fmt.Sprintf("exp %s is %s before now %s (leeway %s)", stamp(exp), now.Sub(exp).Round(time.Second), stamp(now), leeway)}
	}

	nbf, hasNbf, err := numericDate(claims, "nbf")
	if err != nil {
		return err
	}
	if hasNbf && nbf.After(now.Add(leeway)) {
		return &ValidationError{Reason: ReasonNotYetValid,
			Detail: fmt.Sprintf("nbf %s is %s after now %s (leeway %s)", stamp(nbf), nbf.Sub(now).Round(time.Second), stamp(now), leeway)}
	}

	iat, hasIat, err := numericDate(claims, "iat")
	if err != nil {
		return err
	}
	if hasIat && iat.After(now.Add(leeway)) {
		return &ValidationError{Reason: ReasonIssuedInFuture,
			Detail: fmt.Sprintf("iat %s is %s after now %s (leeway %s)", stamp(iat), iat.Sub(now).Round(time.Second), stamp(now), leeway)}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func requireString(claims map[string]any, name, missing string) error {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return &ValidationError{Reason: missing, Detail: "the assertion has no " + name + " claim"}
	}
	s, ok := raw.(string)
	if !ok {
		return &ValidationError{Reason: ReasonMalformed, Detail: fmt.Sprintf("%s is a %T, not a string", name, raw)}
	}
	if s == "" {
		return &ValidationError{Reason: missing, Detail: "the " + name + " claim is empty"}
	}
	return nil
}

// audiences reads aud as RFC 7519 §4.1.3 allows: one string or an array of
// strings.
func audiences(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []string:
		return v, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, &ValidationError{Reason: ReasonMalformed, Detail: fmt.Sprintf("aud has a %T element, not a string", e)}
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, &ValidationError{Reason: ReasonMalformed, Detail: fmt.Sprintf("aud is a %T, not a string or array of strings", raw)}
	}
}

func containsAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// numericDate reads an RFC 7519 §2 NumericDate claim.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return time.Time{}, false, nil
	}
	var f float64
	switch v := raw.(type) {
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint:
		f = float64(v)
	case uint32:
		f = float64(v)
	case uint64:
		f = float64(v)
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return time.Time{}, false, &ValidationError{Reason: ReasonMalformed, Detail: name + " is not a number: " + v.String()}
		}
	default:
		return time.Time{}, false, &ValidationError{Reason: ReasonMalformed, Detail: fmt.Sprintf("%s is a %T, not a NumericDate", name, raw)}
	}
	// Beyond ±2^53 seconds float64 loses whole seconds; such dates are
	// nonsense for an assertion anyway.
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return time.Time{}, false, &ValidationError{Reason: ReasonMalformed, Detail: fmt.Sprintf("%s is out of range: %g", name, f)}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
