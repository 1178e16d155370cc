package jwt_test

import (
	"fmt"
	"log"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
)

func ExampleKeySet_Mint() {
	keys := jwt.NewKeySet()
	issued := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	token, err := keys.Mint("ES256", jwt.Claims{
		Issuer:   "https://idp.conformance.test",
		Subject:  "spiffe://conformance.test/ns/default/sa/agent",
		Audience: []string{"http://127.0.0.1:8080/token"},
		IssuedAt: issued,
		Expiry:   issued.Add(5 * time.Minute),
		ID:       "assertion-1",
	})
	if err != nil {
		log.Fatal(err)
	}

	header, claims, err := keys.Verify(token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(header["alg"], header["typ"])
	fmt.Println(claims["sub"], claims["aud"])

	err = jwt.Validate(claims, jwt.ValidateOptions{
		Now:        issued.Add(10 * time.Minute),
		Audiences:  []string{"http://127.0.0.1:8080/token"},
		RequireExp: true,
	})
	fmt.Println(err)
	// Output:
	// ES256 JWT
	// spiffe://conformance.test/ns/default/sa/agent http://127.0.0.1:8080/token
	// jwt: expired: exp 2030-01-01T00:05:00Z is 5m0s before now 2030-01-01T00:10:00Z (leeway 0s)
}
