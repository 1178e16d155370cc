package authserver

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop/dpoptest"
)

// postDPoP posts a token request form with the given DPoP header values.
func postDPoP(t *testing.T, s *Server, form url.Values, proofs ...string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.TokenEndpoint(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, p := range proofs {
		req.Header.Add(record.HeaderDPoP, p)
	}
	return do(t, req)
}

// newCode runs an authorization request and returns its code.
func newCode(t *testing.T, s *Server) string {
	t.Helper()
	_, q := authorize(t, s, authRequest())
	return q.Get("code")
}

func TestDPoPMetadata(t *testing.T) {
	for _, cfg := range []*DPoPConfig{nil, {}} {
		s := codeServer(t, Config{DPoP: cfg})
		r := get(t, s.MetadataURL())
		algs, has := r.body["dpop_signing_alg_values_supported"]
		if has != (cfg != nil) {
			t.Fatalf("DPoP %v: dpop_signing_alg_values_supported %v", cfg != nil, algs)
		}
		if has && !slices.Equal(stringsOf(algs), []string{"ES256"}) {
			t.Fatalf("dpop_signing_alg_values_supported %v", algs)
		}
	}
}

// A valid proof binds the token to its key; no proof gets a Bearer token;
// an invalid proof is refused without spending the code.
func TestDPoPTokenBinding(t *testing.T) {
	s := newTestServer(t, Config{DPoP: &DPoPConfig{}, IssueRefreshTokens: true, Registration: true,
		GrantTypesSupported: []string{record.GrantAuthorizationCode, record.GrantRefreshToken}})
	k := dpoptest.NewKey(t)
	proof := func(edit func(*dpoptest.Proof)) string {
		p := dpoptest.Proof{Method: "POST", URL: s.TokenEndpoint(), Now: t0}
		if edit != nil {
			edit(&p)
		}
		return k.Sign(t, p)
	}

	code := newCode(t, s)
	r := postDPoP(t, s, codeForm(code, verifier), proof(func(p *dpoptest.Proof) { p.URL = s.URL() + "/other" }))
	if r.status != 400 || r.body["error"] != record.ErrorInvalidDPoPProof || r.body["error_description"] != dpop.ReasonHTU {
		t.Fatalf("invalid proof: %d %s", r.status, r.raw)
	}
	tr := lastTokenRequest(t, s)
	if !tr.DPoP.Present || tr.DPoP.Valid || tr.DPoP.Error != dpop.ReasonHTU || tr.Response.Reason != ReasonDPoP || tr.Code != nil {
		t.Fatalf("invalid proof record: %+v %+v", tr.DPoP, tr.Response)
	}

	// The same code, now with a valid proof.
	r = postDPoP(t, s, codeForm(code, verifier), proof(nil))
	if r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("valid proof: %d %s", r.status, r.raw)
	}
	tr = lastTokenRequest(t, s)
	if !tr.DPoP.Valid || tr.DPoP.JKT != k.JKT || tr.Response.TokenType != "DPoP" {
		t.Fatalf("valid proof record: %+v %+v", tr.DPoP, tr.Response)
	}
	at, ok := s.Lookup(r.body["access_token"].(string))
	rt, _ := s.Lookup(r.body["refresh_token"].(string))
	if !ok || at.JKT != k.JKT || rt.JKT != k.JKT {
		t.Fatalf("issued %+v, refresh %+v", at, rt)
	}

	// A bound refresh token needs a proof of its key (RFC 9449 §5).
	refresh := url.Values{"grant_type": {record.GrantRefreshToken}, "refresh_token": {rt.Token}, "client_id": {"app"}}
	if r := postDPoP(t, s, refresh, dpoptest.NewKey(t).Sign(t, dpoptest.Proof{Method: "POST", URL: s.TokenEndpoint(), Now: t0})); r.status != 400 || r.body["error"] != record.ErrorInvalidDPoPProof {
		t.Fatalf("refresh with another key: %d %s", r.status, r.raw)
	}
	if r := postDPoP(t, s, refresh); r.status != 400 || r.body["error"] != record.ErrorInvalidDPoPProof {
		t.Fatalf("refresh without a proof: %d %s", r.status, r.raw)
	}
	if r := postDPoP(t, s, refresh, proof(nil)); r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("refresh with its key: %d %s", r.status, r.raw)
	}

	// No proof: a Bearer token, bound to nothing.
	r = postDPoP(t, s, codeForm(newCode(t, s), verifier))
	if r.status != 200 || r.body["token_type"] != "Bearer" {
		t.Fatalf("no proof: %d %s", r.status, r.raw)
	}
	if tok, _ := s.Lookup(r.body["access_token"].(string)); tok.JKT != "" || lastTokenRequest(t, s).DPoP.Present {
		t.Fatalf("unbound token %+v", tok)
	}

	// A replayed proof is recorded, not refused.
	p := proof(func(p *dpoptest.Proof) { p.JTI = "once" })
	postDPoP(t, s, codeForm(newCode(t, s), verifier), p)
	if r := postDPoP(t, s, codeForm(newCode(t, s), verifier), p); r.status != 200 || !lastTokenRequest(t, s).DPoP.Replayed {
		t.Fatalf("replay: %d %s %+v", r.status, r.raw, lastTokenRequest(t, s).DPoP)
	}

	// Two proofs are one too many.
	if r := postDPoP(t, s, codeForm(newCode(t, s), verifier), proof(nil), proof(nil)); r.status != 400 || r.body["error_description"] != dpop.ReasonMultiple {
		t.Fatalf("two proofs: %d %s", r.status, r.raw)
	}
}

