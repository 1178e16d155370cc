package e2e_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
	"github.com/wifdsl/wifdsl/report"
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

func TestCatalogueProvesEveryCheckBothWays(t *testing.T) {
	plan, err := testclient.CataloguePlan()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	var bugs []string
	for b := range catalogueMatrix {
		bugs = append(bugs, b)
	}
	sort.Strings(bugs)
	for _, bug := range bugs {
		want := catalogueMatrix[bug]
		for _, ids := range want {
			for _, id := range ids {
				covered[id] = true
			}
		}
		t.Run("bug="+bug, func(t *testing.T) {
			res, err := engine.Run(context.Background(), plan, engine.Options{
				Command: testclient.Command(bug), Parallel: 8, Timeout: 8 * time.Second, FailFast: 3 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Cases {
				id := c.Scenario + "/" + c.Case
				if c.Error != "" {
					t.Errorf("%s: harness error: %s", id, c.Error)
				}
				var got []string
				for _, ch := range c.Checks {
					if ch.Status != engine.StatusSuccess {
						got = append(got, ch.ID)
					}
				}
				if g, w := strings.Join(sorted(got), ","), strings.Join(sorted(want[id]), ","); g != w {
					t.Errorf("%s: tripped %s, want %s", id, g, w)
					for _, e := range report.Timeline(c.Observations) {
						t.Logf("  %v %s", e.At, e.Text)
					}
					t.Logf("  stderr: %s", c.Observations.Client.Stderr)
				}
			}
		})
	}
	for _, c := range plan.Cases() {
		for _, ch := range c.Checks {
			if !covered[ch.ID] {
				t.Errorf("check %s (%s) is tripped by no variant", ch.ID, c.ID())
			}
		}
	}
}
