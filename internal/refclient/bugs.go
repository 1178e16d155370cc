package refclient

import (
	"slices"
	"strings"
)

// bug names one deliberately broken behaviour; the zero value is the
// conformant client.
type bug string

const (
	bugNone              bug = ""
	bugRetry             bug = "retry"
	bugGrantFallback     bug = "grant-fallback"
	bugHang              bug = "hang"
	bugHangStart         bug = "hang-start"
	bugHangSuccess       bug = "hang-success"
	bugExitZero          bug = "exit-zero"
	bugVague             bug = "vague"
	bugScopeAsGrant      bug = "scope-as-grant"
	bugNoResource        bug = "no-resource"
	bugTokenInQuery      bug = "token-in-query"
	bugLeak              bug = "leak"
	bugSelfAssertion     bug = "self-assertion"
	bugJSONBody          bug = "json-body"
	bugGetRequest        bug = "get-request"
	bugClientCredentials bug = "client-credentials"
	bugRepeatedParams    bug = "repeated-params"
	bugNoDiscovery       bug = "no-discovery"
	bugRegister          bug = "register"
	bugNoBearer          bug = "no-bearer"
	bugCrash             bug = "crash"
	bugFork              bug = "fork"
	bugFlood             bug = "flood"
	bugHammer            bug = "hammer"
	bugIgnoreScope       bug = "ignore-scope"
	bugNoProtocolVersion bug = "no-protocol-version"
	bugWrongSecret       bug = "wrong-secret"
	bugSecretPost        bug = "secret-post"
	bugAssertionType     bug = "assertion-type"
	bugAssertionAudience bug = "assertion-audience"
	bugAssertionIssuer   bug = "assertion-issuer"
	bugNoClientAuth      bug = "no-client-auth"
	bugWrongGrant        bug = "wrong-grant"
	bugForgedToken       bug = "forged-token"
	bugAssertionSubject  bug = "assertion-subject"
	bugGrantWithoutIDJAG bug = "grant-without-id-jag"
	bugTLSDowngrade      bug = "tls-downgrade"
	bugStaleJWTFile      bug = "stale-jwt-file"
)

// bugDescriptions is the one list of variants; Bugs and DescribeBug read it.
var bugDescriptions = map[bug]string{
	bugRetry:             "on a token error, repeats the token request 3 more times about 50 ms apart (trips wif-no-retry)",
	bugGrantFallback:     "on a token error, tries grant_type=client_credentials with the context client_id (trips wif-no-grant-fallback)",
	bugHang:              "on a token error, prints the error then blocks forever (trips wif-fails-fast)",
	bugHangStart:         "blocks forever before making any request",
	bugHangSuccess:       "after a successful MCP call, blocks forever instead of exiting",
	bugExitZero:          "on an error, prints the proper error but exits 0 (trips wif-exit-nonzero)",
	bugVague:             "on an error, prints only \"authorization failed\" (trips wif-error-surfaced)",
	bugScopeAsGrant:      "reports every token error as invalid_grant (trips wif-scope-error-distinct)",
	bugNoResource:        "omits the RFC 8707 resource parameter (trips wif-resource-indicator)",
	bugTokenInQuery:      "also sends the access token as ?access_token= on MCP requests (trips wif-token-not-in-query)",
	bugLeak:              "prints the assertion and the access token to stdout (trips wif-no-secret-leak)",
	bugSelfAssertion:     "signs its own JWT instead of using valid_jwt (trips wif-assertion-verbatim)",
	bugJSONBody:          "sends the token request as application/json (trips wif-token-request-form)",
	bugGetRequest:        "sends the token request as GET with a query string (trips wif-token-request-post)",
	bugClientCredentials: "uses client_credentials with a client_assertion, the RFC 7523 §2.2 mix-up (trips wif-grant-type)",
	bugRepeatedParams:    "sends grant_type twice (trips wif-no-repeated-params)",
	bugNoDiscovery:       "skips RFC 8414 metadata and posts to <issuer>/token (trips wif-discovery); in the official extension flows, skips all discovery and posts to <MCP origin>/token (trips the observation checks)",
	bugRegister:          "POSTs an RFC 7591 registration to <issuer>/register first (trips wif-no-registration)",
	bugNoBearer:          "sends the access token with the scheme Token instead of Bearer (trips wif-bearer-header)",
	bugCrash:             "on a token error, kills itself with SIGKILL (hostile)",
	bugFork:              "leaves a child `sleep 300` running in its process group holding stdout (hostile)",
	bugFlood:             "writes 300 MiB to stdout before running (hostile)",
	bugHammer:            "sends 10,000 token requests as fast as it can, then fails (hostile)",
	bugIgnoreScope:       "ignores the scope of the WWW-Authenticate challenge (trips examples/scenarios/challenge-scope.hcl)",
	bugNoProtocolVersion: "strips the MCP-Protocol-Version header from MCP requests (trips examples/scenarios/protocol-version.hcl)",
	bugWrongSecret:       "client credentials: sends a wrong client secret (trips client-credentials-basic-auth)",
	bugSecretPost:        "client credentials: sends the secret in the body (client_secret_post) where Basic is required (trips client-credentials-basic-auth)",
	bugAssertionType:     "client credentials: sends a wrong client_assertion_type (trips client-credentials-assertion-type)",
	bugAssertionAudience: "client credentials: signs its client assertion for another audience (trips client-credentials-jwt-verified)",
	bugAssertionIssuer:   "client credentials: signs its client assertion with another iss (trips client-credentials-jwt-iss)",
	bugNoClientAuth:      "enterprise-managed: presents the ID-JAG without client authentication (trips complete-flow-jwt-bearer)",
	bugWrongGrant:        "client credentials and enterprise-managed: sends grant_type=password (trips client-credentials-grant-type)",
	bugAssertionSubject:  "client credentials: signs its client assertion with another sub (trips client-credentials-jwt-sub)",
	bugForgedToken:       "client credentials and enterprise-managed: sends a token no server issued to the MCP server (trips invalid-bearer-token)",
	bugGrantWithoutIDJAG: "enterprise-managed: when the token exchange fails, presents the ID token itself to the authorization server (trips no-grant-without-id-jag)",
	bugTLSDowngrade:      "sends the assertion to an http:// token endpoint advertised over HTTPS (trips wif-assertion-over-tls)",
	bugStaleJWTFile:      "reads the JWT file once at start, waits until it was rewritten twice, then sends that first copy (trips wif-jwt-file-fresh)",
}

// Bugs returns the names accepted by -bug, sorted.
func Bugs() []string {
	names := make([]string, 0, len(bugDescriptions))
	for b := range bugDescriptions {
		names = append(names, string(b))
	}
	slices.Sort(names)
	return names
}

// DescribeBug returns a one-line description of the named variant and the
// check it is meant to trip, and whether the name is known.
func DescribeBug(name string) (string, bool) {
	d, ok := bugDescriptions[bug(name)]
	return d, ok
}

// parseBug maps a -bug value to a variant; the empty string is the
// conformant client.
func parseBug(name string) (bug, bool) {
	if name == "" {
		return bugNone, true
	}
	if _, ok := bugDescriptions[bug(name)]; !ok {
		return bugNone, false
	}
	return bug(name), true
}

// bugList renders the valid names for a usage message.
func bugList() string {
	return strings.Join(Bugs(), ", ")
}
