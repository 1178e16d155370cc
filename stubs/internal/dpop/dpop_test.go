package dpop_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop/dpoptest"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	tokenURL = "http://127.0.0.1:4000/token"
	mcpURL   = "http://127.0.0.1:4001/mcp"
	token    = "at-1"
)

// Each defect makes the proof invalid with its own reason, and the
// well-formed proof is valid: at a token endpoint and at a resource.
func TestCheckEveryReason(t *testing.T) {
	k := dpoptest.NewKey(t)
	other := dpoptest.NewKey(t)
	good := dpoptest.Proof{Method: "POST", URL: tokenURL, Now: now}
	at := func(edit func(*dpoptest.Proof)) []string {
		p := good
		edit(&p)
		return []string{k.Sign(t, p)}
	}
	token := func(proofs []string) dpop.Request {
		return dpop.Request{Proofs: proofs, Method: "POST", URL: tokenURL, Now: now}
	}
	for _, tc := range []struct {
		name string
		req  dpop.Request
		want string
	}{
		{"valid", token(at(func(*dpoptest.Proof) {})), ""},
		{"valid with a trailing slash and another case", token(at(func(p *dpoptest.Proof) { p.URL = "HTTP://127.0.0.1:4000/token/" })), ""},
		{"valid at the edge of the window", token(at(func(p *dpoptest.Proof) { p.IATOffset = -dpop.Window })), ""},
		{"missing", token(nil), dpop.ReasonMissing},
		{"two headers", token(append(at(func(*dpoptest.Proof) {}), at(func(*dpoptest.Proof) {})...)), dpop.ReasonMultiple},
		{"two joined", token([]string{strings.Join(append(at(func(*dpoptest.Proof) {}), at(func(*dpoptest.Proof) {})...), ", ")}), dpop.ReasonMultiple},
		{"not a JWT", token([]string{"not-a-jwt"}), dpop.ReasonMalformed},
		{"typ", token(at(func(p *dpoptest.Proof) { p.Typ = "JWT" })), dpop.ReasonTyp},
		{"no typ", token(at(func(p *dpoptest.Proof) { p.Omit = []string{"typ"} })), dpop.ReasonTyp},
		{"alg none", token(at(func(p *dpoptest.Proof) { p.Unsigned = true })), dpop.ReasonAlg},
		{"no jwk", token(at(func(p *dpoptest.Proof) { p.Omit = []string{"jwk"} })), dpop.ReasonNoJWK},
		{"private jwk", token(at(func(p *dpoptest.Proof) { p.PrivateJWK = true })), dpop.ReasonPrivateJWK},
		{"signature", token(at(func(p *dpoptest.Proof) { p.Tamper = true })), dpop.ReasonSignature},
		{"no jti", token(at(func(p *dpoptest.Proof) { p.Omit = []string{"jti"} })), dpop.ReasonJTI},
		{"htm", token(at(func(p *dpoptest.Proof) { p.Method = "GET" })), dpop.ReasonHTM},
		{"no htu", token(at(func(p *dpoptest.Proof) { p.Omit = []string{"htu"} })), dpop.ReasonHTU},
		{"htu with a query", token(at(func(p *dpoptest.Proof) { p.URL = tokenURL + "?x=1" })), dpop.ReasonHTUQuery},
		{"htu of another endpoint", token(at(func(p *dpoptest.Proof) { p.URL = "http://127.0.0.1:4000/register" })), dpop.ReasonHTU},
		{"htu with two trailing slashes", token(at(func(p *dpoptest.Proof) { p.URL = tokenURL + "//" })), dpop.ReasonHTU},
		{"no iat", token(at(func(p *dpoptest.Proof) { p.Omit = []string{"iat"} })), dpop.ReasonIAT},
		{"iat in the past", token(at(func(p *dpoptest.Proof) { p.IATOffset = -dpop.Window - time.Second })), dpop.ReasonIAT},
		{"iat in the future", token(at(func(p *dpoptest.Proof) { p.IATOffset = dpop.Window + time.Second })), dpop.ReasonIAT},
		{"resource: valid", resource(t, k, dpoptest.Proof{Token: "at-1"}, k.JKT), ""},
		{"resource: no ath", resource(t, k, dpoptest.Proof{}, k.JKT), dpop.ReasonATH},
		{"resource: ath of another token", resource(t, k, dpoptest.Proof{Token: "at-2"}, k.JKT), dpop.ReasonATH},
		{"resource: unbound token", resource(t, k, dpoptest.Proof{Token: "at-1"}, ""), dpop.ReasonUnbound},
		{"resource: another key", resource(t, k, dpoptest.Proof{Token: "at-1"}, other.JKT), dpop.ReasonKeyMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dpop.Check(tc.req)
			if p.Error != tc.want || p.Valid != (tc.want == "") {
				t.Fatalf("Check: valid %v, error %q; want %q", p.Valid, p.Error, tc.want)
			}
			if p.Present != (len(tc.req.Proofs) > 0) || p.Headers != len(tc.req.Proofs) {
				t.Errorf("present %v, headers %d", p.Present, p.Headers)
			}
			if tc.want == "" {
				if p.JKT != k.JKT || p.JTI == "" || p.Typ != dpop.Type || p.Alg != "ES256" || p.IAT == 0 {
					t.Errorf("record %+v", p)
				}
				if tc.req.Resource && (!p.ATHValid || !p.Bound || p.TokenJKT != k.JKT) {
					t.Errorf("resource record %+v", p)
				}
			}
		})
	}
}

