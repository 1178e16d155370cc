package e2e_test

import (
	"context"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/prove"
	"github.com/wifdsl/wifdsl/internal/refclient"
	"github.com/wifdsl/wifdsl/internal/soak"
	"github.com/wifdsl/wifdsl/internal/testclient"
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

var allCases = append(append([]string{"happy-path"}, failingCases...), "tls-downgrade", "jwt-file", "token-expired")

// assertionCases are the cases that judge the workload JWT under the
// official ids: those in which a conformant client presents a JWT that the
// authorization server verifies before it answers.
var assertionCases = []string{
	"happy-path", "rejected-subject", "replayed-jti", "invalid-client", "rejected-scope",
	"invalid-request", "unauthorized-client", "jwt-file", "token-expired",
}

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
var noToken = []string{"wif-bearer-header", "wif-mcp-access", "wif-client-exit-success", "valid-bearer-token"}

// unverified is what follows when the first JWT-bearer token request
// carries no assertion the authorization server verified, or there is none.
var unverified = onCases(assertionCases, "wif-assertion-verified")

// notFromFile is what follows in jwt-file when the token request carries
// no assertion parameter the harness wrote (a malformed request, or the
// RFC 7523 §2.2 mix-up).
var notFromFile = onCases([]string{"jwt-file", "token-expired"}, "wif-jwt-file-assertion")

// noRenewal is what follows in token-expired when the client gets no
// token at all, or cannot use it.
var noRenewal = onCases([]string{"token-expired"}, "wif-reauthenticates")

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
	"grant-fallback": onCases(failingCases, "wif-grant-fallback"),
	"hang":           onCases(failingCases, "wif-fails-fast"),
	"exit-zero":      onCases(failingCases, "wif-exit-nonzero"),
	"vague":          onCases(failingCases, "wif-error-surfaced").plus(scopeMisreported),
	"scope-as-grant": onCases([]string{"rejected-scope", "invalid-request", "unauthorized-client", "invalid-client", unavailable}, "wif-error-surfaced").plus(scopeMisreported),
	"no-resource":    onCases([]string{"happy-path"}, "wif-resource-indicator"),
	"token-in-query": onCases([]string{"happy-path"}, "wif-token-not-in-query"),
	"leak":           onCases(allCases, "wif-no-secret-leak"),
	// A JWT the authorization server cannot verify: a signature by another
	// key is the official wif-assertion-malformed.
	"self-assertion": onCases([]string{"happy-path"}, append([]string{"wif-assertion-verbatim"}, noToken...)...).
		plus(unverified).plus(onCases(assertionCases, "wif-assertion-malformed")).plus(scopeMisreported).plus(notFromFile).plus(noRenewal),
	"json-body": onCases([]string{"happy-path"}, append([]string{"wif-token-request-form", "wif-grant-type",
		"wif-assertion-verbatim", "wif-resource-indicator"}, noToken...)...).plus(unverified).plus(scopeMisreported).plus(notFromFile).plus(noRenewal),
	"get-request": onCases([]string{"happy-path"}, append([]string{"wif-token-request-post", "wif-token-request-form",
		"wif-grant-type", "wif-assertion-verbatim", "wif-resource-indicator"}, noToken...)...).plus(unverified).plus(scopeMisreported).plus(notFromFile).plus(noRenewal),
	"client-credentials": onCases([]string{"happy-path"}, append([]string{"wif-grant-type", "wif-assertion-verbatim"}, noToken...)...).
		plus(unverified).plus(scopeMisreported).plus(notFromFile).plus(noRenewal),
	"repeated-params": onCases([]string{"happy-path"}, append([]string{"wif-no-repeated-params"}, noToken...)...).plus(unverified).plus(scopeMisreported).plus(noRenewal),
	// In tls-downgrade the downgrade is offered in the authorization server
	// metadata, which this variant never reads: the check cannot judge it.
	"no-discovery":   onCases([]string{"happy-path"}, "wif-discovery", "authorization-server-metadata").plus(onCases([]string{"tls-downgrade"}, "wif-assertion-over-tls")),
	"register":       onCases([]string{"happy-path"}, "wif-no-registration"),
	"no-bearer":      onCases([]string{"happy-path"}, noToken...).plus(noRenewal),
	"hang-success":   onCases([]string{"happy-path"}, "wif-client-exit-success"),
	"tls-downgrade":  onCases([]string{"tls-downgrade"}, "wif-assertion-over-tls"),
	"stale-jwt-file": onCases([]string{"jwt-file", "token-expired"}, "wif-jwt-file-fresh"),
	"no-renewal":     noRenewal,
	// The refresh grant after the first token is a token request of
	// another grant type; in token-expired it is what the check refuses.
	"refresh-grant": onCases([]string{"happy-path"}, "wif-grant-type", "wif-assertion-verbatim").plus(onCases([]string{"jwt-file", "token-expired"}, "wif-jwt-file-assertion")).
		plus(onCases([]string{"token-expired"}, "wif-no-refresh-grant")),
	// The official broken clients' JWTs: refused wherever the JWT is
	// judged, and with invalid_grant where a correct client meets
	// invalid_scope.
	"expired-jwt":        wrongJWT("wif-assertion-expired"),
	"wrong-audience-jwt": wrongJWT("wif-assertion-audience"),
	"no-assertion":       wrongJWT("wif-assertion-missing"),
	// The MCP server refuses the forged token; the client renews it once
	// (in happy-path its JWT's jti is then replayed) and gives up.
	"forged-token": onCases([]string{"happy-path", "jwt-file", "token-expired"}, "invalid-bearer-token").
		plus(onCases([]string{"happy-path"}, noToken...)).plus(noRenewal),
	// No request at all: every observation fails, and every check that
	// needs a token request or an error response.
	"quit": onCases([]string{"happy-path"}, append([]string{"wif-token-request-post", "wif-token-request-form", "wif-grant-type",
		"wif-assertion-verbatim", "wif-resource-indicator", "wif-discovery", "wif-no-repeated-params",
		"token-request", "authorization-server-metadata", "prm-pathbased-requested"}, noToken...)...).
		plus(unverified).plus(onCases(failingCases, "wif-fails-fast", "wif-error-surfaced")).plus(onCases(rejectionCases, "wif-no-retry")).
		plus(scopeMisreported).plus(onCases([]string{"tls-downgrade"}, "wif-assertion-over-tls")).
		plus(onCases([]string{"jwt-file", "token-expired"}, "wif-jwt-file-assertion", "wif-jwt-file-fresh")).plus(noRenewal),
}

