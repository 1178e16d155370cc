package report

import (
	"fmt"
	"strings"
	"sync"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
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
	if o := c.Observations; o != nil {
		// Refresh tokens, ID-JAGs and private keys are named; the rest of
		// what a server issued are access tokens.
		if o.Env != nil {
			for _, n := range o.Env.AssertionOrder {
				names[o.Env.Assertions[n].Token] = "assertion " + n
			}
		}
		if o.JWTFile != nil {
			for _, v := range o.JWTFile.Versions {
				if _, ok := names[v.Token]; !ok {
					names[v.Token] = fmt.Sprintf("assertion %s, JWT file version %d", o.JWTFile.Assertion, v.Seq)
				}
			}
		}
		for _, t := range o.Issued {
			switch {
			case t.Refresh:
				names[t.Token] = "refresh token"
			case t.Grant == record.GrantTokenExchange:
				names[t.Token] = "ID-JAG"
			}
		}
		if o.Env != nil {
			for n, k := range o.Env.Keys {
				names[k.PrivateKeyPEM] = "private key " + n
			}
		}
	}
	r := &Redactor{}
	for _, s := range c.Secrets {
		if s == "" {
			continue
		}
		m, ok := names[s]
		if !ok {
			m, ok = c.SecretNames[s]
		}
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
