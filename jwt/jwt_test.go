package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func baseClaims() Claims {
	return Claims{
		Issuer:    "https://idp.conformance.test",
		Subject:   "spiffe://conformance.test/ns/default/sa/agent",
		Audience:  []string{"http://127.0.0.1:1/token"},
		Expiry:    t0.Add(5 * time.Minute),
		IssuedAt:  t0,
		NotBefore: t0.Add(-time.Second),
		ID:        "jti-1",
		Extra:     map[string]any{"scope": "mcp:tools"},
	}
}

// sharedSet generates each key once for the whole test binary (RSA is slow).
var sharedSet = NewKeySet()

func TestRoundTripEveryAlg(t *testing.T) {
	for _, alg := range SupportedAlgs() {
		t.Run(alg, func(t *testing.T) {
			token, err := sharedSet.Mint(alg, baseClaims())
			if err != nil {
				t.Fatal(err)
			}
			k, err := sharedSet.Key(alg)
			if err != nil {
				t.Fatal(err)
			}
			if k.Alg() != alg || k.ID() == "" {
				t.Fatalf("key alg %q id %q", k.Alg(), k.ID())
			}
			header, claims, err := sharedSet.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if header["alg"] != alg || header["kid"] != k.ID() || header["typ"] != "JWT" {
				t.Errorf("header = %v", header)
			}
			want := map[string]any{
				"iss":   "https://idp.conformance.test",
				"sub":   "spiffe://conformance.test/ns/default/sa/agent",
				"aud":   "http://127.0.0.1:1/token",
				"exp":   float64(t0.Add(5 * time.Minute).Unix()),
				"iat":   float64(t0.Unix()),
				"nbf":   float64(t0.Unix() - 1),
				"jti":   "jti-1",
				"scope": "mcp:tools",
			}
			if !reflect.DeepEqual(claims, want) {
				t.Errorf("claims = %v, want %v", claims, want)
			}
			dh, dc, err := Decode(token)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(dh, header) || !reflect.DeepEqual(dc, claims) {
				t.Errorf("Decode differs from Verify: %v %v", dh, dc)
			}
		})
	}
}

func TestDefaultAlgIsES256(t *testing.T) {
	k, err := NewKey("")
	if err != nil {
		t.Fatal(err)
	}
	if k.Alg() != "ES256" {
		t.Fatalf("alg = %q", k.Alg())
	}
	s := NewKeySet()
	tok, err := s.Mint("", Claims{Issuer: "i"})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := Decode(tok)
	if h["alg"] != "ES256" {
		t.Fatalf("header alg = %v", h["alg"])
	}
}

func TestUnsupportedAlg(t *testing.T) {
	for _, alg := range []string{"HS256", "none", "es256"} {
		_, err := NewKey(alg)
		var ue *UnsupportedAlgError
		if !errors.As(err, &ue) || ue.Alg != alg {
			t.Fatalf("NewKey(%q) err = %v", alg, err)
		}
		for _, s := range SupportedAlgs() {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not list %s", err, s)
			}
		}
		if _, err := NewKeySet().Key(alg); !errors.As(err, &ue) {
			t.Errorf("KeySet.Key(%q) err = %v", alg, err)
		}
	}
}

func TestAudienceSerialization(t *testing.T) {
	cases := []struct {
		aud  []string
		want any // JSON-decoded aud, nil when absent
	}{
		{nil, nil},
		{[]string{}, nil},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, []any{"a", "b"}},
	}
	for _, c := range cases {
		b, err := json.Marshal(Claims{Audience: c.aud})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		got, present := m["aud"]
		if c.want == nil {
			if present {
				t.Errorf("aud %v: serialized %s, want aud omitted", c.aud, b)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("aud %v: serialized %s", c.aud, b)
		}
	}
}

