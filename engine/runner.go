package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/stubs/authserver"
	"github.com/wifdsl/wifdsl/stubs/mcpserver"
)

// Options configure a run.
type Options struct {
	// Command is the client command line; the MCP server URL is appended
	// as its last argument.
	Command string
	// Timeout, when positive, replaces every case's own timeout.
	Timeout time.Duration
	// FailFast, when positive, replaces every case's fail-fast budget.
	FailFast time.Duration
	// Parallel is how many cases run at once; 0 means 1.
	Parallel int
	// OutputCap bounds the client's stdout and stderr kept; 0 means
	// DefaultOutputCap.
	OutputCap int
	// Env is the base environment of the client; nil means os.Environ().
	Env []string
	// OnCase, if set, is called as each case finishes, in plan order.
	OnCase func(*CaseResult)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CheckTimeout and CheckMemory bound each check's evaluation; 0 means
	// DefaultCheckTimeout and DefaultCheckMemory (see budgetedEval).
	CheckTimeout time.Duration
	CheckMemory  int64

	// RetryBudget bounds the token endpoint's error responses after the
	// first before a running client is ended as if its fail-fast budget
	// were over; 0 means DefaultRetryBudget, negative means no bound.
	RetryBudget int

	abort func(why string) // set by Run: stops the run (see withAbort)
}

