package jwt

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestKeysVerifyOnlyTheirOwn(t *testing.T) {
	a, _ := NewKey("ES256")
	b, _ := NewKey("ES256")
	tok, err := a.MintTyped("oauth-id-jag+jwt", Claims{Subject: "x", Expiry: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	h, c, err := Keys{b, a}.Verify(tok)
	if err != nil || c["sub"] != "x" || h["typ"] != "oauth-id-jag+jwt" {
		t.Fatalf("header %v claims %v err %v", h, c, err)
	}
	if _, _, err := (Keys{b}).Verify(tok); err == nil {
		t.Fatal("a token of another key verified")
	}
	if _, _, err := (Keys{}).Verify(tok); err == nil {
		t.Fatal("an empty Keys verified a token")
	}
}

func TestPrivateKeyPEMIsTheKey(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		k, err := NewKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := k.PrivateKeyPEM()
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode([]byte(p))
		if block == nil || block.Type != "PRIVATE KEY" {
			t.Fatalf("%s: not a PKCS #8 PEM block: %q", alg, p)
		}
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		pub := priv.(crypto.Signer).Public()
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Fatalf("%s: the PEM holds another key", alg)
		}
		jwk, err := k.PublicJWK()
		if err != nil || !strings.Contains(jwk, k.ID()) || strings.Contains(jwk, `"d"`) {
			t.Fatalf("%s: public JWK %s (%v)", alg, jwk, err)
		}
	}
}
