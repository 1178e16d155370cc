package mcpserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/dpop/dpoptest"
)

// dpopServer is an MCP server in DPoP mode that knows a token bound to k
// ("bound") and an unbound one ("plain").
func dpopServer(t *testing.T, k *dpoptest.Key, cfg DPoPConfig) *Server {
	t.Helper()
	tokens := map[string]record.IssuedToken{
		"bound": {Server: "as", Token: "bound", JKT: k.JKT},
		"plain": {Server: "as", Token: "plain"},
	}
	return start(t, Config{
		DPoP:   &cfg,
		Lookup: func(tok string) (record.IssuedToken, bool) { it, ok := tokens[tok]; return it, ok },
	})
}

// send posts tools/list with an Authorization header and DPoP proofs, and
// returns the response and its record.
func send(t *testing.T, s *Server, authorization string, proofs ...string) (*http.Response, MCPRequest) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(listBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for _, p := range proofs {
		req.Header.Add(record.HeaderDPoP, p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, resp)
	resp.Body.Close()
	return resp, lastMCP(t, s)
}

func proofFor(t *testing.T, k *dpoptest.Key, s *Server, token string, edit func(*dpoptest.Proof)) string {
	t.Helper()
	p := dpoptest.Proof{Method: "POST", URL: s.URL(), Now: time.Now(), Token: token}
	if edit != nil {
		edit(&p)
	}
	return k.Sign(t, p)
}

// By default a request with an issued token passes whatever its scheme and
// proof, and the proof is recorded as checked against the request and the
// token.
func TestDPoPModeRecordsProofs(t *testing.T) {
	k := dpoptest.NewKey(t)
	s := dpopServer(t, k, DPoPConfig{})

	resp, m := send(t, s, "")
	if c := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || c != `DPoP resource_metadata="`+s.MetadataURL()+`"` {
		t.Fatalf("no token: %d %q", resp.StatusCode, c)
	}
	if m.DPoP.Present || m.DPoP.Error != "" || m.Error != "" {
		t.Fatalf("no token record %+v", m)
	}

	for _, tc := range []struct {
		name, auth string
		proofs     []string
		valid      bool
		err        string
	}{
		{"DPoP scheme", "DPoP bound", []string{proofFor(t, k, s, "bound", nil)}, true, ""},
		{"Bearer scheme", "Bearer bound", []string{proofFor(t, k, s, "bound", nil)}, true, ""},
		{"no proof", "DPoP bound", nil, false, dpop.ReasonMissing},
		{"ath of another token", "DPoP bound", []string{proofFor(t, k, s, "plain", nil)}, false, dpop.ReasonATH},
		{"another key", "DPoP bound", []string{proofFor(t, dpoptest.NewKey(t), s, "bound", nil)}, false, dpop.ReasonKeyMismatch},
		{"unbound token", "DPoP plain", []string{proofFor(t, k, s, "plain", nil)}, false, dpop.ReasonUnbound},
		{"htu of the metadata", "DPoP bound", []string{proofFor(t, k, s, "bound", func(p *dpoptest.Proof) { p.URL = s.MetadataURL() })}, false, dpop.ReasonHTU},
	} {
		resp, m := send(t, s, tc.auth, tc.proofs...)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", tc.name, resp.StatusCode)
		}
		scheme, _, _ := strings.Cut(tc.auth, " ")
		if !m.HasBearer || !m.IssuedToken || m.AuthScheme != scheme || m.DPoP.Valid != tc.valid || m.DPoP.Error != tc.err || m.DPoP.Replayed {
			t.Errorf("%s: record %+v", tc.name, m)
		}
		if tc.valid && (!m.DPoP.Bound || !m.DPoP.ATHValid || m.DPoP.TokenJKT != k.JKT || m.DPoP.JKT != k.JKT) {
			t.Errorf("%s: binding %+v", tc.name, m.DPoP)
		}
	}

	// The same proof twice: a replay, recorded.
	p := proofFor(t, k, s, "bound", nil)
	send(t, s, "DPoP bound", p)
	if resp, m := send(t, s, "DPoP bound", p); resp.StatusCode != 200 || !m.DPoP.Replayed || !m.DPoP.Valid {
		t.Fatalf("replay: %d %+v", resp.StatusCode, m.DPoP)
	}

	// A token no server issued is refused, in the DPoP scheme.
	resp, m = send(t, s, "DPoP forged", proofFor(t, k, s, "forged", nil))
	if c := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.HasPrefix(c, `DPoP error="invalid_token"`) || m.Error != "invalid_token" || !m.HasBearer || m.IssuedToken {
		t.Fatalf("forged: %d %q %+v", resp.StatusCode, c, m)
	}
}

