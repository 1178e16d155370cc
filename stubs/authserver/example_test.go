package authserver_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/stubs/authserver"
)

func ExampleNew() {
	keys := jwt.NewKeySet()
	as, err := authserver.New(authserver.Config{
		Keys: keys,
		Rules: []authserver.Rule{{
			Name: "subject-not-allowed",
			Match: func(_ *authserver.TokenRequest, claims map[string]any) (bool, error) {
				return claims["sub"] == "spiffe://conformance.test/ns/default/sa/rogue", nil
			},
			Error: "invalid_grant",
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	exchange := func(subject string) {
		assertion, err := keys.Mint("ES256", jwt.Claims{
			Issuer:   "https://idp.conformance.test",
			Subject:  subject,
			Audience: []string{as.TokenEndpoint()},
			IssuedAt: time.Now(),
			Expiry:   time.Now().Add(5 * time.Minute),
		})
		if err != nil {
			log.Fatal(err)
		}
		form := url.Values{"grant_type": {authserver.GrantJWTBearer}, "assertion": {assertion}}
		resp, err := http.Post(as.TokenEndpoint(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			Error       string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("status=%d token_type=%q error=%q issued=%v\n", resp.StatusCode, body.TokenType, body.Error, as.IsIssued(body.AccessToken))
	}
	exchange("spiffe://conformance.test/ns/default/sa/agent")
	exchange("spiffe://conformance.test/ns/default/sa/rogue")

	for _, r := range as.TokenRequests() {
		fmt.Printf("#%d sub=%s status=%d rule=%q\n", r.Seq, r.Claims["sub"], r.Response.Status, r.Response.Rule)
	}
	// Output:
	// status=200 token_type="Bearer" error="" issued=true
	// status=400 token_type="" error="invalid_grant" issued=false
	// #1 sub=spiffe://conformance.test/ns/default/sa/agent status=200 rule=""
	// #2 sub=spiffe://conformance.test/ns/default/sa/rogue status=400 rule="subject-not-allowed"
}
