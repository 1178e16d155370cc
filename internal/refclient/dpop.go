package refclient

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// DPoP (RFC 9449) in the authorization code flow. The go-sdk has none, so
// the client adds it around the SDK, in its round trippers: once an
// authorization server advertises ES256 in dpop_signing_alg_values_supported
// (§5.1), every token request carries a proof (§5) and every MCP request
// that carries the access token sends it with the DPoP scheme and a fresh
// proof bound to it (§7.1). A use_dpop_nonce challenge (§8, §9) is answered
// by one retry with the server's nonce. The key is an ES256 key made for
// the run.

// dpopAlg is the one algorithm the client signs proofs with.
const dpopAlg = "ES256"

// headerDPoP and headerDPoPNonce are the HTTP headers of RFC 9449 §4.1,
// §8.1.
const (
	headerDPoP      = "DPoP"
	headerDPoPNonce = "DPoP-Nonce"
	errUseDPoPNonce = "use_dpop_nonce"
)

// dpopState is a run's DPoP key and the nonces the servers gave it.
type dpopState struct {
	signer jose.Signer
	mu     sync.Mutex
	nonces map[string]string // by host
	reused string            // the proof the dpop_replay variant sends again
}

func newDPoPState() (*dpopState, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("refclient: DPoP key: %w", err)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		return nil, fmt.Errorf("refclient: DPoP signer: %w", err)
	}
	return &dpopState{signer: signer, nonces: map[string]string{}}, nil
}

// enableDPoP turns DPoP on for the run, once.
func (r *run) enableDPoP() {
	r.dpopOnce.Do(func() {
		d, err := newDPoPState()
		if err != nil {
			r.println(r.stderr, "wifclient: note: "+err.Error())
			return
		}
		r.dpop.Store(d)
	})
}

// proof signs a DPoP proof for a request to u with method, carrying the
// nonce the server of u gave last and, when token is set, its hash.
func (d *dpopState) proof(method string, u *url.URL, token string) (string, error) {
	target := *u
	target.RawQuery, target.Fragment, target.RawFragment = "", "", ""
	claims := map[string]any{
		"jti": uuid.NewString(),
		"htm": method,
		"htu": target.String(),
		"iat": time.Now().Unix(),
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if n := d.nonce(u.Host); n != "" {
		claims["nonce"] = n
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := d.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("refclient: signing a DPoP proof: %w", err)
	}
	return jws.CompactSerialize()
}

func (d *dpopState) nonce(host string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nonces[host]
}

// learnNonce keeps the nonce a response supplies (RFC 9449 §8.2, §9), and
// reports whether there was one.
func (d *dpopState) learnNonce(host string, resp *http.Response) bool {
	n := resp.Header.Get(headerDPoPNonce)
	if n == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nonces[host] = n
	return true
}

// advertisesDPoP reports whether an authorization server metadata response
// offers the algorithm the client signs proofs with. It leaves the body
// readable.
func advertisesDPoP(resp *http.Response) bool {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var meta struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	return json.Unmarshal(body, &meta) == nil && slices.Contains(meta.Algs, dpopAlg)
}

// tokenRequestDPoP sends a token request with a DPoP proof, and once more
// with the server's nonce after a use_dpop_nonce challenge (RFC 9449 §8).
func (m *authCodeMutator) tokenRequestDPoP(req *http.Request, d *dpopState) (*http.Response, error) {
	send := func(again bool) (*http.Response, error) {
		proof, err := d.proof(req.Method, req.URL, "")
		if err != nil {
			return nil, err
		}
		r, err := rewind(req, again)
		if err != nil {
			return nil, err
		}
		r.Header.Set(headerDPoP, proof)
		return m.base.RoundTrip(r)
	}
	resp, err := send(false)
	if err != nil || m.v.DPoPIgnoreASNonce {
		return resp, err
	}
	if resp.StatusCode == http.StatusBadRequest && d.learnNonce(req.URL.Host, resp) && oauthErrorOf(resp) == errUseDPoPNonce {
		drainClose(resp)
		return send(true)
	}
	return resp, nil
}

// dpopResource is the http.RoundTripper of MCP requests once DPoP is on:
// it sends the access token the SDK puts in "Authorization: Bearer" with
// the DPoP scheme and a fresh proof bound to it (RFC 9449 §7.1), and
// retries once with the nonce of a use_dpop_nonce challenge (§9).
type dpopResource struct {
	base http.RoundTripper
	r    *run
}

// RoundTrip implements http.RoundTripper.
func (t dpopResource) RoundTrip(req *http.Request) (*http.Response, error) {
	d := t.r.dpop.Load()
	tok, ok := bearerToken(req)
	if d == nil || !ok {
		return t.base.RoundTrip(req)
	}
	v := t.r.v
	scheme := "DPoP"
	if v.DPoPBearer {
		scheme = "Bearer"
	}
	send := func(again bool) (*http.Response, error) {
		proof, err := t.resourceProof(d, req, tok)
		if err != nil {
			return nil, err
		}
		r, err := rewind(req, again)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", scheme+" "+tok)
		r.Header.Set(headerDPoP, proof)
		return t.base.RoundTrip(r)
	}
	resp, err := send(false)
	if err != nil || v.DPoPIgnoreRSNonce {
		return resp, err
	}
	challenged := resp.StatusCode == http.StatusUnauthorized && strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), " "), errUseDPoPNonce)
	if d.learnNonce(req.URL.Host, resp) && challenged {
		drainClose(resp)
		d.mu.Lock()
		d.reused = "" // the proof to reuse must carry the nonce
		d.mu.Unlock()
		return send(true)
	}
	return resp, nil
}

// resourceProof is a fresh proof for req, or with the dpop_replay variant
// the first one made, again.
func (t dpopResource) resourceProof(d *dpopState, req *http.Request, tok string) (string, error) {
	if !t.r.v.DPoPReplay {
		return d.proof(req.Method, req.URL, tok)
	}
	d.mu.Lock()
	reused := d.reused
	d.mu.Unlock()
	if reused != "" {
		return reused, nil
	}
	p, err := d.proof(req.Method, req.URL, tok)
	if err == nil {
		d.mu.Lock()
		d.reused = p
		d.mu.Unlock()
	}
	return p, err
}

// rewind returns a copy of req to send; again, with its body read anew.
func rewind(req *http.Request, again bool) (*http.Request, error) {
	r := req.Clone(req.Context())
	if again && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("refclient: a %s request to %s cannot be sent again", req.Method, req.URL.Redacted())
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// oauthErrorOf is the error code of an RFC 6749 §5.2 JSON error response;
// the body stays readable.
func oauthErrorOf(resp *http.Response) string {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error
}

func drainClose(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
