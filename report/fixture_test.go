package report

import (
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
)

// Secrets of the fixture: an assertion and an access token that the
// client printed, and that appear in an observed value.
const (
	fixtureJWT   = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2lnbmF0dXJlLXNlY3JldA"
	fixtureToken = "wif-at-happy-path-00112233445566778899aabbccddeeff"
)

var fixtureStart = time.Date(2026, 11, 26, 11, 16, 1, 100_000_000, time.UTC)

func fixtureObservations(stdout, stderr string) *engine.Observations {
	env := &engine.Env{
		Scenario:       "auth/wif-jwt-bearer",
		Assertions:     map[string]*engine.Assertion{"workload": {Name: "workload", Token: fixtureJWT}},
		AssertionOrder: []string{"workload"},
	}
	return &engine.Observations{
		Env:        env,
		FirstError: 6 * time.Millisecond, FirstTokenIssued: -1,
		Requests: []record.Request{
			{Server: "mcp", At: 3 * time.Millisecond, Method: "POST", Path: "/mcp", Status: 401},
			{Server: "auth", At: 6 * time.Millisecond, Method: "POST", Path: "/token", Status: 400},
			{Server: "auth", At: 58 * time.Millisecond, Method: "POST", Path: "/token", Status: 400},
		},
		RequestCount: 3,
		TokenRequests: []record.TokenRequest{
			{Server: "auth", Path: "/token", Method: "POST", Form: map[string][]string{"grant_type": {record.GrantJWTBearer}, "resource": {"x"}},
				Response: record.TokenResponse{Status: 400, Error: "invalid_grant"}},
			{Server: "auth", Path: "/token", Method: "POST", Form: map[string][]string{"grant_type": {record.GrantJWTBearer}, "resource": {"x"}},
				Response: record.TokenResponse{Status: 400, Error: "invalid_grant"}},
		},
		TokenRequestCount: 2,
		Client: engine.ClientObservation{
			Started: true, Exited: true, ExitCode: 1, ExitAt: 170 * time.Millisecond,
			ExitAfterError: -1, Stdout: stdout, Stderr: stderr,
		},
	}
}

func check(id string, level engine.Level, status engine.Status, msg string) engine.CheckResult {
	return engine.CheckResult{
		ID: id, Name: "Name of " + id, Description: "What " + id + " requires.", Level: level, Status: status,
		Timestamp:      fixtureStart.Add(time.Second),
		SpecReferences: []engine.SpecReference{{ID: "req-" + id, URL: "https://example.test/" + id}},
		ErrorMessage:   msg, Condition: "length(token_requests) == 1", Location: "scenarios.hcl:10",
	}
}

// fixture is a result with every status, a case error, a secret in a
// value and in the client output, and characters that need escaping in
// XML and Markdown.
func fixture() *engine.Result {
	leaky := check("wif-no-retry", engine.SHOULD, engine.StatusWarning, "expected exactly one token request, saw 2")
	leaky.Values = map[string]string{"token_requests[0].form.assertion": fixtureJWT}
	happy := &engine.CaseResult{
		Scenario: "auth/wif-jwt-bearer", Case: "happy-path", Description: "A valid JWT <works> & \"passes\".",
		Started: fixtureStart, Duration: 250 * time.Millisecond,
		Checks: []engine.CheckResult{
			check("wif-grant-type", engine.MUST, engine.StatusSuccess, ""),
			check("wif-discovery", engine.MUST, engine.StatusFailure, "no metadata fetched before the token request | `tick` <b>"),
			check("wif-optional", engine.MAY, engine.StatusInfo, "an optional behaviour is missing"),
			check("wif-skipped", engine.SHOULD, engine.StatusSkipped, "not applicable"),
		},
		Observations: fixtureObservations("token: "+fixtureToken+"\n", "error: \x1b[31minvalid_grant\x1b[0m, assertion "+fixtureJWT+"\n"),
		Secrets:      []string{fixtureJWT, fixtureToken},
	}
	rejected := &engine.CaseResult{
		Scenario: "auth/wif-jwt-bearer", Case: "expired-assertion",
		Started: fixtureStart.Add(time.Second), Duration: 1020 * time.Millisecond,
		Checks: []engine.CheckResult{
			check("wif-no-secret-leak", engine.SHOULD, engine.StatusSuccess, ""),
			leaky,
		},
		Observations: fixtureObservations("", "error: invalid_grant\n"),
		Secrets:      []string{fixtureJWT},
	}
	broken := &engine.CaseResult{
		Scenario: "auth/wif-jwt-bearer", Case: "replayed-jti",
		Started: fixtureStart.Add(2 * time.Second), Duration: 5 * time.Millisecond,
		Error: "start-auth-server: listen: address in use",
		Checks: []engine.CheckResult{
			check("wif-no-retry", engine.SHOULD, engine.StatusFailure, "case could not run: start-auth-server: listen: address in use"),
		},
		Observations: fixtureObservations("", ""),
	}
	return &engine.Result{Started: fixtureStart, Duration: 1300 * time.Millisecond, Cases: []*engine.CaseResult{happy, rejected, broken}}
}

// fixtureBaseline expects the WARNING of expired-assertion and has a stale
// entry and one that matches nothing.
func fixtureBaseline() *Baseline {
	return &Baseline{
		File:    "baseline.yml",
		Entries: []string{"auth/wif-jwt-bearer/expired-assertion:wif-no-retry", "auth/wif-jwt-bearer:wif-grant-type", "auth/other"},
		Expects: func(scenario, caseName, checkID string) (string, bool) {
			if scenario == "auth/wif-jwt-bearer" && caseName == "expired-assertion" && checkID == "wif-no-retry" {
				return "auth/wif-jwt-bearer/expired-assertion:wif-no-retry", true
			}
			return "", false
		},
		Expected:   []string{"auth/wif-jwt-bearer/expired-assertion:wif-no-retry"},
		Unexpected: []string{"auth/wif-jwt-bearer/happy-path:wif-discovery", "auth/wif-jwt-bearer/replayed-jti:wif-no-retry"},
		Stale:      []string{"auth/wif-jwt-bearer:wif-grant-type"},
		Unmatched:  []string{"auth/other"},
	}
}