func TestZeroFieldsOmitted(t *testing.T) {
	b, err := json.Marshal(Claims{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "{}" {
		t.Fatalf("zero Claims = %s", b)
	}
	b, _ = json.Marshal(Claims{Expiry: time.Unix(1700000000, 900_000_000)})
	if string(b) != `{"exp":1700000000}` {
		t.Fatalf("exp = %s, want whole seconds", b)
	}
}

func TestExtraCollision(t *testing.T) {
	for _, name := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"} {
		c := baseClaims()
		c.Extra = map[string]any{name: "x"}
		_, err := sharedSet.Mint("ES256", c)
		var ce *ClaimCollisionError
		if !errors.As(err, &ce) || ce.Name != name {
			t.Errorf("Extra[%s]: err = %v", name, err)
		}
	}
	// A registered claim left unset may come from Extra (e.g. malformed on purpose).
	tok, err := sharedSet.Mint("ES256", Claims{Issuer: "i", Extra: map[string]any{"exp": "tomorrow"}})
	if err != nil {
		t.Fatal(err)
	}
	_, claims, _ := Decode(tok)
	if claims["exp"] != "tomorrow" {
		t.Fatalf("claims = %v", claims)
	}
	// Unencodable extra values are an error, not a panic.
	if _, err := sharedSet.Mint("ES256", Claims{Extra: map[string]any{"f": func() {}}}); err == nil {
		t.Fatal("want error for unencodable extra claim")
	}
}

func verifyReason(t *testing.T, s *KeySet, token, want string) {
	t.Helper()
	h, c, err := s.Verify(token)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify err = %v (header %v claims %v), want VerifyError %q", err, h, c, want)
	}
	if ve.Reason != want {
		t.Fatalf("Verify reason = %q (%v), want %q", ve.Reason, err, want)
	}
	if h != nil || c != nil {
		t.Fatalf("Verify returned data with an error")
	}
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestTamperedRejected(t *testing.T) {
	token, err := sharedSet.Mint("ES256", baseClaims())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")

	// Flip bits in the middle of the signature.
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0xff
	verifyReason(t, sharedSet, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig), VerifySignature)

	// Change a claim and keep the old signature.
	_, claims, _ := Decode(token)
	claims["sub"] = "spiffe://conformance.test/ns/default/sa/rogue"
	verifyReason(t, sharedSet, parts[0]+"."+b64(claims)+"."+parts[2], VerifySignature)
}

