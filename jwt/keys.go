package jwt

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// Keys is a set of named, independent keys, such as the keys a scenario
// declares: each signs for itself, and a Keys value verifies tokens
// signed by any of them. The zero value holds no key and verifies nothing.
type Keys []*Key

// Verify checks the signature of a compact JWS against the keys, chosen
// by kid (or by alg without one), as [KeySet.Verify] does.
func (ks Keys) Verify(token string) (header, claims map[string]any, err error) {
	return verifyWith(token, ks)
}

// JWKS returns the public keys as an RFC 7517 §5 JWK Set.
func (ks Keys) JWKS() ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range ks {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwt: encode JWKS: %w", err)
	}
	return b, nil
}

// MintTyped signs c like [Key.Mint] with typ as the JOSE header's "typ"
// (RFC 7515 §4.1.9), such as "oauth-id-jag+jwt".
func (k *Key) MintTyped(typ string, c Claims) (string, error) {
	if typ == "" || typ == "JWT" {
		return k.Mint(c)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.alg),
		Key:       jose.JSONWebKey{Key: k.priv, KeyID: k.id, Algorithm: k.alg, Use: "sig"},
	}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", fmt.Errorf("jwt: signer for %s key: %w", k.alg, err)
	}
	payload, err := c.MarshalJSON()
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("jwt: sign with %s key %s: %w", k.alg, k.id, err)
	}
	return jws.CompactSerialize()
}

// PrivateKeyPEM returns the private key as a PKCS #8 PEM block (RFC 5958,
// RFC 7468 §10), the form clients load signing keys from.
func (k *Key) PrivateKeyPEM() (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return "", fmt.Errorf("jwt: encode %s private key: %w", k.alg, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// PublicJWK returns the public key as an RFC 7517 §4 JWK (JSON) with kid,
// alg and use "sig".
func (k *Key) PublicJWK() (string, error) {
	b, err := json.Marshal(k.publicJWK())
	if err != nil {
		return "", fmt.Errorf("jwt: encode JWK: %w", err)
	}
	return string(b), nil
}
