package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/authserver"
	"github.com/wifdsl/wifdsl/stubs/mcpserver"
	"github.com/wifdsl/wifdsl/stubs/rules"
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
	// TLS runs every case in TLS mode, as if each had tls = true.
	TLS bool

	ca *sharedCA // the run's CA in TLS mode (Run)
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
	opts, removeCA, err := withRunCA(opts, cases, now())
	if err != nil {
		return nil, err
	}
	defer removeCA()
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
	auths   map[string]*authserver.Server
	authSeq []*authserver.Server // in start order
	mcps    []*mcpserver.Server
	target  *mcpserver.Server // the MCP server whose URL the client gets
	errOnce sync.Once
	errCh   chan time.Time
	obs     *Observations
	named   map[string]*jwt.Key // the case's named keys
	// harnessErr is the first error of the scenario itself while the case
	// runs; harnessCh is closed when it is set.
	harnessOnce sync.Once
	harnessErr  error
	harnessCh   chan struct{}
	// envMu guards env: the stub servers' handlers read it (rules) while
	// later parts of the case still add to it.
	envMu sync.RWMutex
	// snap is the snapshot of env handed out until env changes.
	snap *Env
	// ca is the CA in TLS mode (ownCA when the case made it itself); jwt
	// is the JWT file, if the case has one.
	ca, ownCA *runCA
	jwt       *jwtFile
	// peers tells the stubs which connections come from the client.
	peers clientPeers
	// storm ends a client that keeps provoking error responses.
	storm errorStorm
}

// envSnapshot returns a copy of the environment that later steps do not
// change. The copy is shared until the environment changes (setEnv), so
// that what front ends derive from it (Env.View) is derived once.
func (st *runState) envSnapshot() *Env {
	st.envMu.RLock()
	snap := st.snap
	st.envMu.RUnlock()
	if snap != nil {
		return snap
	}
	st.envMu.Lock()
	defer st.envMu.Unlock()
	if st.snap == nil {
		e := *st.env
		e.Servers = slices.Clone(st.env.Servers)
		e.Assertions = maps.Clone(st.env.Assertions)
		e.AssertionOrder = slices.Clone(st.env.AssertionOrder)
		e.Context = maps.Clone(st.env.Context)
		e.Keys = maps.Clone(st.env.Keys)
		e.views = new(memo)
		st.snap = &e
	}
	return st.snap
}

// setEnv changes the environment under its lock.
func (st *runState) setEnv(f func(e *Env)) {
	st.envMu.Lock()
	defer st.envMu.Unlock()
	f(st.env)
	st.snap = nil
}

