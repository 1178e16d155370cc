package e2e_test

import (
	"strings"
	"testing"
)

// The cases of the embedded catalogue, as scenario/case.
const (
	ccBasic        = "auth/client-credentials-basic/happy-path"
	ccBasicRefused = "auth/client-credentials-basic/credentials-refused"
	ccJWT          = "auth/client-credentials-jwt/happy-path"
	ccJWTRefused   = "auth/client-credentials-jwt/assertion-refused"
	ema            = "auth/enterprise-managed-authorization/happy-path"
	emaExchange    = "auth/enterprise-managed-authorization/exchange-refused"
	emaGrant       = "auth/enterprise-managed-authorization/grant-refused"
)

var refusedCases = []string{ccBasicRefused, ccJWTRefused, emaExchange, emaGrant}

// each is ids on every case of cases.
func each(cases []string, ids ...string) tripped { return onCases(cases, ids...) }

// noObservation is what a client that never obtains a token trips in a
// case that expects one.
var noObservation = []string{"valid-bearer-token"}

// catalogueMatrix proves every check of the embedded catalogue both ways:
// the conformant reference client ("") trips nothing, and each variant
// trips exactly these checks per case (anything but SUCCESS counts).
var catalogueMatrix = map[string]tripped{
	"":             {},
	"wrong-secret": {ccBasic: {"client-credentials-basic-auth", "valid-bearer-token"}},
	"secret-post":  {ccBasic: {"client-credentials-basic-auth", "valid-bearer-token"}},
	"wrong-grant": {
		ccBasic: {"client-credentials-grant-type", "client-credentials-basic-auth", "valid-bearer-token"},
		ccJWT:   {"client-credentials-grant-type", "client-credentials-jwt-verified", "valid-bearer-token"},
		ema:     {"complete-flow-jwt-bearer", "valid-bearer-token"},
	},
	"assertion-audience": {ccJWT: {"client-credentials-jwt-verified", "valid-bearer-token"}},
	"assertion-issuer":   {ccJWT: {"client-credentials-jwt-verified", "client-credentials-jwt-iss", "valid-bearer-token"}},
	"assertion-subject":  {ccJWT: {"client-credentials-jwt-verified", "client-credentials-jwt-sub", "valid-bearer-token"}},
	"assertion-type":     {ccJWT: {"client-credentials-assertion-type", "client-credentials-jwt-verified", "valid-bearer-token"}},
	"no-client-auth":     {ema: {"complete-flow-jwt-bearer", "valid-bearer-token"}},
	"no-resource": {
		ema: {"complete-flow-token-exchange", "complete-flow-jwt-bearer", "valid-bearer-token"},
		// The identity provider refuses the exchange before the refusing
		// authorization server is reached.
		emaGrant: {"refused-error-surfaced"},
	},
	"forged-token":         each([]string{ccBasic, ccJWT, ema}, "invalid-bearer-token", "valid-bearer-token"),
	"grant-without-id-jag": {emaExchange: {"no-grant-without-id-jag"}},
	"no-discovery": {
		// No server is reached, so no refusal either.
		ccBasicRefused: {"refused-error-surfaced", "refused-fails-fast"},
		ccJWTRefused:   {"refused-error-surfaced", "refused-fails-fast"},
		emaExchange:    {"refused-error-surfaced", "refused-fails-fast"},
		emaGrant:       {"refused-error-surfaced", "refused-fails-fast"},
		ccBasic:        {"token-request", "authorization-server-metadata", "prm-pathbased-requested", "valid-bearer-token", "client-credentials-basic-auth"},
		ccJWT:          {"token-request", "authorization-server-metadata", "prm-pathbased-requested", "valid-bearer-token", "client-credentials-jwt-verified"},
		ema:            {"token-request", "authorization-server-metadata", "prm-pathbased-requested", "valid-bearer-token", "complete-flow-token-exchange", "complete-flow-jwt-bearer"},
	},
	"retry":     {ccBasicRefused: {"refused-no-retry-loop"}, ccJWTRefused: {"refused-no-retry-loop"}, emaGrant: {"refused-no-retry-loop"}},
	"hang":      each(refusedCases, "refused-fails-fast"),
	"exit-zero": each(refusedCases, "refused-exit-nonzero"),
	"vague":     each(refusedCases, "refused-error-surfaced"),
	"leak":      each(append([]string{ccBasic, ccJWT, ema}, refusedCases...), "no-secret-leak"),
}

// TestCatalogueProvesEveryCheckBothWays runs wifdsl prove's matrix over
// the catalogue with the variants it declares (catalogue/variants.hcl):
// every check is proven, the conformant client trips nothing, and each
// variant trips exactly the checks of catalogueMatrix.
func TestCatalogueProvesEveryCheckBothWays(t *testing.T) {
	t.Parallel()
	res, declared := proveFiles(t, "../../catalogue")
	for _, e := range res.Errors {
		t.Errorf("harness error: %s", e)
	}
	for _, c := range res.Checks {
		if !c.Proven() {
			t.Errorf("%s %s: %s", c.Scenario, c.ID, c.Reason())
		}
	}
	var names, known []string
	for _, v := range declared {
		names = append(names, v.Name)
	}
	for b := range catalogueMatrix {
		if b != "" {
			known = append(known, b)
		}
	}
	if strings.Join(sorted(names), ",") != strings.Join(sorted(known), ",") {
		t.Errorf("catalogue/variants.hcl declares %v; the matrix of this test knows %v", sorted(names), sorted(known))
	}
	for _, v := range res.Variants {
		got := tripped{}
		for _, tr := range v.Trips {
			for _, c := range tr.Cases {
				id := tr.Scenario + "/" + c
				got[id] = append(got[id], strings.TrimPrefix(tr.Check, tr.Scenario+":"))
			}
		}
		want := catalogueMatrix[v.Name]
		for _, c := range append([]string{ccBasic, ccJWT, ema}, refusedCases...) {
			if g, w := strings.Join(sorted(got[c]), ","), strings.Join(sorted(want[c]), ","); g != w {
				t.Errorf("variant %s, %s: tripped %s, want %s", v.Name, c, g, w)
			}
		}
	}
	checkVariantsDoc(t, "catalogue", res)
}
