package engine

import (
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/stubs/authserver"
)

// Level is a requirement keyword in the sense of RFC 2119.
type Level string

// The requirement levels; a failed check of each level reports the status
// that StatusFor gives.
const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
	MAY    Level = "MAY"
)

// Status is the outcome of one check, in the official harness's vocabulary.
type Status string

// Check statuses.
const (
	StatusSuccess Status = "SUCCESS"
	StatusFailure Status = "FAILURE"
	StatusWarning Status = "WARNING"
	StatusSkipped Status = "SKIPPED"
	StatusInfo    Status = "INFO"
)

// StatusFor is the status of a failed check of level l: MUST → FAILURE,
// SHOULD → WARNING, MAY → INFO.
func StatusFor(l Level) Status {
	switch l {
	case SHOULD:
		return StatusWarning
	case MAY:
		return StatusInfo
	default:
		return StatusFailure
	}
}

// Defaults for a case's time budgets.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultFailFast = 5 * time.Second
	// DefaultProtocolVersion is sent to the client as
	// MCP_CONFORMANCE_PROTOCOL_VERSION when a scenario names none.
	DefaultProtocolVersion = "2025-11-25"
)

// Plan is a compiled set of scenarios, ready to run.
type Plan struct {
	Scenarios []*Scenario
}

// Cases returns every case of the plan in order.
func (p *Plan) Cases() []*Case {
	var out []*Case
	for _, s := range p.Scenarios {
		out = append(out, s.Cases...)
	}
	return out
}

// Scenario groups cases that share a name in the client contract
// (MCP_CONFORMANCE_SCENARIO).
type Scenario struct {
	Name        string
	Description string
	Extension   string
	Cases       []*Case
}

// Case is one isolated run of the client: its own key set, its own stub
// servers, one client process, and the checks judged on what it did.
type Case struct {
	Scenario        string
	Name            string
	Description     string
	ProtocolVersion string
	// Timeout bounds the whole client run; FailFast bounds the time from
	// the first error response of the authorization server to the client's
	// exit.
	Timeout  time.Duration
	FailFast time.Duration
	// Steps run in order; see the Step types.
	Steps []Step
}

// ID is "scenario/case".
func (c *Case) ID() string { return c.Scenario + "/" + c.Name }

// Step is one runtime step of a case. The concrete types are
// StartAuthServer, StartMCPServer, MintAssertion, MarkSeen, LaunchClient,
// Observe and Evaluate.
type Step interface {
	// Kind is a short lower-case name of the step ("mint", "start-auth-server", …).
	Kind() string
}

// StartAuthServer starts the stub authorization server.
type StartAuthServer struct {
	GrantTypesSupported []string
	Registration        bool
	ScopesSupported     []string
	Leeway              time.Duration
	TokenTTL            time.Duration
	SkipVerification    bool
	Rules               []RejectRule
}

// RejectRule is a scenario's reason to reject a token request.
type RejectRule struct {
	Name             string
	When             Predicate
	Error            string
	ErrorDescription string
	Status           int
}

// Predicate decides whether a reject rule applies to a token request.
type Predicate interface {
	// Match reports whether the rule applies to req, whose assertion
	// decoded to claims (nil when none could be decoded).
	Match(env *Env, req *authserver.TokenRequest, claims map[string]any) (bool, error)
	// String is the condition's source text, for plans and reports.
	String() string
}

// StartMCPServer starts the stub MCP server.
type StartMCPServer struct {
	Path            string
	ScopesSupported []string
	ChallengeScope  string
}

// MintAssertion signs one workload JWT with the case's key for Alg.
type MintAssertion struct {
	Name string
	Alg  string
	// Claims computes the claims once the servers' URLs are known.
	Claims ClaimsFunc
}

// ClaimsFunc computes an assertion's claims at run time.
type ClaimsFunc interface {
	Claims(env *Env, now time.Time) (jwt.Claims, error)
	// Preview describes the claims without a running case, for plans.
	Preview() map[string]string
}

// MarkSeen tells the authorization server that some jti values were already
// used, so that an assertion carrying one is a replay.
type MarkSeen struct {
	JTIs ValueFunc
}

// LaunchClient starts the client under test with the scenario context.
type LaunchClient struct {
	// Context computes the scenario context the client receives in
	// MCP_CONFORMANCE_CONTEXT (the runner adds "name").
	Context ValueFunc
}

// ValueFunc computes a value at run time from the case environment.
type ValueFunc interface {
	Value(env *Env) (any, error)
	String() string
}

// Observe waits for the client to exit, for the case timeout, or for the
// fail-fast budget after the first error response, whichever comes first.
type Observe struct{}

// Evaluate judges the checks against the observations.
type Evaluate struct {
	Checks []*Check
}

// Kind implementations.
func (*StartAuthServer) Kind() string { return "start-auth-server" }
func (*StartMCPServer) Kind() string  { return "start-mcp-server" }
func (*MintAssertion) Kind() string   { return "mint" }
func (*MarkSeen) Kind() string        { return "mark-seen" }
func (*LaunchClient) Kind() string    { return "launch-client" }
func (*Observe) Kind() string         { return "observe" }
func (*Evaluate) Kind() string        { return "evaluate" }

// SpecReference points at the text a check verifies.
type SpecReference struct {
	ID  string `json:"id"`
	URL string `json:"url,omitempty"`
}

// Check is one judgement about the client's behaviour.
type Check struct {
	ID             string
	Name           string
	Description    string
	Level          Level
	SpecReferences []SpecReference
	Eval           Evaluator
	// Location is where the condition is written, "file:line".
	Location string
}

// Evaluator computes a check's outcome from the observations.
type Evaluator interface {
	Evaluate(obs *Observations) Outcome
	// String is the condition's source text.
	String() string
}

// Outcome is what an Evaluator found.
type Outcome struct {
	// Pass is true when the condition held.
	Pass bool
	// Err is set when the condition could not be evaluated; the check then
	// fails with it as the reason, whatever its level.
	Err error
	// Message explains a failure (the check's error_message).
	Message string
	// Values are the observed values the condition referenced, rendered
	// as text, e.g. "length(token_requests)": "3".
	Values map[string]string
}

// EvaluatorFunc adapts a Go function to Evaluator.
type EvaluatorFunc struct {
	Source string
	Fn     func(obs *Observations) Outcome
}

// Evaluate calls Fn.
func (f EvaluatorFunc) Evaluate(obs *Observations) Outcome { return f.Fn(obs) }

// String returns Source.
func (f EvaluatorFunc) String() string { return f.Source }