// RunCase executes one case and returns its result; it never returns nil.
func RunCase(ctx context.Context, c *Case, opts Options) *CaseResult {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	st := &runState{
		c:         c,
		opts:      opts,
		env:       &Env{Scenario: c.Scenario, Case: c.Name, ProtocolVersion: c.EffectiveProtocolVersion(), Assertions: map[string]*Assertion{}, Keys: map[string]*KeyInfo{}},
		named:     map[string]*jwt.Key{},
		harnessCh: make(chan struct{}),
		keys:      jwt.NewKeySet(),
		auths:     map[string]*authserver.Server{},
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
	defer st.removeFiles()
	parts := []struct {
		name string
		run  func() error
	}{
		{"tls", st.setupTLS},
		{"keys", st.makeKeys},
		{"start-servers", st.startServers},
		{"mint", st.mintAll},
		{"mark-seen", st.markSeen},
		{"jwt-file", st.startJWTFile},
		{"launch-client", func() error { return st.launch(ctx) }},
	}
	for _, p := range parts {
		if err := p.run(); err != nil {
			cr.Error = fmt.Sprintf("%s: %v", p.name, err)
			break
		}
	}
	st.stopJWTFile()
	st.closeServers()
	st.collect()
	if st.harnessErr != nil && cr.Error == "" {
		cr.Error = "scenario error while the case ran: " + st.harnessErr.Error()
	}
	cr.Observations = st.obs
	cr.Secrets = st.secrets()
	cr.SecretNames = st.secretNames()
	if cr.Error == "" {
		st.judge(ctx, cr, now)
	} else {
		// The harness could not run the case: it is an error of the case,
		// not of the client, so no check is judged; each says why.
		for _, ch := range c.Checks {
			cr.Checks = append(cr.Checks, CheckResult{
				ID: ch.ID, Name: ch.Name, Description: ch.Description, Level: ch.Level,
				Status: StatusSkipped, Timestamp: now(), SpecReferences: ch.SpecReferences,
				ErrorMessage: "case could not run: " + cr.Error,
			})
		}
	}
	cr.Duration = now().Sub(st.start)
	return cr
}

func (st *runState) now() time.Time {
	if st.opts.Now != nil {
		return st.opts.Now()
	}
	return time.Now()
}

// makeKeys generates the case's named keys.
func (st *runState) makeKeys() error {
	for _, k := range st.c.Keys {
		key, err := jwt.NewKey(k.Alg)
		if err != nil {
			return fmt.Errorf("key %q: %w", k.Name, err)
		}
		pemText, err := key.PrivateKeyPEM()
		if err != nil {
			return fmt.Errorf("key %q: %w", k.Name, err)
		}
		jwk, err := key.PublicJWK()
		if err != nil {
			return fmt.Errorf("key %q: %w", k.Name, err)
		}
		st.named[k.Name] = key
		st.setEnv(func(e *Env) {
			e.Keys[k.Name] = &KeyInfo{Name: k.Name, Alg: key.Alg(), KID: key.ID(), PublicJWK: jwk, PrivateKeyPEM: pemText}
		})
	}
	return nil
}

// startServers starts every server of the case: authorization servers and
// identity providers first, so that MCP servers can name them, each kind
// in declaration order.
func (st *runState) startServers() error {
	if err := CheckServers(st.c); err != nil {
		return err
	}
	for _, mcpPass := range []bool{false, true} {
		for _, s := range st.c.Servers {
			if (s.Kind == MCPServer) != mcpPass {
				continue
			}
			var err error
			if mcpPass {
				err = st.startMCP(s)
			} else {
				err = st.startAuth(s)
			}
			if err != nil {
				return fmt.Errorf("server %q: %w", s.Name, err)
			}
		}
	}
	return nil
}

// harnessError records the first error of the scenario itself while the
// case runs (a rule that cannot be evaluated) and ends the client's run.
func (st *runState) harnessError(err error) {
	st.harnessOnce.Do(func() {
		st.harnessErr = err
		close(st.harnessCh)
	})
}

// liveRules adds to the static rules of set (see staticRules) the
// conditions and late replies of s, evaluated in this running case, and
// makes an error in them a harness error of the case.
func (st *runState) liveRules(s *Server, set *rules.Set) *rules.Set {
	set.OnError = func(rule string, err error) {
		st.harnessError(fmt.Errorf("server %q rule %q could not be evaluated: %w", s.Name, rule, err))
	}
	for i, r := range s.Rules {
		if r.When != nil {
			set.Rules[i].Match = func(in *record.Incoming) (bool, error) { return r.When.Match(st.envSnapshot(), in) }
		}
		if r.Extra != nil {
			set.Rules[i].Late = func(in *record.Incoming) (map[string]string, string, error) {
				return r.Extra.Reply(st.envSnapshot(), in)
			}
		}
	}
	return set
}

// keysNamed returns the case keys called names.
func (st *runState) keysNamed(names []string) (jwt.Keys, error) {
	var out jwt.Keys
	for _, n := range names {
		k := st.named[n]
		if k == nil {
			return nil, fmt.Errorf("no key called %q", n)
		}
		out = append(out, k)
	}
	return out, nil
}

func (st *runState) startAuth(s *Server) error {
	cfg := authConfig(s)
	for i, r := range s.Auth.Rules {
		if r.When == nil {
			continue // a rule without a condition matches every request
		}
		cfg.Rules[i].Match = func(req *record.TokenRequest, claims map[string]any) (bool, error) {
			return r.When.Match(st.envSnapshot(), &record.Incoming{
				Request: record.Request{Server: req.Server, Endpoint: record.EndpointToken, Seq: req.Seq, At: req.At,
					Time: req.Time, Method: req.Method, Path: req.Path, Query: req.Query},
				Header: req.Header, Body: req.Body, Form: req.Form, Attempt: req.Seq, Token: req, Claims: claims,
			})
		}
	}
	cfg.Keys = st.keys
	if len(s.Auth.TrustedKeys) > 0 {
		keys, err := st.keysNamed(s.Auth.TrustedKeys)
		if err != nil {
			return err
		}
		cfg.Keys = keys
	}
	for i, c := range s.Auth.Clients {
		if c.Key != "" {
			keys, err := st.keysNamed([]string{c.Key})
			if err != nil {
				return fmt.Errorf("client %q: %w", c.ID, err)
			}
			cfg.Clients[i].Keys = keys
		}
	}
	if s.Kind == IdentityProvider {
		signer := st.named[s.Auth.SigningKey]
		if signer == nil {
			return fmt.Errorf("the identity provider's signing key %q is not a key of the case", s.Auth.SigningKey)
		}
		cfg.Exchange = &authserver.Exchange{Signer: signer, Claims: s.Auth.IDJAGClaims}
	}
	cfg.ResponseRules = st.liveRules(s, cfg.ResponseRules)
	if f := s.Auth.AuthorizationResponseIss; f != nil {
		cfg.AuthorizationResponseIss = func() (string, bool, error) {
			v, err := f.Value(st.envSnapshot())
			if err != nil {
				return "", false, err
			}
			if v == nil {
				return "", false, nil
			}
			iss, ok := v.(string)
			if !ok {
				return "", false, fmt.Errorf("authorization_response_iss must be a string or null, got %T", v)
			}
			return iss, true, nil
		}
	}
	cfg.TLS = st.serverTLS()
	cfg.TokenPrefix = "wif-at-" + sanitize(st.c.Name)
	cfg.Start = st.start
	cfg.Now = st.opts.Now
	cfg.Admit = st.peers.admit
	cfg.OnError = func(at time.Time, code string) {
		st.storm.note(st.opts.RetryBudget)
		st.errOnce.Do(func() { st.errCh <- at })
	}
	as, err := authserver.New(cfg)
	if err != nil {
		return err
	}
	st.auths[s.Name] = as
	st.authSeq = append(st.authSeq, as)
	st.setEnv(func(e *Env) {
		e.Servers = append(e.Servers, ServerInfo{Name: s.Name, Kind: s.Kind, URLs: authserver.URLs(as.Origin(), cfg)})
	})
	// The metadata fields see the server's own URLs (and those of the
	// servers started before).
	if s.Auth.MetadataFields != nil {
		v, err := s.Auth.MetadataFields.Value(st.envSnapshot())
		if err != nil {
			return fmt.Errorf("metadata fields: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("metadata fields must be an object, got %T", v)
		}
		if err := as.SetMetadataFields(m); err != nil {
			return err
		}
	}
	return nil
}

func (st *runState) startMCP(s *Server) error {
	cfg := mcpConfig(s)
	var trusted []*authserver.Server
	for _, a := range st.c.Servers {
		if a.Kind == AuthorizationServer && (len(s.MCP.AuthorizationServers) == 0 || slices.Contains(s.MCP.AuthorizationServers, a.Name)) {
			as := st.auths[a.Name]
			cfg.AuthorizationServers = append(cfg.AuthorizationServers, as.URL())
			trusted = append(trusted, as)
		}
	}
	cfg.Lookup = func(token string) (record.IssuedToken, bool) {
		for _, as := range trusted {
			if t, ok := as.Lookup(token); ok {
				return t, true
			}
		}
		return record.IssuedToken{}, false
	}
	if s.MCP.PRMFields != nil {
		v, err := s.MCP.PRMFields.Value(st.envSnapshot())
		if err != nil {
			return fmt.Errorf("protected resource metadata fields: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("protected resource metadata fields must be an object, got %T", v)
		}
		cfg.PRMFields = m
	}
	cfg.ResponseRules = st.liveRules(s, cfg.ResponseRules)
	cfg.Start = st.start
	cfg.Now = st.opts.Now
	cfg.TLS = st.serverTLS()
	cfg.Admit = st.peers.admit
	var host *authserver.Server
	if name := s.MCP.SameOriginAs; name != "" {
		host = st.auths[name]
		cfg.Origin = host.Origin()
	}
	m, err := mcpserver.New(cfg)
	if err != nil {
		return err
	}
	if host != nil {
		host.Mount(m.Paths(), m.Handler())
	}
	st.mcps = append(st.mcps, m)
	if st.target == nil && (st.c.Client.Target == "" || st.c.Client.Target == s.Name) {
		st.target = m
	}
	st.setEnv(func(e *Env) {
		e.Servers = append(e.Servers, ServerInfo{Name: s.Name, Kind: s.Kind, URLs: mcpserver.URLs(m.BaseURL(), cfg)})
	})
	return nil
}

func (st *runState) mintAll() error {
	for _, a := range st.c.Assertions {
		if err := st.mint(a); err != nil {
			return err
		}
	}
	return nil
}

func (st *runState) mint(s *AssertionSpec) error {
	claims, err := s.Claims.Claims(st.envSnapshot(), st.now())
	if err != nil {
		return fmt.Errorf("assertion %q: %w", s.Name, err)
	}
	var tok string
	switch {
	case s.Key != "":
		k := st.named[s.Key]
		if k == nil {
			return fmt.Errorf("assertion %q: no key called %q", s.Name, s.Key)
		}
		tok, err = k.MintTyped(s.Typ, claims)
	case s.Typ != "":
		var k *jwt.Key
		if k, err = st.keys.Key(s.Alg); err == nil {
			tok, err = k.MintTyped(s.Typ, claims)
		}
	default:
		tok, err = st.keys.Mint(s.Alg, claims)
	}
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

// markSeen tells each authorization server which jti values count as
// already used, once the assertions they may name are minted.
func (st *runState) markSeen() error {
	for _, s := range st.c.Servers {
		if s.Kind != AuthorizationServer || s.Auth.SeenJTIs == nil {
			continue
		}
		v, err := s.Auth.SeenJTIs.Value(st.envSnapshot())
		if err != nil {
			return err
		}
		jtis, err := stringList(v)
		if err != nil {
			return fmt.Errorf("seen jtis: %w", err)
		}
		st.auths[s.Name].MarkSeen(jtis...)
	}
	return nil
}

func (st *runState) launch(ctx context.Context) error {
	if st.target == nil {
		return errors.New("no MCP server for the client to connect to")
	}
	full := map[string]any{}
	if st.c.Client.Context != nil {
		v, err := st.c.Client.Context.Value(st.envSnapshot())
		if err != nil {
			return fmt.Errorf("context: %w", err)
		}
		cctx, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("context must be an object, got %T", v)
		}
		maps.Copy(full, cctx)
	}
	full["name"] = st.c.Scenario
	if st.jwt != nil {
		full[ContextKeyJWTFile] = st.jwt.path
	}
	st.setEnv(func(e *Env) { e.Context = full })
	ctxJSON, err := json.Marshal(full)
	if err != nil {
		return fmt.Errorf("context: %w", err)
	}
	base := st.opts.Env
	if base == nil {
		base = os.Environ()
	}
	env := append(filterEnv(base, "MCP_CONFORMANCE_"),
		"MCP_CONFORMANCE_SCENARIO="+st.c.Scenario,
		"MCP_CONFORMANCE_PROTOCOL_VERSION="+st.c.EffectiveProtocolVersion(),
		"MCP_CONFORMANCE_CONTEXT="+string(ctxJSON),
		"WIFDSL_CASE="+st.c.Name,
	)
	env = st.withHarnessEnv(env)
	co := &st.obs.Client
	co.Command = st.opts.Command
	co.Args = []string{st.target.URL()}
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
		case <-st.harnessCh:
			why = "harness"
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
	case "harness":
		co.Killed = true
	default:
		co.Exited = true
		co.ExitCode, co.Signal = p.exitStatus()
	}
	co.Stdout, co.StdoutBytes, co.StdoutTruncated = p.stdout.result()
	co.Stderr, co.StderrBytes, co.StderrTruncated = p.stderr.result()
	co.Stdout, co.Stderr = p.leaks.addLeakNotes(co.Stdout, co.Stderr)
	return nil
}

// collect copies the servers' records into the observations, merging
// the servers' logs in arrival order.
func (st *runState) collect() {
	o := st.obs
	o.TokenRequests, o.TokenRequestCount, o.IssuedTokens, o.Issued = nil, 0, nil, nil
	o.Requests, o.RequestCount = nil, 0
	o.MCPRequests, o.MCPRequestCount = nil, 0
	for _, as := range st.authSeq {
		o.TokenRequests = append(o.TokenRequests, as.TokenRequests()...)
		o.TokenRequestCount += as.TokenRequestCount()
		o.IssuedTokens = append(o.IssuedTokens, as.IssuedTokens()...)
		o.Issued = append(o.Issued, as.Issued()...)
		o.Requests = append(o.Requests, as.Requests()...)
		o.RequestCount += as.RequestCount()
	}
	for _, m := range st.mcps {
		o.MCPRequests = append(o.MCPRequests, m.MCPRequests()...)
		o.MCPRequestCount += m.MCPRequestCount()
		o.Requests = append(o.Requests, m.Requests()...)
		o.RequestCount += m.RequestCount()
	}
	if len(st.authSeq) > 1 {
		slices.SortStableFunc(o.TokenRequests, func(a, b record.TokenRequest) int { return cmp.Compare(a.At, b.At) })
	}
	if len(st.mcps) > 1 {
		slices.SortStableFunc(o.MCPRequests, func(a, b record.MCPRequest) int { return cmp.Compare(a.At, b.At) })
	}
	slices.SortStableFunc(o.Requests, func(a, b record.Request) int { return cmp.Compare(a.At, b.At) })
	o.FirstError, o.FirstTokenIssued = -1, -1
	for _, tr := range o.TokenRequests {
		// A DPoP nonce challenge (RFC 9449 §8) asks for a retry: not an error.
		if tr.Response.Error != "" && tr.Response.Error != record.ErrorUseDPoPNonce && o.FirstError < 0 {
			o.FirstError = tr.At
		}
		if tr.Response.AccessToken != "" && o.FirstTokenIssued < 0 {
			o.FirstTokenIssued = tr.At
		}
	}
	o.ForeignRequests = st.foreignRequests()
}

func (st *runState) closeServers() {
	st.peers.started(nil) // no client any more: nothing waits for one
	for _, as := range st.authSeq {
		_ = as.Close()
	}
	for _, m := range st.mcps {
		_ = m.Close()
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
	minted = append(minted, st.staticSecrets()...)
	auths := slices.Clone(st.authSeq)
	jf := st.jwt
	return func() []string {
		out := append(slices.Clone(minted), jf.tokens()...)
		for _, as := range auths {
			for _, t := range as.Issued() {
				out = append(out, t.Token)
			}
		}
		return out
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
	for _, t := range st.obs.Issued {
		if !slices.Contains(out, t.Token) {
			out = append(out, t.Token)
		}
	}
	out = append(out, st.staticSecrets()...)
	out = append(out, st.jwt.tokens()...)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// secretNames names the client secrets of the case's servers.
func (st *runState) secretNames() map[string]string {
	out := map[string]string{}
	for _, s := range st.c.Servers {
		if s.Auth == nil {
			continue
		}
		for _, c := range s.Auth.Clients {
			if c.Secret != "" {
				out[c.Secret] = "client secret " + c.ID
			}
		}
	}
	return out
}

// staticSecrets are the secrets a case holds from its start: the client
// secrets its servers register and the private keys of its named keys.
func (st *runState) staticSecrets() []string {
	var out []string
	for _, s := range st.c.Servers {
		if s.Auth == nil {
			continue
		}
		for _, c := range s.Auth.Clients {
			if len(c.Secret) >= 8 {
				out = append(out, c.Secret)
			}
		}
	}
	st.envMu.RLock()
	for _, k := range st.env.Keys {
		out = append(out, k.PrivateKeyPEM)
	}
	st.envMu.RUnlock()
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