// wrongJWT is what a client that presents a JWT the authorization server
// refuses (or none) trips besides the official id that names why.
func wrongJWT(id string) tripped {
	return onCases([]string{"happy-path"}, append([]string{"wif-assertion-verbatim"}, noToken...)...).
		plus(unverified).plus(onCases(assertionCases, id)).plus(scopeMisreported).plus(notFromFile).plus(noRenewal)
}

func builtinPlan(t testing.TB) *engine.Plan {
	t.Helper()
	plan, err := testclient.BuiltinPlan()
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// proveFiles runs wifdsl prove's matrix over the scenario files (the
// built-in suite when none) with the variants they declare.
func proveFiles(t *testing.T, paths ...string) (*prove.Result, []*dsl.Variant) {
	t.Helper()
	src := dsl.Source{Paths: paths}
	if len(paths) == 0 {
		src.Inline = []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}
	}
	l, diags := dsl.Load(src, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var variants []prove.Variant
	for _, v := range l.Config.Variants {
		variants = append(variants, prove.Variant{Name: v.Name, Description: v.Description, Spec: v.JSON()})
	}
	res, err := prove.Run(context.Background(), l.Plan, variants, prove.Options{
		Command:  testclient.Command(""),
		Parallel: 8,
		Timeout:  8 * time.Second,
		FailFast: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, l.Config.Variants
}

// The built-in suite proves every check both ways with the variants it
// declares as data: the conformant client trips nothing, and each variant
// trips exactly its target check plus only what follows from it; and
// docs/variants.md lists it. By default TestDeterministicVerdicts runs
// every variant against the same matrix (and TestDeclaredVariantsMatchNamedOnes
// keeps the declared variants equal to those), so this proof runs with
// WIFDSL_SOAK=1 or -update; CI runs it, and `wifdsl prove` too.
func TestBuiltinSuiteProvesEveryCheckBothWays(t *testing.T) {
	if !soak.Enabled() && !*update {
		t.Skip("the proof of the built-in suite runs with WIFDSL_SOAK=1 (CI runs it, and wifdsl prove)")
	}
	t.Parallel()
	res, declared := proveFiles(t)
	for _, e := range res.Errors {
		t.Errorf("harness error: %s", e)
	}
	for _, c := range res.Checks {
		if !c.Proven() {
			t.Errorf("%s: %s", c.ID, c.Reason())
		}
	}
	var names []string
	for _, v := range declared {
		names = append(names, v.Name)
	}
	if want := sortedBugs()[1:]; strings.Join(sorted(names), ",") != strings.Join(want, ",") {
		t.Errorf("scenarios.hcl declares the variants %v; the matrix of this test knows %v", sorted(names), want)
	}
	for _, v := range res.Variants {
		got := tripped{}
		for _, tr := range v.Trips {
			for _, c := range tr.Cases {
				got[c] = append(got[c], tr.Check)
			}
		}
		want := suiteMatrix[v.Name]
		for _, c := range allCases {
			if g, w := sorted(got[c]), sorted(want[c]); strings.Join(g, ",") != strings.Join(w, ",") {
				t.Errorf("variant %s, case %s: tripped %v, want %v", v.Name, c, g, w)
			}
		}
	}
	checkVariantsDoc(t, "builtin", res)
}

// The examples prove their checks with the variants they declare.
func TestExamplesProveTheirChecks(t *testing.T) {
	res, _ := proveFiles(t, "../../examples/scenarios")
	if !res.OK() {
		var buf strings.Builder
		prove.WriteText(&buf, res)
		t.Errorf("the examples are not proven:\n%s", buf.String())
	}
	checkVariantsDoc(t, "examples", res)
}

// A variant block of a scenario file with the name of a -bug variant of
// the reference client describes the same client: the two mechanisms are
// one.
func TestDeclaredVariantsMatchNamedOnes(t *testing.T) {
	l, diags := dsl.Load(dsl.Source{
		Paths:  []string{"../../examples/scenarios"},
		Inline: []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}},
	}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, v := range l.Config.Variants {
		named, ok := refclient.NamedVariant(v.Name)
		if !ok {
			continue
		}
		decl, err := refclient.ParseVariant(v.JSON())
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		named.Description = ""
		if decl.JSON() != named.JSON() {
			t.Errorf("variant %q: the scenario file says %s, -bug %s says %s", v.Name, decl.JSON(), v.Name, named.JSON())
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
