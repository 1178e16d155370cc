package report

import (
	"strings"
	"sync"

	"github.com/wifdsl/wifdsl/engine"
)

// Redactor replaces a case's secrets (workload assertions, access tokens)
// in text with a marker naming what each was: [redacted assertion NAME],
// [redacted access token]. It finds them in every form the leak check
// knows (engine.SecretFinder): as they are, split by whitespace or line
// breaks, interleaved with escape sequences or invisible characters, and
// base64-encoded (then the marker says so); a part of a secret (16 bytes or
// more, for instance the half printed on one stream) is replaced by
// [redacted part of …]. The zero Redactor and a nil one change nothing.
type Redactor struct {
	secrets []string
	markers []string
	once    sync.Once
	finder  *engine.SecretFinder
}

// NewRedactor builds a Redactor for the case's secrets.
func NewRedactor(c *engine.CaseResult) *Redactor {
	if c == nil || len(c.Secrets) == 0 {
		return &Redactor{}
	}
	names := map[string]string{}
	if c.Observations != nil && c.Observations.Env != nil {
		for _, n := range c.Observations.Env.AssertionOrder {
			names[c.Observations.Env.Assertions[n].Token] = "assertion " + n
		}
	}
	r := &Redactor{}
	for _, s := range c.Secrets {
		if s == "" {
			continue
		}
		m, ok := names[s]
		if !ok {
			m = "access token"
		}
		r.secrets = append(r.secrets, s)
		r.markers = append(r.markers, m)
	}
	return r
}

// Redact returns s with every secret, and every part of one, replaced.
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.secrets) == 0 || s == "" {
		return s
	}
	r.once.Do(func() { r.finder = engine.NewSecretFinder(r.secrets) })
	spans := r.finder.Find(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.Start])
		b.WriteString("[redacted ")
		if !sp.Whole {
			b.WriteString("part of ")
		}
		b.WriteString(r.markers[sp.Secret])
		if sp.Base64 {
			b.WriteString(", base64")
		}
		b.WriteString("]")
		last = sp.End
	}
	b.WriteString(s[last:])
	return b.String()
}