// With a nonce, a valid proof without it is challenged (RFC 9449 §9); the
// retry with the nonce passes.
func TestDPoPResourceNonce(t *testing.T) {
	k := dpoptest.NewKey(t)
	s := dpopServer(t, k, DPoPConfig{Nonce: "rs-1"})
	resp, m := send(t, s, "DPoP bound", proofFor(t, k, s, "bound", nil))
	c := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || resp.Header.Get(record.HeaderDPoPNonce) != "rs-1" ||
		c != `DPoP error="use_dpop_nonce", resource_metadata="`+s.MetadataURL()+`"` || m.Error != record.ErrorUseDPoPNonce {
		t.Fatalf("challenge: %d %q %v %+v", resp.StatusCode, c, resp.Header, m)
	}
	if resp, m := send(t, s, "DPoP bound", proofFor(t, k, s, "bound", func(p *dpoptest.Proof) { p.Nonce = "rs-1" })); resp.StatusCode != 200 || m.DPoP.Nonce != "rs-1" || !m.DPoP.Valid || m.Error != "" {
		t.Fatalf("retry: %d %+v", resp.StatusCode, m)
	}
	// A proof that is not valid is not challenged: it passes by default.
	if resp, _ := send(t, s, "DPoP bound"); resp.StatusCode != 200 {
		t.Fatalf("no proof: %d", resp.StatusCode)
	}
}

// Enforced, the server refuses what RFC 9449 §7.1 makes it refuse.
func TestDPoPEnforce(t *testing.T) {
	k := dpoptest.NewKey(t)
	s := dpopServer(t, k, DPoPConfig{Enforce: true})
	replayed := proofFor(t, k, s, "bound", nil)
	for _, tc := range []struct {
		name, auth string
		proofs     []string
		status     int
		err        string
	}{
		{"valid", "DPoP bound", []string{replayed}, 200, ""},
		{"replayed", "DPoP bound", []string{replayed}, 401, record.ErrorInvalidDPoPProof},
		{"bound token as Bearer", "Bearer bound", []string{proofFor(t, k, s, "bound", nil)}, 401, "invalid_token"},
		{"no proof", "DPoP bound", nil, 401, record.ErrorInvalidDPoPProof},
		{"unbound token with the DPoP scheme", "DPoP plain", []string{proofFor(t, k, s, "plain", nil)}, 401, record.ErrorInvalidDPoPProof},
		{"unbound token as Bearer", "Bearer plain", nil, 200, ""},
	} {
		resp, m := send(t, s, tc.auth, tc.proofs...)
		if resp.StatusCode != tc.status || m.Error != tc.err {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, m.Error, tc.status, tc.err)
		}
		if tc.err != "" && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP ") {
			t.Errorf("%s: challenge %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	resp, err := http.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	if body := drain(t, resp); !strings.Contains(body, `"dpop_bound_access_tokens_required":true`) {
		t.Fatalf("metadata %s", body)
	}
}

// Without DPoP mode, the DPoP scheme carries no token and proofs are not
// recorded.
func TestNoDPoPMode(t *testing.T) {
	k := dpoptest.NewKey(t)
	s := start(t, Config{Lookup: func(string) (record.IssuedToken, bool) { return record.IssuedToken{JKT: k.JKT}, true }})
	resp, m := send(t, s, "DPoP bound", proofFor(t, k, s, "bound", nil))
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if m.HasBearer || m.AuthScheme != "DPoP" || m.DPoP != (record.DPoPProof{}) {
		t.Fatalf("record %+v", m)
	}
}
