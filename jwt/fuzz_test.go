package jwt_test

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
)

// fuzzKeys is the key set of the fuzz targets and fuzzToken one assertion
// it minted, so that the targets start from a token that verifies.
var (
	fuzzOnce   sync.Once
	fuzzKeys   *jwt.KeySet
	fuzzTokens []string
	fuzzNow    = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

func fuzzSetup(f *testing.F) {
	f.Helper()
	fuzzOnce.Do(func() {
		fuzzKeys = jwt.NewKeySet()
		for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
			tok, err := fuzzKeys.Mint(alg, jwt.Claims{
				Issuer: "https://idp.conformance.test", Subject: "spiffe://conformance.test/ns/default/sa/agent",
				Audience: []string{"http://127.0.0.1:1/token"}, IssuedAt: fuzzNow, Expiry: fuzzNow.Add(5 * time.Minute),
				ID: "jti-" + alg, Extra: map[string]any{"scope": "mcp:tools", "nested": map[string]any{"a": []any{1, "b"}}},
			})
			if err != nil {
				f.Fatal(err)
			}
			fuzzTokens = append(fuzzTokens, tok)
		}
	})
	for _, tok := range fuzzTokens {
		f.Add(tok)
	}
}

// FuzzDecode feeds arbitrary text to Decode, the assertion parser the
// authorization server uses to record what a client sent, and to Validate
// over what it decodes: no panic, errors of the documented kinds, and
// results consistent with the input.
func FuzzDecode(f *testing.F) {
	fuzzSetup(f)
	f.Fuzz(func(t *testing.T, token string) {
		header, claims, err := jwt.Decode(token)
		if err != nil {
			if !errors.Is(err, jwt.ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			if header != nil || claims != nil {
				t.Fatalf("an error with results: %v %v", header, claims)
			}
			return
		}
		if header == nil || claims == nil {
			t.Fatalf("success without a header or claims")
		}
		if strings.Count(token, ".") != 2 {
			t.Fatalf("decoded a token of %d parts", strings.Count(token, ".")+1)
		}
		// Decoding is a function of the input.
		h2, c2, err := jwt.Decode(token)
		if err != nil || !reflect.DeepEqual(header, h2) || !reflect.DeepEqual(claims, c2) {
			t.Fatalf("a second decode differs")
		}
		for _, opts := range []jwt.ValidateOptions{
			{Now: fuzzNow},
			{Now: fuzzNow, Audiences: []string{"http://127.0.0.1:1/token"}, RequireExp: true, Leeway: time.Minute},
		} {
			err := jwt.Validate(claims, opts)
			var ve *jwt.ValidationError
			if err != nil && (!errors.As(err, &ve) || ve.Reason == "") {
				t.Fatalf("Validate error is not a ValidationError with a reason: %v", err)
			}
		}
	})
}

// FuzzVerify feeds arbitrary text to KeySet.Verify: no panic, errors of
// the documented kind, and nothing verifies unless its claims are exactly
// those of a token the key set minted.
func FuzzVerify(f *testing.F) {
	fuzzSetup(f)
	var minted []map[string]any
	for _, tok := range fuzzTokens {
		_, c, err := jwt.Decode(tok)
		if err != nil {
			f.Fatal(err)
		}
		minted = append(minted, c)
	}
	f.Fuzz(func(t *testing.T, token string) {
		header, claims, err := fuzzKeys.Verify(token)
		if err != nil {
			var ve *jwt.VerifyError
			if !errors.As(err, &ve) || ve.Reason == "" {
				t.Fatalf("Verify error is not a VerifyError with a reason: %v", err)
			}
			if header != nil || claims != nil {
				t.Fatalf("an error with results")
			}
			return
		}
		for _, c := range minted {
			if reflect.DeepEqual(c, claims) {
				if alg, _ := header["alg"].(string); strings.EqualFold(alg, "none") {
					t.Fatalf("verified an unsecured token")
				}
				return
			}
		}
		t.Fatalf("verified claims the key set never signed: %v", claims)
	})
}
