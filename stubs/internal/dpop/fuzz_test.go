package dpop_test

import (
	"testing"

	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop/dpoptest"
)

// Check never panics on what a client sends, and a proof is valid exactly
// when no check failed.
func FuzzCheck(f *testing.F) {
	k := dpoptest.NewKey(f)
	f.Add(k.Sign(f, dpoptest.Proof{Method: "POST", URL: tokenURL, Now: now}), "POST", tokenURL, "", "")
	f.Add(k.Sign(f, dpoptest.Proof{Method: "POST", URL: mcpURL, Now: now, Token: token}), "POST", mcpURL, token, k.JKT)
	f.Add("eyJhbGciOiJub25lIn0.e30.", "GET", "http://x/", "t", "")
	f.Add("a.b.c", "POST", "::", "", "x")
	f.Fuzz(func(t *testing.T, proof, method, url, tok, jkt string) {
		p := dpop.Check(dpop.Request{Proofs: []string{proof}, Method: method, URL: url, Now: now,
			Resource: tok != "", Token: tok, TokenJKT: jkt})
		if p.Valid != (p.Error == "") {
			t.Fatalf("valid %v with error %q", p.Valid, p.Error)
		}
		if p.Valid && tok != "" && (p.JKT != jkt || !p.Bound || !p.ATHValid) {
			t.Fatalf("a proof not bound to the token is valid: %+v", p)
		}
	})
}
