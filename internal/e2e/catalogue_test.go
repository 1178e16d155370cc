package e2e_test

import (
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/internal/soak"
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
	// The variants of the authorization code flow change nothing in the
	// machine-to-machine flows, except where they send a forged token or
	// print their secrets.
	"trusting-forged": each([]string{ccBasic, ccJWT, ema}, "invalid-bearer-token", "valid-bearer-token"),
	"trusting-leak":   each(append([]string{ccBasic, ccJWT, ema}, refusedCases...), "no-secret-leak"),
	"quit":            {}, "no-pkce": {}, "pkce-plain": {}, "partial-scopes": {}, "asks-offline": {},
	"ignore-scope": {}, "no-cimd": {}, "no-refresh-registration": {}, "ignore-iss": {},
	"trust-metadata-issuer": {}, "trust-prm-resource": {}, "root-prm-first": {}, "root-metadata": {},
	"secret-basic": {}, "sends-secret": {}, "bad-resource": {}, "no-application-type": {}, "echo-scope": {}, "reuse-credentials": {},
	// DPoP applies only where an authorization server advertises it.
	"dpop-bearer": {}, "dpop-replay": {}, "dpop-no-token-proof": {}, "dpop-no-as-nonce": {}, "dpop-no-rs-nonce": {},
}

// extensionFiles are the catalogue files of the machine-to-machine
// extension scenarios, with what they share.
var extensionFiles = []string{"../../catalogue/common.hcl", "../../catalogue/client-credentials.hcl",
	"../../catalogue/enterprise-managed-authorization.hcl", "../../catalogue/variants.hcl"}

// TestCatalogueExtensionsMatrix runs wifdsl prove's matrix over the
// extension scenarios of the catalogue with the variants it declares
// (catalogue/variants.hcl): every check is proven, the conformant client
// trips nothing, and each variant trips exactly the checks of
// catalogueMatrix.
func TestCatalogueExtensionsMatrix(t *testing.T) {
	t.Parallel()
	res, declared := proveFiles(t, extensionFiles...)
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
}

// TestCatalogueProvesEveryCheckBothWays runs wifdsl prove over the whole
// catalogue: every check of every scenario is proven, with no harness
// error, and docs/variants.md lists what each variant trips. It runs
// 50-odd cases for each of 35 clients, so only with WIFDSL_SOAK=1 (and
// -update); CI also runs the same proof as `wifdsl prove catalogue`.
func TestCatalogueProvesEveryCheckBothWays(t *testing.T) {
	if !soak.Enabled() && !*update {
		t.Skip("proves the whole catalogue; runs with WIFDSL_SOAK=1 (CI runs it, and wifdsl prove catalogue)")
	}
	t.Parallel()
	res, _ := proveFiles(t, "../../catalogue")
	for _, e := range res.Errors {
		t.Errorf("harness error: %s", e)
	}
	for _, c := range res.Checks {
		if !c.Proven() {
			t.Errorf("%s %s: %s", c.Scenario, c.ID, c.Reason())
		}
	}
	checkVariantsDoc(t, "catalogue", res)
}
