package refclient

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// decodeJWTPart decodes one base64url segment of a compact JWS (RFC 7515
// §7.1) as a JSON object, keeping numbers exact.
func decodeJWTPart(seg string) (map[string]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// selfSignedAssertion is the self-assertion variant: instead of presenting
// the workload JWT it was handed, the client signs its own with a fresh
// ES256 key (RFC 7518 §3.4), copying the claims of original (RFC 7519 §4)
// with a new jti. The kid of original is kept, so the authorization server
// fails on the signature rather than on an unknown key.
func selfSignedAssertion(original string) (string, error) {
	parts := strings.Split(original, ".")
	if len(parts) != 3 {
		return "", errors.New("refclient: self-assertion: valid_jwt is not a compact JWS")
	}
	header, err := decodeJWTPart(parts[0])
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: decoding JOSE header: %w", err)
	}
	claims, err := decodeJWTPart(parts[1])
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: decoding claims: %w", err)
	}
	claims["jti"] = uuid.NewString()
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: encoding claims: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: generating key: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid, ok := header["kid"].(string); ok && kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: signing: %w", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("refclient: self-assertion: %w", err)
	}
	return s, nil
}