func TestForeignKeyRejected(t *testing.T) {
	foreign := NewKeySet()
	ftoken, err := foreign.Mint("ES256", baseClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sharedSet.Key("ES256"); err != nil {
		t.Fatal(err)
	}
	verifyReason(t, sharedSet, ftoken, VerifyUnknownKID)

	// Same token claiming one of our kids: the signature does not match.
	fh, _, _ := Decode(ftoken)
	ours, _ := sharedSet.Key("ES256")
	fh["kid"] = ours.ID()
	parts := strings.Split(ftoken, ".")
	verifyReason(t, sharedSet, b64(fh)+"."+parts[1]+"."+parts[2], VerifySignature)

	// No kid at all: every ES256 key of the set is tried and none verifies.
	delete(fh, "kid")
	verifyReason(t, sharedSet, b64(fh)+"."+parts[1]+"."+parts[2], VerifySignature)

	// A key created outside any set mints tokens the set does not trust.
	lone, err := NewKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	ltoken, err := lone.Mint(baseClaims())
	if err != nil {
		t.Fatal(err)
	}
	verifyReason(t, NewKeySet(), ltoken, VerifyUnknownKID)
}

func TestNoKidVerifies(t *testing.T) {
	s := NewKeySet()
	k, err := s.Key("ES384")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key("ES256"); err != nil {
		t.Fatal(err)
	}
	// Sign without a kid header; Verify must find the key by alg.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: k.priv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := baseClaims().MarshalJSON()
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := jws.CompactSerialize()
	h, c, err := s.Verify(token)
	if err != nil {
		t.Fatalf("Verify without kid: %v", err)
	}
	if _, has := h["kid"]; has || c["jti"] != "jti-1" {
		t.Fatalf("header %v claims %v", h, c)
	}
	// A set with no key for the alg reports that.
	verifyReason(t, NewKeySet(), token, VerifyNoKey)
}

func TestAlgNoneAndMismatchRejected(t *testing.T) {
	k, _ := sharedSet.Key("ES256")
	payload := b64(map[string]any{"iss": "i", "sub": "s"})
	for _, alg := range []string{"none", "None", "NONE"} {
		verifyReason(t, sharedSet, b64(map[string]any{"alg": alg, "kid": k.ID()})+"."+payload+".", VerifyAlgNone)
	}
	verifyReason(t, sharedSet, b64(map[string]any{"alg": "HS256", "kid": k.ID()})+"."+payload+".c2ln", VerifyUnsupportedAlg)
	verifyReason(t, sharedSet, b64(map[string]any{"alg": "ES384", "kid": k.ID()})+"."+payload+".c2ln", VerifyAlgMismatch)
	verifyReason(t, sharedSet, b64(map[string]any{"kid": k.ID()})+"."+payload+".c2ln", VerifyMalformed)
}

func TestMalformed(t *testing.T) {
	good, _ := sharedSet.Mint("ES256", baseClaims())
	parts := strings.Split(good, ".")
	bad := []string{
		"",
		"abc",
		"a.b",
		good + ".x",
		"!!!." + parts[1] + "." + parts[2],
		parts[0] + ".!!!." + parts[2],
		parts[0] + "." + parts[1] + ".!!!",
		b64([]int{1}) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("null")) + "." + parts[2],
		parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"a":1} x`)) + "." + parts[2],
	}
	for _, tok := range bad {
		if _, _, err := Decode(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) err = %v", tok, err)
		}
		verifyReason(t, sharedSet, tok, VerifyMalformed)
	}
}

func TestJWKS(t *testing.T) {
	s := NewKeySet()
	empty, err := s.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if string(empty) != `{"keys":[]}` {
		t.Fatalf("empty JWKS = %s", empty)
	}
	es, _ := s.Key("ES256")
	ed, _ := s.Key("EdDSA")
	raw, err := s.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys: %s", len(set.Keys), raw)
	}
	for i, k := range []*Key{es, ed} {
		jk := set.Keys[i]
		if jk.KeyID != k.ID() || jk.Algorithm != k.Alg() || jk.Use != "sig" || !jk.IsPublic() {
			t.Errorf("JWK %d = kid %q alg %q use %q public %v", i, jk.KeyID, jk.Algorithm, jk.Use, jk.IsPublic())
		}
		// A relying party using only the published JWKS can verify.
		token, err := s.Mint(k.Alg(), baseClaims())
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.Alg())})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(set.Key(k.ID())[0]); err != nil {
			t.Errorf("verify %s with published JWK: %v", k.Alg(), err)
		}
	}
	if strings.Contains(string(raw), `"d"`) {
		t.Fatalf("JWKS leaks private key material: %s", raw)
	}
}

func TestKeySetConcurrent(t *testing.T) {
	s := NewKeySet()
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := s.Key("ES256")
			if err != nil {
				t.Error(err)
				return
			}
			tok, err := s.Mint("ES256", baseClaims())
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := s.Verify(tok); err != nil {
				t.Error(err)
			}
			if _, err := s.JWKS(); err != nil {
				t.Error(err)
			}
			ids[i] = k.ID()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("KeySet.Key returned different keys: %v", ids)
		}
	}
}

func TestValidate(t *testing.T) {
	now := t0
	aud := []string{"http://127.0.0.1:9/token", "http://127.0.0.1:9"}
	good := func() map[string]any {
		return map[string]any{
			"iss": "i", "sub": "s", "aud": "http://127.0.0.1:9/token",
			"exp": float64(now.Add(time.Minute).Unix()),
			"nbf": float64(now.Unix()),
			"iat": float64(now.Unix()),
		}
	}
	opts := ValidateOptions{Now: now, Leeway: 30 * time.Second, Audiences: aud, RequireExp: true}
	if err := Validate(good(), opts); err != nil {
		t.Fatalf("good claims: %v", err)
	}

	cases := []struct {
		name   string
		mutate func(map[string]any)
		opts   func(*ValidateOptions)
		want   string // "" means valid
	}{
		{"missing iss", func(m map[string]any) { delete(m, "iss") }, nil, ReasonMissingIss},
		{"empty iss", func(m map[string]any) { m["iss"] = "" }, nil, ReasonMissingIss},
		{"numeric iss", func(m map[string]any) { m["iss"] = 1.0 }, nil, ReasonMalformed},
		{"missing sub", func(m map[string]any) { delete(m, "sub") }, nil, ReasonMissingSub},
		{"missing aud", func(m map[string]any) { delete(m, "aud") }, nil, ReasonMissingAud},
		{"wrong aud", func(m map[string]any) { m["aud"] = "https://elsewhere" }, nil, ReasonAudience},
		{"aud array with issuer", func(m map[string]any) { m["aud"] = []any{"x", "http://127.0.0.1:9"} }, nil, ""},
		{"aud array without match", func(m map[string]any) { m["aud"] = []any{"x", "y"} }, nil, ReasonAudience},
		{"aud bad element", func(m map[string]any) { m["aud"] = []any{"x", 2.0} }, nil, ReasonMalformed},
		{"aud unchecked", func(m map[string]any) { delete(m, "aud") }, func(o *ValidateOptions) { o.Audiences = nil }, ""},
		{"missing exp required", func(m map[string]any) { delete(m, "exp") }, nil, ReasonMissingExp},
		{"missing exp optional", func(m map[string]any) { delete(m, "exp") }, func(o *ValidateOptions) { o.RequireExp = false }, ""},
		{"expired beyond leeway", func(m map[string]any) { m["exp"] = float64(now.Add(-31 * time.Second).Unix()) }, nil, ReasonExpired},
		{"expired within leeway", func(m map[string]any) { m["exp"] = float64(now.Add(-29 * time.Second).Unix()) }, nil, ""},
		{"expired exactly at leeway", func(m map[string]any) { m["exp"] = float64(now.Add(-30 * time.Second).Unix()) }, nil, ReasonExpired},
		{"expired no leeway", func(m map[string]any) { m["exp"] = float64(now.Unix()) }, func(o *ValidateOptions) { o.Leeway = -1 }, ReasonExpired},
		{"exp string", func(m map[string]any) { m["exp"] = "tomorrow" }, nil, ReasonMalformed},
		{"exp json.Number", func(m map[string]any) { m["exp"] = json.Number("1") }, nil, ReasonExpired},
		{"exp int64", func(m map[string]any) { m["exp"] = now.Add(time.Hour).Unix() }, nil, ""},
		{"nbf future", func(m map[string]any) { m["nbf"] = float64(now.Add(time.Minute).Unix()) }, nil, ReasonNotYetValid},
		{"nbf within leeway", func(m map[string]any) { m["nbf"] = float64(now.Add(20 * time.Second).Unix()) }, nil, ""},
		{"iat future", func(m map[string]any) { m["iat"] = float64(now.Add(time.Minute).Unix()) }, nil, ReasonIssuedInFuture},
		{"iat past", func(m map[string]any) { m["iat"] = float64(now.Add(-time.Hour).Unix()) }, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.mutate(m)
			o := opts
			if c.opts != nil {
				c.opts(&o)
			}
			err := Validate(m, o)
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want ValidationError", err)
			}
			if ve.Reason != c.want || ve.Detail == "" || !strings.HasPrefix(err.Error(), "jwt: "+c.want) {
				t.Fatalf("reason %q detail %q, want %q", ve.Reason, ve.Detail, c.want)
			}
			if strings.ContainsAny(ve.Detail, "\"\\") {
				t.Errorf("detail has quote characters: %s", ve.Detail)
			}
		})
	}
}

func TestValidateDefaultsNow(t *testing.T) {
	m := map[string]any{"iss": "i", "sub": "s", "exp": float64(time.Now().Add(-time.Hour).Unix())}
	var ve *ValidationError
	if err := Validate(m, ValidateOptions{}); !errors.As(err, &ve) || ve.Reason != ReasonExpired {
		t.Fatalf("err = %v", err)
	}
}