func resource(t *testing.T, k *dpoptest.Key, p dpoptest.Proof, jkt string) dpop.Request {
	p.Method, p.URL, p.Now = "POST", mcpURL, now
	return dpop.Request{Proofs: []string{k.Sign(t, p)}, Method: "POST", URL: mcpURL, Now: now,
		Resource: true, Token: token, TokenJKT: jkt}
}

// The claims are recorded as sent, also when the proof is not valid.
func TestCheckRecordsClaims(t *testing.T) {
	k := dpoptest.NewKey(t)
	proof := k.Sign(t, dpoptest.Proof{Method: "GET", URL: mcpURL, Now: now, JTI: "j-1", Nonce: "n-1", Token: token})
	p := dpop.Check(dpop.Request{Proofs: []string{proof}, Method: "POST", URL: mcpURL, Now: now, Resource: true, Token: token, TokenJKT: k.JKT})
	want := record.DPoPProof{Present: true, Headers: 1, Error: dpop.ReasonHTM, Typ: dpop.Type, Alg: "ES256", JKT: k.JKT,
		JTI: "j-1", HTM: "GET", HTU: mcpURL, IAT: now.Unix(), Nonce: "n-1", ATH: dpoptest.Hash(token), ATHValid: true, TokenJKT: k.JKT}
	if p != want {
		t.Fatalf("got  %+v\nwant %+v", p, want)
	}
}

// A jti is a replay the second time a verified proof carries it; a proof
// whose signature did not verify neither counts nor is judged.
func TestSeen(t *testing.T) {
	k := dpoptest.NewKey(t)
	var seen dpop.Seen
	check := func(p dpoptest.Proof) record.DPoPProof {
		p.Method, p.Now = "POST", now
		if p.URL == "" {
			p.URL = tokenURL
		}
		r := dpop.Check(dpop.Request{Proofs: []string{k.Sign(t, p)}, Method: "POST", URL: tokenURL, Now: now})
		seen.Note(&r)
		return r
	}
	if r := check(dpoptest.Proof{JTI: "a", Tamper: true}); r.Replayed {
		t.Fatal("an unverified proof is a replay")
	}
	if r := check(dpoptest.Proof{JTI: "a"}); r.Replayed || !r.Valid {
		t.Fatalf("first proof %+v", r)
	}
	if r := check(dpoptest.Proof{JTI: "a", URL: "http://elsewhere/x"}); !r.Replayed {
		t.Fatal("an invalid but verified proof with a used jti is not a replay")
	}
	if r := check(dpoptest.Proof{JTI: "b"}); r.Replayed {
		t.Fatal("a fresh jti is a replay")
	}
}

func TestTokenHashMatchesRFC9449(t *testing.T) {
	// RFC 9449 §7.1: the ath of the access token Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU.
	if got := dpop.TokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"); got != "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo" {
		t.Fatalf("ath %q", got)
	}
}
