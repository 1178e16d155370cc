package jwt

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	jose "github.com/go-jose/go-jose/v4"
)

// KeySet holds at most one signing key per algorithm. Keys are generated
// lazily on first use by [KeySet.Key] or [KeySet.Mint]. A KeySet is safe for
// concurrent use; a test case normally owns one.
type KeySet struct {
	mu   sync.Mutex
	keys map[string]*keySlot // by alg
}

// keySlot lets one goroutine generate a key while others wait for that key
// only, without holding the set's lock during (slow RSA) generation.
type keySlot struct {
	once  sync.Once
	key   *Key
	err   error
	ready atomic.Pointer[Key] // set once key is generated
}

// NewKeySet returns an empty key set.
func NewKeySet() *KeySet {
	return &KeySet{keys: make(map[string]*keySlot)}
}

// Key returns the set's key for alg, generating it on first use. An empty
// alg means [DefaultAlg]. An unsupported alg yields an
// *[UnsupportedAlgError].
func (s *KeySet) Key(alg string) (*Key, error) {
	if alg == "" {
		alg = DefaultAlg
	}
	if !isSupported(alg) {
		return nil, &UnsupportedAlgError{Alg: alg}
	}
	s.mu.Lock()
	if s.keys == nil {
		s.keys = make(map[string]*keySlot)
	}
	slot, ok := s.keys[alg]
	if !ok {
		slot = &keySlot{}
		s.keys[alg] = slot
	}
	s.mu.Unlock()

	slot.once.Do(func() {
		slot.key, slot.err = NewKey(alg)
		if slot.key != nil {
			slot.ready.Store(slot.key)
		}
	})
	return slot.key, slot.err
}

// generated returns the keys generated so far, in [SupportedAlgs] order. A
// key still being generated is left out: nothing can have been signed with
// it yet.
func (s *KeySet) generated() []*Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]*Key, 0, len(s.keys))
	for _, alg := range supportedAlgs {
		if slot, ok := s.keys[alg]; ok {
			if k := slot.ready.Load(); k != nil {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// JWKS returns the public keys of the set as an RFC 7517 §5 JWK Set, each
// with kid, alg and use "sig". Keys not generated yet are not included.
func (s *KeySet) JWKS() ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range s.generated() {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwt: encode JWKS: %w", err)
	}
	return b, nil
}

// Mint signs c with the set's key for alg (generated if needed; "" means
// [DefaultAlg]) and returns a compact JWS (RFC 7515 §7.1) whose protected
// header carries alg, kid and typ "JWT".
func (s *KeySet) Mint(alg string, c Claims) (string, error) {
	k, err := s.Key(alg)
	if err != nil {
		return "", err
	}
	return k.Mint(c)
}

// Reasons a token fails [KeySet.Verify], in [VerifyError].Reason.
const (
	VerifyMalformed      = "malformed"       // not a compact JWS with JSON header and claims
	VerifyAlgNone        = "alg none"        // unsecured JWS (RFC 7518 §3.6), never accepted
	VerifyUnsupportedAlg = "unsupported alg" // alg outside SupportedAlgs
	VerifyUnknownKID     = "unknown kid"     // kid names no key of the set
	VerifyNoKey          = "no key"          // no kid, and the set has no key for alg
	VerifyAlgMismatch    = "alg mismatch"    // the kid's key is bound to another alg
	VerifySignature      = "signature"       // the signature does not verify
)

// VerifyError reports why [KeySet.Verify] rejected a token.
type VerifyError struct {
	Reason string // one of the Verify* constants
	Detail string // human-readable specifics
	Err    error  // underlying error, if any
}

func (e *VerifyError) Error() string {
	msg := "jwt: verify: " + e.Reason
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks the signature of a compact JWS (RFC 7515 §5.2) against the
// public keys of the set and returns its decoded header and claims. The key
// is chosen by the header's kid; without a kid every key of the header's alg
// is tried. The header alg must be the alg the key was generated for, so a
// key is never used with another algorithm (RFC 8725 §3.1). Unsecured
// tokens (alg "none", RFC 7518 §3.6) are always rejected. Errors are
// *[VerifyError].
//
// Verify checks only the signature; claim checks are [Validate]'s job.
func (s *KeySet) Verify(token string) (header, claims map[string]any, err error) {
	return verifyWith(token, s.generated())
}

// verifyWith is Verify over the given keys.
func verifyWith(token string, keys []*Key) (header, claims map[string]any, err error) {
	header, _, err = Decode(token)
	if err != nil {
		return nil, nil, &VerifyError{Reason: VerifyMalformed, Err: err}
	}
	alg, ok := header["alg"].(string)
	switch {
	case !ok || alg == "":
		return nil, nil, &VerifyError{Reason: VerifyMalformed, Detail: "header has no alg string"}
	case strings.EqualFold(alg, "none"):
		return nil, nil, &VerifyError{Reason: VerifyAlgNone, Detail: "unsecured JWS is not accepted"}
	case !isSupported(alg):
		return nil, nil, &VerifyError{Reason: VerifyUnsupportedAlg, Detail: fmt.Sprintf("alg %q", alg)}
	}

	var candidates []*Key
	if rawKID, present := header["kid"]; present {
		kid, ok := rawKID.(string)
		if !ok {
			return nil, nil, &VerifyError{Reason: VerifyMalformed, Detail: "kid is not a string"}
		}
		for _, k := range keys {
			if k.id == kid {
				candidates = append(candidates, k)
			}
		}
		if len(candidates) == 0 {
			return nil, nil, &VerifyError{Reason: VerifyUnknownKID, Detail: fmt.Sprintf("kid %q", kid)}
		}
		if candidates[0].alg != alg {
			return nil, nil, &VerifyError{Reason: VerifyAlgMismatch,
				Detail: fmt.Sprintf("kid %q is a %s key, header alg is %s", kid, candidates[0].alg, alg)}
		}
	} else {
		for _, k := range keys {
			if k.alg == alg {
				candidates = append(candidates, k)
			}
		}
		if len(candidates) == 0 {
			return nil, nil, &VerifyError{Reason: VerifyNoKey, Detail: fmt.Sprintf("no kid and no %s key", alg)}
		}
	}

	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return nil, nil, &VerifyError{Reason: VerifyMalformed, Err: err}
	}
	var lastErr error
	for _, k := range candidates {
		payload, err := jws.Verify(k.Public())
		if err != nil {
			lastErr = err
			continue
		}
		claims, err := decodeObject(payload)
		if err != nil {
			return nil, nil, &VerifyError{Reason: VerifyMalformed, Detail: "claims", Err: err}
		}
		return header, claims, nil
	}
	return nil, nil, &VerifyError{Reason: VerifySignature, Err: lastErr}
}
