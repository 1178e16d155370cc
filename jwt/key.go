package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultAlg is the signature algorithm used when none is named.
const DefaultAlg = "ES256"

// rsaBits is the modulus size of generated RSA keys (RFC 7518 §3.3 requires
// at least 2048).
const rsaBits = 2048

// supportedAlgs lists the JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) a
// key can be generated for, in the order keys appear in a JWK Set.
var supportedAlgs = []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"}

// SupportedAlgs returns the JWS "alg" values (RFC 7518 §3.1, RFC 8037 §3.1)
// for which [NewKey] can generate a key. The result is a fresh slice.
func SupportedAlgs() []string {
	return append([]string(nil), supportedAlgs...)
}

func isSupported(alg string) bool {
	for _, a := range supportedAlgs {
		if a == alg {
			return true
		}
	}
	return false
}

// UnsupportedAlgError reports a signature algorithm this package cannot
// generate or verify keys for.
type UnsupportedAlgError struct {
	Alg string
}

func (e *UnsupportedAlgError) Error() string {
	return fmt.Sprintf("jwt: unsupported alg %q (supported: %s)", e.Alg, strings.Join(supportedAlgs, ", "))
}

// Key is a private signing key with a key ID ("kid", RFC 7515 §4.1.4) and
// the one JWS algorithm ("alg", RFC 7515 §4.1.1) it signs with. The key ID
// is the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.
// A Key is immutable and safe for concurrent use.
type Key struct {
	id     string
	alg    string
	priv   crypto.Signer
	signer jose.Signer
}

// NewKey generates a new in-memory key for alg. An empty alg means
// [DefaultAlg] (ES256). The supported algorithms are those returned by
// [SupportedAlgs]; any other alg yields an *[UnsupportedAlgError].
func NewKey(alg string) (*Key, error) {
	if alg == "" {
		alg = DefaultAlg
	}
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, &UnsupportedAlgError{Alg: alg}
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: generate %s key: %w", alg, err)
	}

	pub := jose.JSONWebKey{Key: priv.Public()}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("jwt: thumbprint of %s key: %w", alg, err)
	}
	k := &Key{
		id:   base64.RawURLEncoding.EncodeToString(thumb),
		alg:  alg,
		priv: priv,
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	k.signer, err = jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(alg),
		Key:       jose.JSONWebKey{Key: priv, KeyID: k.id, Algorithm: alg, Use: "sig"},
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("jwt: signer for %s key: %w", alg, err)
	}
	return k, nil
}

// ID returns the key ID ("kid", RFC 7515 §4.1.4): the RFC 7638 thumbprint
// of the public key.
func (k *Key) ID() string { return k.id }

// Alg returns the JWS algorithm ("alg", RFC 7515 §4.1.1) the key signs with.
func (k *Key) Alg() string { return k.alg }

// Public returns the public half of the key (*ecdsa.PublicKey,
// *rsa.PublicKey or ed25519.PublicKey).
func (k *Key) Public() crypto.PublicKey { return k.priv.Public() }

// publicJWK returns the public key as an RFC 7517 §4 JWK with kid, alg and
// use "sig".
func (k *Key) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.id, Algorithm: k.alg, Use: "sig"}
}

// Mint signs c with k and returns a compact JWS (RFC 7515 §7.1) whose
// protected header carries alg, kid and typ "JWT" (RFC 7519 §5.1).
func (k *Key) Mint(c Claims) (string, error) {
	payload, err := c.MarshalJSON()
	if err != nil {
		return "", err
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("jwt: sign with %s key %s: %w", k.alg, k.id, err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("jwt: serialize: %w", err)
	}
	return token, nil
}
