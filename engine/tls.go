package engine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/internal/tlsca"
)

// TLS mode: the stub servers of a case speak HTTPS with a certificate
// issued by a CA the harness makes for the run, and the client is told to
// trust that CA through the environment.

// EnvCAFile is wifdsl's own variable naming the CA certificate file.
const EnvCAFile = "WIFDSL_CA_FILE"

// CAFileEnv are the variables a client in TLS mode gets, each naming the
// run CA's PEM certificate file: SSL_CERT_FILE (OpenSSL, Go, Python's ssl,
// Rust's native roots: it replaces the system roots, which a loopback run
// never needs), NODE_EXTRA_CA_CERTS (Node.js, read at start, added to its
// roots), REQUESTS_CA_BUNDLE (Python requests) and WIFDSL_CA_FILE.
var CAFileEnv = []string{"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", EnvCAFile}

// CAFileName is the name of the CA certificate file in its directory.
const CAFileName = "ca.pem"

// runCA is the CA of a run and the file its certificate is written to, in
// a directory of its own that close removes.
type runCA struct {
	ca   *tlsca.CA
	dir  string
	file string
}

func newRunCA(now time.Time) (*runCA, error) {
	ca, err := tlsca.New(now)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wifdsl-tls-")
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	file := filepath.Join(dir, CAFileName)
	if err := os.WriteFile(file, ca.CertPEM(), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("tls: writing the CA certificate: %w", err)
	}
	return &runCA{ca: ca, dir: dir, file: file}, nil
}

func (r *runCA) close() {
	if r != nil {
		_ = os.RemoveAll(r.dir)
	}
}

// sharedCA is the CA of a run. The first case that needs it makes it, so
// that making it (a key, a certificate, a file) does not hold up the first
// cases of the run.
type sharedCA struct {
	once sync.Once
	now  time.Time
	ca   *runCA
	err  error
}

// get makes the CA on first use and returns it.
func (s *sharedCA) get() (*runCA, error) {
	s.once.Do(func() { s.ca, s.err = newRunCA(s.now) })
	return s.ca, s.err
}

// close removes the CA's file, if it was made. No case may get it after.
func (s *sharedCA) close() {
	s.once.Do(func() { s.err = errors.New("tls: the run has ended") })
	s.ca.close()
}

// withRunCA gives the options the run's CA when a case of the run needs
// one, and returns the function that removes it.
func withRunCA(opts Options, cases []*Case, now time.Time) (Options, func(), error) {
	if opts.ca != nil {
		return opts, func() {}, nil
	}
	need := opts.TLS
	for _, c := range cases {
		need = need || c.TLS
	}
	if !need {
		return opts, func() {}, nil
	}
	opts.ca = &sharedCA{now: now}
	return opts, opts.ca.close, nil
}

// tlsMode reports whether the case runs in TLS mode.
func (st *runState) tlsMode() bool { return st.c.TLS || st.opts.TLS }

// setupTLS takes the run's CA for a case in TLS mode; a case run on its
// own (RunCase without Run) makes one for itself.
func (st *runState) setupTLS() error {
	if !st.tlsMode() {
		return nil
	}
	if st.opts.ca != nil {
		ca, err := st.opts.ca.get()
		if err != nil {
			return err
		}
		st.ca = ca
	}
	if st.ca == nil {
		ca, err := newRunCA(st.now())
		if err != nil {
			return err
		}
		st.ca, st.ownCA = ca, ca
	}
	st.obs.TLS = TLSObservation{Enabled: true, CAFile: st.ca.file}
	return nil
}

// serverTLS is the TLS configuration of the case's servers, nil in plain
// HTTP.
func (st *runState) serverTLS() *tls.Config {
	if st.ca == nil {
		return nil
	}
	return st.ca.ca.ServerConfig()
}

// TLSObservation is what the client was given in TLS mode.
type TLSObservation struct {
	// Enabled is true when the case's servers spoke HTTPS.
	Enabled bool
	// CAFile is the CA certificate file named by CAFileEnv; it is removed
	// when the run ends.
	CAFile string
}

// harnessEnv are the variables for the files the harness made for the
// case: the CA certificate in TLS mode and the JWT file.
func (st *runState) harnessEnv() map[string]string {
	out := map[string]string{}
	if st.ca != nil {
		for _, k := range CAFileEnv {
			out[k] = st.ca.file
		}
	}
	if st.jwt != nil {
		for _, k := range JWTFileEnv {
			out[k] = st.jwt.path
		}
	}
	return out
}

// withHarnessEnv returns env with the harness's variables set, replacing
// any inherited values of the same names.
func (st *runState) withHarnessEnv(env []string) []string {
	set := st.harnessEnv()
	if len(set) == 0 {
		return env
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		out = append(out, k+"="+set[k])
	}
	return out
}

// describeTLS shows a server of a case in TLS mode on https:// origins,
// and the plain-HTTP token endpoint of an authorization server that
// advertises one.
func describeTLS(c *Case, s *Server, d *ServerDescription) {
	if c.TLS {
		for k, u := range d.URLs {
			if rest, ok := strings.CutPrefix(u, "http://"); ok {
				d.URLs[k] = "https://" + rest
			}
		}
		d.Settings["tls"] = "true"
	}
	if s.Kind == AuthorizationServer && s.Auth != nil && s.Auth.PlainTokenEndpoint {
		d.Settings["plain_token_endpoint"] = "http://127.0.0.1:" + placeholderPort(s.Name+"_plain") + "/token (advertised as token_endpoint)"
	}
}
