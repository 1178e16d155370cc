package e2e_test

import (
	"context"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
	"github.com/wifdsl/wifdsl/report"
)

func TestMain(m *testing.M) {
	testclient.MaybeRun()
	code := m.Run()
	testclient.Cleanup()
	os.Exit(code)
}

var rejectionCases = []string{
	"expired-assertion", "wrong-audience", "rejected-subject", "replayed-jti",
	"rejected-scope", "invalid-request", "unauthorized-client", "invalid-client",
}

// unavailable is the case whose rejection invites one retry after a delay.
const unavailable = "temporarily-unavailable"

// failingCases are the cases in which the authorization server refuses.
var failingCases = append(slices.Clone(rejectionCases), unavailable)

var allCases = append(append([]string{"happy-path"}, failingCases...), "tls-downgrade", "jwt-file")

// tripped maps case → the ids of the checks that did not succeed.
type tripped map[string][]string

func onCases(cases []string, ids ...string) tripped {
	t := tripped{}
	for _, c := range cases {
		t[c] = append(t[c], ids...)
	}
	return t
}

func (t tripped) plus(o tripped) tripped {
	out := tripped{}
	for _, m := range []tripped{t, o} {
		for c, ids := range m {
			out[c] = append(out[c], ids...)
		}
	}
	return out
}

// noToken is what follows when the happy path gets no access token.
var noToken = []string{"wif-bearer-header", "wif-mcp-access", "wif-client-exit-success"}

// notFromFile is what follows in jwt-file when the token request carries
// no assertion parameter the harness wrote (a malformed request, or the
// RFC 7523 §2.2 mix-up).
var notFromFile = onCases([]string{"jwt-file"}, "wif-jwt-file-assertion")

// scopeMisreported is what follows in rejected-scope when the authorization
// server answers the client's malformed request before the scope rule.
var scopeMisreported = onCases([]string{"rejected-scope"}, "wif-scope-error-distinct")

// suiteMatrix is the proof of every check both ways: the conformant client
// ("") trips nothing, and each broken variant trips its target check plus
// only what follows from it (e.g. a malformed token request earns no
// token, so the MCP checks of the happy path fail too).
var suiteMatrix = map[string]tripped{
	"":               {},
	"retry":          onCases(rejectionCases, "wif-no-retry").plus(onCases([]string{unavailable}, "wif-retry-after")),
	"grant-fallback": onCases(failingCases, "wif-no-grant-fallback"),
	"hang":           onCases(failingCases, "wif-fails-fast"),
	"exit-zero":      onCases(failingCases, "wif-exit-nonzero"),
	"vague":          onCases(failingCases, "wif-error-surfaced").plus(scopeMisreported),
	"scope-as-grant": onCases([]string{"rejected-scope", "invalid-request", "unauthorized-client", "invalid-client", unavailable}, "wif-error-surfaced").plus(scopeMisreported),
	"no-resource":    onCases([]string{"happy-path"}, "wif-resource-indicator"),
	"token-in-query": onCases([]string{"happy-path"}, "wif-token-not-in-query"),
	"leak":           onCases(allCases, "wif-no-secret-leak"),
	"self-assertion": onCases([]string{"happy-path"}, append([]string{"wif-assertion-verbatim"}, noToken...)...).plus(scopeMisreported).plus(notFromFile),
	"json-body": onCases([]string{"happy-path"}, append([]string{"wif-token-request-form", "wif-grant-type",
		"wif-assertion-verbatim", "wif-resource-indicator"}, noToken...)...).plus(scopeMisreported).plus(notFromFile),
	"get-request": onCases([]string{"happy-path"}, append([]string{"wif-token-request-post", "wif-token-request-form",
		"wif-grant-type", "wif-assertion-verbatim", "wif-resource-indicator"}, noToken...)...).plus(scopeMisreported).plus(notFromFile),
	"client-credentials": onCases([]string{"happy-path"}, append([]string{"wif-grant-type", "wif-assertion-verbatim"}, noToken...)...).plus(scopeMisreported).plus(notFromFile),
	"repeated-params":    onCases([]string{"happy-path"}, append([]string{"wif-no-repeated-params"}, noToken...)...).plus(scopeMisreported),
	// In tls-downgrade the downgrade is offered in the authorization server
	// metadata, which this variant never reads: the check cannot judge it.
	"no-discovery":   onCases([]string{"happy-path"}, "wif-discovery").plus(onCases([]string{"tls-downgrade"}, "wif-assertion-over-tls")),
	"register":       onCases([]string{"happy-path"}, "wif-no-registration"),
	"no-bearer":      onCases([]string{"happy-path"}, noToken...),
	"hang-success":   onCases([]string{"happy-path"}, "wif-client-exit-success"),
	"tls-downgrade":  onCases([]string{"tls-downgrade"}, "wif-assertion-over-tls"),
	"stale-jwt-file": onCases([]string{"jwt-file"}, "wif-jwt-file-fresh"),
}

func builtinPlan(t testing.TB) *engine.Plan {
	t.Helper()
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func runSuite(t testing.TB, bug string) *engine.Result {
	t.Helper()
	res, err := engine.Run(context.Background(), builtinPlan(t), engine.Options{
		Command:  testclient.Command(bug),
		Parallel: 8,
		Timeout:  8 * time.Second,
		FailFast: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBuiltinSuiteProvesEveryCheckBothWays(t *testing.T) {
	covered := map[string]bool{}
	for _, bug := range sortedBugs() {
		want := suiteMatrix[bug]
		t.Run("bug="+bug, func(t *testing.T) {
			res := runSuite(t, bug)
			got := tripped{}
			for _, c := range res.Cases {
				if c.Error != "" {
					t.Errorf("%s: harness error: %s", c.Case, c.Error)
				}
				for _, ch := range c.Checks {
					if ch.Status != engine.StatusSuccess {
						got[c.Case] = append(got[c.Case], ch.ID)
					}
				}
			}
			for _, c := range allCases {
				g, w := sorted(got[c]), sorted(want[c])
				if strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("case %s: tripped %v, want %v", c, g, w)
					for _, cr := range res.Cases {
						if cr.Case == c {
							for _, e := range report.Timeline(cr.Observations) {
								t.Logf("  %v %s", e.At, e.Text)
							}
							t.Logf("  stderr: %s", cr.Observations.Client.Stderr)
						}
					}
				}
			}
			if bug == "" && !res.OK() {
				t.Errorf("the conformant client does not pass the suite")
			}
		})
		for _, ids := range want {
			for _, id := range ids {
				covered[id] = true
			}
		}
	}
	// Every check of the suite is tripped by some broken variant.
	res := builtinPlan(t)
	for _, c := range res.Cases() {
		for _, ch := range c.Checks {
			if !covered[ch.ID] {
				t.Errorf("check %s is tripped by no broken client", ch.ID)
			}
		}
	}
}

func sortedBugs() []string {
	var out []string
	for b := range suiteMatrix {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
