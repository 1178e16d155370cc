package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMalformed is wrapped by every error [Decode] returns.
var ErrMalformed = errors.New("jwt: malformed token")

// Decode splits a compact JWS (RFC 7515 §7.1) and decodes its protected
// header and its payload as a JWT claims set (RFC 7519 §7.2 steps 1-8),
// without checking the signature. It exists to record what a client sent;
// use [KeySet.Verify] to trust a token. Numbers decode as float64.
// An unsecured token (alg "none", empty signature) decodes like any other.
// Errors wrap [ErrMalformed].
func Decode(token string) (header, claims map[string]any, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("%w: %d dot-separated parts, want 3", ErrMalformed, len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header is not base64url: %w", ErrMalformed, err)
	}
	header, err = decodeObject(hb)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: payload is not base64url: %w", ErrMalformed, err)
	}
	claims, err = decodeObject(pb)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, nil, fmt.Errorf("%w: signature is not base64url: %w", ErrMalformed, err)
	}
	return header, claims, nil
}

// decodeObject decodes b as exactly one JSON object.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return m, nil
}