// Run executes every case of the plan and returns the results in plan
// order. A cancelled ctx stops the running clients and servers; the cases
// that already ran, and what the interrupted ones observed, are still in
// the Result, and Interrupted is set.
func Run(ctx context.Context, plan *Plan, opts Options) (*Result, error) {
	if strings.TrimSpace(opts.Command) == "" {
		return nil, errors.New("engine: no client command")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	parent := ctx
	var release func()
	ctx, opts.abort, release = withAbort(ctx)
	defer release()
	cases := plan.Cases()
	res := &Result{Started: now(), Cases: make([]*CaseResult, len(cases))}
	par := opts.Parallel
	if par <= 0 {
		par = 1
	}
	if par > len(cases) && len(cases) > 0 {
		par = len(cases)
	}
	// Workers take cases in order; results are delivered in plan order.
	done := make([]chan struct{}, len(cases))
	for i := range done {
		done[i] = make(chan struct{})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					// Interrupted before this case started: it has no result.
					close(done[i])
					continue
				}
				res.Cases[i] = RunCase(ctx, cases[i], opts)
				close(done[i])
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range cases {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	for i := range cases {
		select {
		case <-done[i]:
		case <-allDone:
			// Cancelled: the cases never dispatched have no result.
			select {
			case <-done[i]:
			default:
				continue
			}
		}
		if opts.OnCase != nil && res.Cases[i] != nil {
			opts.OnCase(res.Cases[i])
		}
	}
	wg.Wait()
	var kept []*CaseResult
	for _, c := range res.Cases {
		if c != nil {
			kept = append(kept, c)
		}
	}
	res.Cases = kept
	res.Duration = now().Sub(res.Started)
	res.Interrupted = parent.Err() != nil
	res.Aborted = abortedBy(ctx)
	return res, nil
}

// runState is the mutable state of one running case.
type runState struct {
	c       *Case
	opts    Options
	env     *Env
	keys    *jwt.KeySet
	start   time.Time
	as      *authserver.Server
	mcp     *mcpserver.Server
	errOnce sync.Once
	errCh   chan time.Time
	obs     *Observations
	checks  []*Check
	// envMu guards env: the stub servers' handlers read it (reject rules)
	// while later steps still add to it.
	envMu sync.RWMutex
	// peers tells the stubs which connections come from the client.
	peers clientPeers
	// storm ends a client that keeps provoking error responses.
	storm errorStorm
}

// envSnapshot returns a copy of the environment that later steps do not change.
func (st *runState) envSnapshot() *Env {
	st.envMu.RLock()
	defer st.envMu.RUnlock()
	e := *st.env
	e.Assertions = make(map[string]*Assertion, len(st.env.Assertions))
	for k, v := range st.env.Assertions {
		e.Assertions[k] = v
	}
	e.AssertionOrder = append([]string(nil), st.env.AssertionOrder...)
	if st.env.Context != nil {
		e.Context = make(map[string]any, len(st.env.Context))
		for k, v := range st.env.Context {
			e.Context[k] = v
		}
	}
	return &e
}

// setEnv changes the environment under its lock.
func (st *runState) setEnv(f func(e *Env)) {
	st.envMu.Lock()
	defer st.envMu.Unlock()
	f(st.env)
}

// RunCase executes one case and returns its result; it never returns nil.
func RunCase(ctx context.Context, c *Case, opts Options) *CaseResult {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	st := &runState{
		c:    c,
		opts: opts,
		env:  &Env{Scenario: c.Scenario, Case: c.Name, Assertions: map[string]*Assertion{}},
		keys: jwt.NewKeySet(),
		// Buffered: the first error time is kept even if nobody waits yet.
		errCh: make(chan time.Time, 1),
		start: now(),
		obs: &Observations{
			FirstError:       -1,
			FirstTokenIssued: -1,
			Client:           ClientObservation{ExitCode: -1, ExitAfterError: -1},
		},
	}
	st.obs.Env = st.env
	cr := &CaseResult{Scenario: c.Scenario, Case: c.Name, Description: c.Description, Started: st.start}
	defer st.closeServers()
	for _, step := range c.Steps {
		if err := st.do(ctx, step); err != nil {
			cr.Error = fmt.Sprintf("%s: %v", step.Kind(), err)
			break
		}
	}
	st.closeServers()
	st.collect()
	cr.Observations = st.obs
	cr.Secrets = st.secrets()
	if cr.Error == "" {
		st.judge(ctx, cr, now)
	} else {
		// The harness could not run the case: every check is a failure
		// that names the broken step, never a silent pass.
		for _, ch := range st.allChecks() {
			cr.Checks = append(cr.Checks, CheckResult{
				ID: ch.ID, Name: ch.Name, Description: ch.Description, Level: ch.Level,
				Status: StatusFailure, Timestamp: now(), SpecReferences: ch.SpecReferences,
				ErrorMessage: "case could not run: " + cr.Error,
			})
		}
	}
	cr.Duration = now().Sub(st.start)
	return cr
}

func (st *runState) allChecks() []*Check {
	for _, s := range st.c.Steps {
		if e, ok := s.(*Evaluate); ok {
			return e.Checks
		}
	}
	return nil
}

func (st *runState) now() time.Time {
	if st.opts.Now != nil {
		return st.opts.Now()
	}
	return time.Now()
}

func (st *runState) do(ctx context.Context, step Step) error {
	switch s := step.(type) {
	case *StartAuthServer:
		return st.startAuth(s)
	case *StartMCPServer:
		return st.startMCP(s)
	case *MintAssertion:
		return st.mint(s)
	case *MarkSeen:
		if st.as == nil {
			return errors.New("the authorization server is not started")
		}
		v, err := s.JTIs.Value(st.envSnapshot())
		if err != nil {
			return err
		}
		jtis, err := stringList(v)
		if err != nil {
			return fmt.Errorf("seen jtis: %w", err)
		}
		st.as.MarkSeen(jtis...)
		return nil
	case *LaunchClient:
		return st.launch(ctx, s)
	case *Observe:
		return nil // observation happens in launch, which owns the process
	case *Evaluate:
		st.checks = s.Checks
		return nil
	default:
		return fmt.Errorf("unknown step %T", step)
	}
}

func (st *runState) startAuth(s *StartAuthServer) error {
	rules := make([]authserver.Rule, len(s.Rules))
	for i, r := range s.Rules {
		r := r
		rules[i] = authserver.Rule{
			Name: r.Name, Error: r.Error, ErrorDescription: r.ErrorDescription, Status: r.Status,
			Match: func(req *authserver.TokenRequest, claims map[string]any) (bool, error) {
				return r.When.Match(st.envSnapshot(), req, claims)
			},
		}
	}
	cfg := authserver.Config{
		GrantTypesSupported: s.GrantTypesSupported,
		Registration:        s.Registration,
		ScopesSupported:     s.ScopesSupported,
		Keys:                st.keys,
		Leeway:              s.Leeway,
		SkipVerification:    s.SkipVerification,
		Rules:               rules,
		TokenTTL:            s.TokenTTL,
		TokenPrefix:         "wif-at-" + sanitize(st.c.Name),
		Start:               st.start,
		Now:                 st.opts.Now,
		Admit:               st.peers.admit,
		OnError: func(at time.Time, code string) {
			st.storm.note(st.opts.RetryBudget)
			st.errOnce.Do(func() { st.errCh <- at })
		},
	}
	as, err := authserver.New(cfg)
	if err != nil {
		return err
	}
	st.as = as
	st.setEnv(func(e *Env) {
		e.AuthServer = AuthServerInfo{
			URL: as.URL(), Issuer: as.URL(), TokenEndpoint: as.TokenEndpoint(),
			MetadataURL: as.MetadataURL(), JWKSURL: as.JWKSURL(),
		}
	})
	return nil
}

func (st *runState) startMCP(s *StartMCPServer) error {
	if st.as == nil {
		return errors.New("the authorization server must start first")
	}
	m, err := mcpserver.New(mcpserver.Config{
		Path:                 s.Path,
		AuthorizationServers: []string{st.as.URL()},
		ScopesSupported:      s.ScopesSupported,
		ChallengeScope:       s.ChallengeScope,
		ValidToken:           st.as.IsIssued,
		Admit:                st.peers.admit,
		Start:                st.start,
		Now:                  st.opts.Now,
	})
	if err != nil {
		return err
	}
	st.mcp = m
	st.setEnv(func(e *Env) {
		e.MCPServer = MCPServerInfo{URL: m.URL(), Resource: m.URL(), MetadataURL: m.MetadataURL()}
	})
	return nil
}

func (st *runState) mint(s *MintAssertion) error {
	claims, err := s.Claims.Claims(st.envSnapshot(), st.now())
	if err != nil {
		return fmt.Errorf("assertion %q: %w", s.Name, err)
	}
	tok, err := st.keys.Mint(s.Alg, claims)
	if err != nil {
		return fmt.Errorf("assertion %q: %w", s.Name, err)
	}
	_, decoded, err := jwt.Decode(tok)
	if err != nil {
		return fmt.Errorf("assertion %q: %w", s.Name, err)
	}
	st.setEnv(func(e *Env) {
		if _, dup := e.Assertions[s.Name]; !dup {
			e.AssertionOrder = append(e.AssertionOrder, s.Name)
		}
		e.Assertions[s.Name] = &Assertion{Name: s.Name, Alg: s.Alg, Token: tok, Claims: decoded}
	})
	return nil
}

func (st *runState) launch(ctx context.Context, s *LaunchClient) error {
	if st.mcp == nil {
		return errors.New("the MCP server is not started")
	}
	v, err := s.Context.Value(st.envSnapshot())
	if err != nil {
		return fmt.Errorf("context: %w", err)
	}
	cctx, ok := v.(map[string]any)
	if !ok && v != nil {
		return fmt.Errorf("context must be an object, got %T", v)
	}
	full := map[string]any{}
	for k, val := range cctx {
		full[k] = val
	}
	full["name"] = st.c.Scenario
	st.setEnv(func(e *Env) { e.Context = full })
	ctxJSON, err := json.Marshal(full)
	if err != nil {
		return fmt.Errorf("context: %w", err)
	}
	base := st.opts.Env
	if base == nil {
		base = os.Environ()
	}
	pv := st.c.ProtocolVersion
	if pv == "" {
		pv = DefaultProtocolVersion
	}
	env := append(filterEnv(base, "MCP_CONFORMANCE_"),
		"MCP_CONFORMANCE_SCENARIO="+st.c.Scenario,
		"MCP_CONFORMANCE_PROTOCOL_VERSION="+pv,
		"MCP_CONFORMANCE_CONTEXT="+string(ctxJSON),
		"WIFDSL_CASE="+st.c.Name,
	)
	co := &st.obs.Client
	co.Command = st.opts.Command
	co.Args = []string{st.mcp.URL()}
	launched := st.now()
	p, err := startClient(st.opts.Command, co.Args, env, st.opts.OutputCap, st.liveSecrets())
	st.peers.started(p) // connections that arrived meanwhile wait for this
	if harnessErr := startFailure(err); harnessErr != nil {
		return harnessErr
	}
	if err != nil {
		co.StartError = err.Error()
		return nil // a client that cannot start is the client's failure, judged by the checks
	}
	co.Started = true
	timeout := st.c.Timeout
	if st.opts.Timeout > 0 {
		timeout = st.opts.Timeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	failFast := st.c.FailFast
	if st.opts.FailFast > 0 {
		failFast = st.opts.FailFast
	}
	if failFast <= 0 {
		failFast = DefaultFailFast
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var failFastC <-chan time.Time
	var firstErr time.Time
	errCh := st.errCh
	var why string
loop:
	for {
		select {
		case <-p.exited:
			break loop
		case <-deadline.C:
			why = "timeout"
			break loop
		case <-ctx.Done():
			why = "interrupt"
			break loop
		case at := <-errCh:
			firstErr = at
			errCh = nil
			remaining := failFast - st.now().Sub(at)
			if remaining < 0 {
				remaining = 0
			}
			t := time.NewTimer(remaining)
			defer t.Stop()
			failFastC = t.C
		case <-failFastC:
			why = "failfast"
			break loop
		case <-st.storm.over():
			why = "storm"
			break loop
		}
	}
	if why != "" {
		// Judge the phase before the kill changes anything.
		st.collect()
		co.HungIn = st.obs.Phase()
	}
	p.finish(time.Second)
	exitAt := st.now()
	if firstErr.IsZero() {
		// The error may have arrived in the same instant as the exit.
		select {
		case at := <-errCh:
			firstErr = at
		default:
		}
	}
	co.Duration = exitAt.Sub(launched)
	co.ExitAt = exitAt.Sub(st.start)
	if !firstErr.IsZero() {
		co.ExitAfterError = exitAt.Sub(firstErr)
	}
	switch why {
	case "timeout":
		co.TimedOut, co.Killed = true, true
	case "failfast":
		co.HungAfterError, co.Killed = true, true
	case "storm":
		co.HungAfterError, co.Killed = true, true
		co.HungIn = stormPhase(st.opts.RetryBudget)
	case "interrupt":
		co.Interrupted, co.Killed = true, true
	default:
		co.Exited = true
		co.ExitCode, co.Signal = p.exitStatus()
	}
	co.Stdout, co.StdoutBytes, co.StdoutTruncated = p.stdout.result()
	co.Stderr, co.StderrBytes, co.StderrTruncated = p.stderr.result()
	co.Stdout, co.Stderr = p.leaks.addLeakNotes(co.Stdout, co.Stderr)
	return nil
}

// collect copies the servers' records into the observations.
func (st *runState) collect() {
	o := st.obs
	var areqs []authserver.Request
	var mreqs []mcpserver.Request
	if st.as != nil {
		o.TokenRequests = st.as.TokenRequests()
		o.TokenRequestCount = st.as.TokenRequestCount()
		o.IssuedTokens = st.as.IssuedTokens()
		areqs = st.as.Requests()
		o.RequestCount = st.as.RequestCount()
		o.FirstError, o.FirstTokenIssued = -1, -1
		for _, tr := range o.TokenRequests {
			if tr.Response.Error != "" && o.FirstError < 0 {
				o.FirstError = tr.At
			}
			if tr.Response.AccessToken != "" && o.FirstTokenIssued < 0 {
				o.FirstTokenIssued = tr.At
			}
		}
	}
	if st.mcp != nil {
		o.MCPRequests = st.mcp.MCPRequests()
		o.MCPRequestCount = st.mcp.MCPRequestCount()
		mreqs = st.mcp.Requests()
		o.RequestCount += st.mcp.RequestCount()
	}
	o.Requests = mergeRequests(areqs, mreqs)
	o.ForeignRequests = st.foreignRequests()
}

func (st *runState) closeServers() {
	st.peers.started(nil) // no client any more: nothing waits for one
	if st.as != nil {
		_ = st.as.Close()
	}
	if st.mcp != nil {
		_ = st.mcp.Close()
	}
}

// liveSecrets returns what the client's output is searched for while it
// runs: the assertions minted so far and the access tokens issued so far.
func (st *runState) liveSecrets() func() []string {
	st.envMu.RLock()
	var minted []string
	for _, name := range st.env.AssertionOrder {
		minted = append(minted, st.env.Assertions[name].Token)
	}
	st.envMu.RUnlock()
	as := st.as
	return func() []string {
		if as == nil {
			return minted
		}
		return append(slices.Clone(minted), as.IssuedTokens()...)
	}
}

// secrets lists every string that reports must redact: the minted
// assertions and the issued access tokens.
func (st *runState) secrets() []string {
	var out []string
	for _, name := range st.env.AssertionOrder {
		out = append(out, st.env.Assertions[name].Token)
	}
	out = append(out, st.obs.IssuedTokens...)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return t, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, found %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("want a list of strings, got %T", v)
	}
}

func filterEnv(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// DefaultParallel is the -j default: the number of CPUs.
func DefaultParallel() int { return runtime.NumCPU() }