// With a nonce, a valid proof without it gets the RFC 9449 §8 challenge,
// which spends neither the code nor the fail-fast budget; the retry with
// the nonce gets a bound token.
func TestDPoPNonceChallenge(t *testing.T) {
	var errors atomic.Int32
	s := codeServer(t, Config{DPoP: &DPoPConfig{Nonce: "n-1"}, OnError: func(time.Time, string) { errors.Add(1) }})
	k := dpoptest.NewKey(t)
	code := newCode(t, s)
	r := postDPoP(t, s, codeForm(code, verifier), k.Sign(t, dpoptest.Proof{Method: "POST", URL: s.TokenEndpoint(), Now: t0}))
	if r.status != 400 || r.body["error"] != record.ErrorUseDPoPNonce || r.header.Get(record.HeaderDPoPNonce) != "n-1" {
		t.Fatalf("challenge: %d %v %s", r.status, r.header, r.raw)
	}
	if tr := lastTokenRequest(t, s); tr.Response.Reason != ReasonDPoPNonce || !tr.DPoP.Valid || tr.DPoP.Nonce != "" {
		t.Fatalf("challenge record %+v %+v", tr.DPoP, tr.Response)
	}
	if n := errors.Load(); n != 0 {
		t.Fatalf("the challenge counted as %d error responses", n)
	}
	// A wrong nonce is challenged again; an invalid proof is refused first.
	if r := postDPoP(t, s, codeForm(code, verifier), k.Sign(t, dpoptest.Proof{Method: "POST", URL: s.TokenEndpoint(), Now: t0, Nonce: "n-0"})); r.body["error"] != record.ErrorUseDPoPNonce {
		t.Fatalf("wrong nonce: %d %s", r.status, r.raw)
	}
	if r := postDPoP(t, s, codeForm(code, verifier), k.Sign(t, dpoptest.Proof{Method: "GET", URL: s.TokenEndpoint(), Now: t0})); r.body["error"] != record.ErrorInvalidDPoPProof {
		t.Fatalf("invalid proof: %d %s", r.status, r.raw)
	}
	r = postDPoP(t, s, codeForm(code, verifier), k.Sign(t, dpoptest.Proof{Method: "POST", URL: s.TokenEndpoint(), Now: t0, Nonce: "n-1"}))
	if r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if tr := lastTokenRequest(t, s); tr.DPoP.Nonce != "n-1" || tr.Code == nil || tr.Code.PKCE != "verified" {
		t.Fatalf("retry record %+v %+v", tr.DPoP, tr.Code)
	}
	if n := errors.Load(); n != 1 {
		t.Fatalf("%d error responses, want 1 (the invalid proof)", n)
	}
}

// Without DPoP, a proof is neither checked nor recorded.
func TestNoDPoPIgnoresProofs(t *testing.T) {
	s := codeServer(t, Config{})
	r := postDPoP(t, s, codeForm(newCode(t, s), verifier), "not-a-proof")
	if r.status != 200 || r.body["token_type"] != "Bearer" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if tr := lastTokenRequest(t, s); tr.DPoP != (record.DPoPProof{}) {
		t.Fatalf("recorded %+v", tr.DPoP)
	}
}
