package refclient

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// seenRequest is what a test server saw of one request.
type seenRequest struct {
	auth, body string
	claims     map[string]any
	proofs     int
}

// proofServer records each request's DPoP proof, verified against its own
// jwk header, and answers with reply (by 1-based request number).
func proofServer(t *testing.T, reply func(n int, w http.ResponseWriter)) (*httptest.Server, func() []seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := seenRequest{auth: r.Header.Get("Authorization"), body: string(body), proofs: len(r.Header.Values(headerDPoP))}
		if p := r.Header.Get(headerDPoP); p != "" {
			jws, err := jose.ParseSigned(p, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Errorf("proof: %v", err)
			} else if h := jws.Signatures[0].Header; h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || h.ExtraHeaders["typ"] != "dpop+jwt" {
				t.Errorf("proof header %+v", h)
			} else if payload, err := jws.Verify(h.JSONWebKey); err != nil {
				t.Errorf("proof signature: %v", err)
			} else {
				_ = json.Unmarshal(payload, &s.claims)
			}
		}
		mu.Lock()
		seen = append(seen, s)
		n := len(seen)
		mu.Unlock()
		reply(n, w)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}
}

func dpopRun(t *testing.T, v Variant) *run {
	t.Helper()
	r := &run{v: v, stdout: io.Discard, stderr: io.Discard}
	r.enableDPoP()
	if r.dpop.Load() == nil {
		t.Fatal("DPoP not enabled")
	}
	return r
}

func ath(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// MCP requests: the token goes with the DPoP scheme and a fresh proof for
// the request; a use_dpop_nonce challenge is answered by one retry with
// the nonce, which later proofs carry too.
func TestDPoPResourceRequests(t *testing.T) {
	nonceChallenge := func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set(headerDPoPNonce, "rs-1")
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", resource_metadata="x"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
	for _, tc := range []struct {
		name     string
		v        Variant
		requests int // to the server for the two requests the client sends
		check    func(t *testing.T, seen []seenRequest)
	}{
		{"conformant", Variant{}, 3, func(t *testing.T, seen []seenRequest) {
			if seen[0].claims["nonce"] != nil || seen[1].claims["nonce"] != "rs-1" || seen[2].claims["nonce"] != "rs-1" {
				t.Errorf("nonces %v %v %v", seen[0].claims["nonce"], seen[1].claims["nonce"], seen[2].claims["nonce"])
			}
			if seen[0].claims["jti"] == seen[1].claims["jti"] || seen[1].claims["jti"] == seen[2].claims["jti"] {
				t.Error("a jti was used twice")
			}
		}},
		{"dpop_bearer", Variant{DPoPBearer: true}, 3, nil},
		{"dpop_replay", Variant{DPoPReplay: true}, 3, func(t *testing.T, seen []seenRequest) {
			if seen[1].claims["jti"] != seen[2].claims["jti"] || seen[1].claims["nonce"] != "rs-1" {
				t.Errorf("replayed proofs %v %v", seen[1].claims, seen[2].claims)
			}
		}},
		{"dpop_ignore_rs_nonce", Variant{DPoPIgnoreRSNonce: true}, 2, func(t *testing.T, seen []seenRequest) {
			if seen[1].claims["nonce"] != nil {
				t.Errorf("the nonce was used: %v", seen[1].claims)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := proofServer(t, nonceChallenge)
			r := dpopRun(t, tc.v)
			rt := dpopResource{base: http.DefaultTransport, r: r}
			for i := range 2 {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp?x=1", strings.NewReader(`{"n":1}`))
				req.Header.Set("Authorization", "Bearer tok")
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if want := http.StatusOK; i == 1 && resp.StatusCode != want {
					t.Errorf("request %d: %d", i, resp.StatusCode)
				}
			}
			got := seen()
			if len(got) != tc.requests {
				t.Fatalf("%d requests reached the server, want %d", len(got), tc.requests)
			}
			scheme := "DPoP"
			if tc.v.DPoPBearer {
				scheme = "Bearer"
			}
			for i, s := range got {
				if s.auth != scheme+" tok" || s.body != `{"n":1}` || s.proofs != 1 ||
					s.claims["htm"] != "POST" || s.claims["htu"] != srv.URL+"/mcp" || s.claims["ath"] != ath("tok") {
					t.Errorf("request %d: %+v", i+1, s)
				}
				if iat, _ := s.claims["iat"].(float64); time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute {
					t.Errorf("request %d: iat %v", i+1, s.claims["iat"])
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// Token requests carry a proof (no ath), and are sent again with the nonce
// of a use_dpop_nonce challenge.
func TestDPoPTokenRequests(t *testing.T) {
	challenge := func(n int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.Header().Set(headerDPoPNonce, "as-1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"use_dpop_nonce"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"t","token_type":"DPoP"}`)
	}
	for _, tc := range []struct {
		name     string
		v        Variant
		requests int
		status   int
		proofs   int
	}{
		{"conformant", Variant{}, 2, 200, 1},
		{"dpop_ignore_as_nonce", Variant{DPoPIgnoreASNonce: true}, 1, 400, 1},
		{"dpop_no_token_proof", Variant{DPoPNoTokenProof: true}, 1, 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := proofServer(t, challenge)
			r := dpopRun(t, tc.v)
			m := &authCodeMutator{base: http.DefaultTransport, v: tc.v, r: r}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader("grant_type=authorization_code&code=c"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := m.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := seen()
			if resp.StatusCode != tc.status || len(got) != tc.requests {
				t.Fatalf("status %d after %d requests, want %d after %d", resp.StatusCode, len(got), tc.status, tc.requests)
			}
			for i, s := range got {
				if s.proofs != tc.proofs || s.body != "code=c&grant_type=authorization_code" {
					t.Errorf("request %d: %+v", i+1, s)
				}
				if tc.proofs == 1 && (s.claims["htm"] != "POST" || s.claims["htu"] != srv.URL+"/token" || s.claims["ath"] != nil) {
					t.Errorf("request %d: claims %v", i+1, s.claims)
				}
			}
			if tc.requests == 2 && got[1].claims["nonce"] != "as-1" {
				t.Errorf("retry claims %v", got[1].claims)
			}
		})
	}
}

// DPoP is on once an authorization server advertises ES256 for it.
func TestAdvertisesDPoP(t *testing.T) {
	for body, want := range map[string]bool{
		`{"dpop_signing_alg_values_supported":["ES256"]}`:         true,
		`{"dpop_signing_alg_values_supported":["RS256","ES256"]}`: true,
		`{"dpop_signing_alg_values_supported":["RS256"]}`:         false,
		`{"issuer":"x"}`: false,
		`not json`:       false,
	} {
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(body))}
		if got := advertisesDPoP(resp); got != want {
			t.Errorf("%s: %v", body, got)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != body {
			t.Errorf("the body was not restored: %q", b)
		}
	}
}
