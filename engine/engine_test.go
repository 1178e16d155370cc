package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/report"
)

// staticClaims mints a fixed JWT shape whose audience is the case's token
// endpoint, without any scenario language.
type staticClaims struct{}

func (staticClaims) Claims(env *engine.Env, now time.Time) (jwt.Claims, error) {
	return jwt.Claims{
		Issuer: "https://idp.test", Subject: "agent",
		Audience: []string{env.URL("auth", "token_endpoint")},
		IssuedAt: now, Expiry: now.Add(time.Minute), ID: "jti-1",
	}, nil
}

func (staticClaims) Preview() map[string]string { return nil }

type contextFunc func(env *engine.Env) (any, error)

func (f contextFunc) Value(env *engine.Env) (any, error) { return f(env) }
func (contextFunc) String() string                       { return "context" }

// handCase builds a case in Go: the engine needs no front end.
func handCase(checks ...*engine.Check) *engine.Case {
	return &engine.Case{
		Scenario: "hand", Name: "made",
		Servers: []*engine.Server{
			{Name: "auth", Kind: engine.AuthorizationServer, Auth: &engine.AuthServerSpec{}},
			{Name: "mcp", Kind: engine.MCPServer, MCP: &engine.MCPServerSpec{}},
		},
		Assertions: []*engine.AssertionSpec{{Name: "workload", Alg: "ES256", Claims: staticClaims{}}},
		Client: engine.ClientSpec{Context: contextFunc(func(env *engine.Env) (any, error) {
			return map[string]any{"valid_jwt": env.Assertions["workload"].Token}, nil
		})},
		Checks: checks,
	}
}

func check(id string, level engine.Level, f func(o *engine.Observations) bool) *engine.Check {
	return &engine.Check{ID: id, Name: id, Level: level, Eval: engine.EvaluatorFunc{
		Source: id, Fn: func(o *engine.Observations) engine.Outcome {
			return engine.Outcome{Pass: f(o), Message: id + " failed"}
		},
	}}
}

func TestRunCaseObservesTheClient(t *testing.T) {
	var seen *engine.Observations
	c := handCase(
		check("exit-3", engine.MUST, func(o *engine.Observations) bool { seen = o; return o.Client.ExitCode == 3 }),
		check("never", engine.SHOULD, func(*engine.Observations) bool { return false }),
		check("maybe", engine.MAY, func(*engine.Observations) bool { return false }),
	)
	res := engine.RunCase(context.Background(), c, engine.Options{
		Command: `echo "scenario=$MCP_CONFORMANCE_SCENARIO url=$1 ctx=$MCP_CONFORMANCE_CONTEXT"; exit 3`,
	})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	got := map[string]engine.Status{}
	for _, ch := range res.Checks {
		got[ch.ID] = ch.Status
	}
	if got["exit-3"] != engine.StatusSuccess || got["never"] != engine.StatusWarning || got["maybe"] != engine.StatusInfo {
		t.Errorf("statuses %v", got)
	}
	out := seen.Client.Stdout
	if !strings.Contains(out, "scenario=hand ") || !strings.Contains(out, "url=http://127.0.0.1:") || !strings.Contains(out, `"name":"hand"`) || !strings.Contains(out, `"valid_jwt":"ey`) {
		t.Errorf("client did not get the contract: %q", out)
	}
	if !seen.Client.Exited || seen.Client.Killed {
		t.Errorf("client %+v", seen.Client)
	}
	// The assertion is a secret the reports redact.
	red := report.NewRedactor(res)
	if strings.Contains(red.Redact(out), "ey") || !strings.Contains(red.Redact(out), "[redacted assertion workload]") {
		t.Errorf("redaction: %q", red.Redact(out))
	}
}

func TestTimeoutKillsTheClient(t *testing.T) {
	var seen *engine.Observations
	c := handCase(check("exited", engine.MUST, func(o *engine.Observations) bool { seen = o; return o.Client.Exited }))
	res := engine.RunCase(context.Background(), c, engine.Options{Command: "sleep 30 #", Timeout: 300 * time.Millisecond})
	if res.Checks[0].Status != engine.StatusFailure {
		t.Errorf("a killed client must not count as exited: %+v", res.Checks[0])
	}
	if !seen.Client.TimedOut || !seen.Client.Killed || seen.Client.HungIn != "before any request" {
		t.Errorf("client %+v", seen.Client)
	}
}

func TestUnevaluableCheckFails(t *testing.T) {
	c := handCase(&engine.Check{ID: "broken", Level: engine.MAY, Eval: engine.EvaluatorFunc{
		Fn: func(*engine.Observations) engine.Outcome { panic("boom") },
	}})
	res := engine.RunCase(context.Background(), c, engine.Options{Command: "true"})
	if ch := res.Checks[0]; ch.Status != engine.StatusFailure || !strings.Contains(ch.ErrorMessage, "boom") {
		t.Errorf("a check that cannot be evaluated fails whatever its level: %+v", ch)
	}
}

func TestBrokenStepIsAHarnessError(t *testing.T) {
	c := handCase(check("x", engine.MUST, func(*engine.Observations) bool { return true }))
	c.Assertions = append([]*engine.AssertionSpec{{Name: "bad", Alg: "HS1", Claims: staticClaims{}}}, c.Assertions...)
	res := engine.RunCase(context.Background(), c, engine.Options{Command: "true"})
	// A case the harness could not run is an error of the case: its checks
	// are not judged (SKIPPED), never blamed on the client.
	if res.Error == "" || res.Checks[0].Status != engine.StatusSkipped || !strings.Contains(res.Checks[0].ErrorMessage, "case could not run") {
		t.Errorf("error %q checks %+v", res.Error, res.Checks)
	}
}

func TestRunKeepsPlanOrder(t *testing.T) {
	plan := &engine.Plan{}
	for _, name := range []string{"a", "b", "c", "d"} {
		c := handCase(check("ok", engine.MUST, func(*engine.Observations) bool { return true }))
		c.Name = name
		plan.Scenarios = append(plan.Scenarios, &engine.Scenario{Name: "hand", Cases: []*engine.Case{c}})
	}
	var order []string
	res, err := engine.Run(context.Background(), plan, engine.Options{
		Command: "true", Parallel: 4,
		OnCase: func(c *engine.CaseResult) { order = append(order, c.Case) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, "") != "abcd" || !res.OK() || len(res.Cases) != 4 {
		t.Errorf("order %v ok %v", order, res.OK())
	}
}
