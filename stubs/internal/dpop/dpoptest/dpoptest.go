// Package dpoptest makes DPoP proofs (RFC 9449 §4.2) for the tests of the
// stub servers: well-formed ones, and ones with one defect each.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// Key is a DPoP key pair (ES256).
type Key struct {
	priv *ecdsa.PrivateKey
	// JKT is the RFC 7638 thumbprint of the public key, base64url.
	JKT string
}

// NewKey generates a key.
func NewKey(t testing.TB) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: priv.Public()}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{priv: priv, JKT: base64.RawURLEncoding.EncodeToString(tp)}
}

// Proof describes a proof; the zero value of each defect field is the
// well-formed choice.
type Proof struct {
	Method, URL string
	Now         time.Time
	// Token, if set, is hashed into ath (RFC 9449 §4.2).
	Token string
	Nonce string
	JTI   string // "" means a fresh one

	// Defects.
	Typ        string   // replaces dpop+jwt
	Omit       []string // claims or header parameters left out: jti, htm, htu, iat, typ, jwk
	PrivateJWK bool     // embed the private key
	ATH        string   // replaces the ath
	IATOffset  time.Duration
	Tamper     bool // corrupt the signature
	Unsigned   bool // alg none
}

// Sign returns the compact proof.
func (k *Key) Sign(t testing.TB, p Proof) string {
	t.Helper()
	omit := map[string]bool{}
	for _, o := range p.Omit {
		omit[o] = true
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	claims := map[string]any{}
	set := func(name string, v any) {
		if !omit[name] {
			claims[name] = v
		}
	}
	set("jti", cmpOr(p.JTI, uuid.NewString()))
	set("htm", p.Method)
	set("htu", p.URL)
	set("iat", now.Add(p.IATOffset).Unix())
	if p.ATH != "" {
		claims["ath"] = p.ATH
	} else if p.Token != "" {
		claims["ath"] = Hash(p.Token)
	}
	if p.Nonce != "" {
		claims["nonce"] = p.Nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]any{"alg": "ES256"}
	if !omit["typ"] {
		header["typ"] = cmpOr(p.Typ, "dpop+jwt")
	}
	if !omit["jwk"] {
		jwk := jose.JSONWebKey{Key: k.priv.Public()}
		if p.PrivateJWK {
			jwk = jose.JSONWebKey{Key: k.priv}
		}
		b, err := jwk.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		header["jwk"] = json.RawMessage(b)
	}
	if p.Unsigned {
		header["alg"] = "none"
		hb, _ := json.Marshal(header)
		return b64(hb) + "." + b64(payload) + "."
	}
	opts := &jose.SignerOptions{}
	for k, v := range header {
		if k != "alg" {
			opts = opts.WithHeader(jose.HeaderKey(k), v)
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	if p.Tamper {
		parts := strings.Split(out, ".")
		c := byte('A')
		if parts[2][0] == 'A' {
			c = 'B'
		}
		parts[2] = string(c) + parts[2][1:]
		out = strings.Join(parts, ".")
	}
	return out
}

// Hash is the ath of token: base64url(SHA-256).
func Hash(token string) string {
	h := crypto.SHA256.New()
	h.Write([]byte(token))
	return b64(h.Sum(nil))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
