package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/wifdsl/wifdsl/jwt"
)

// The JWT file: a case may hand the workload JWT to the client as a file
// that the harness writes before the launch and rewrites on a schedule,
// the way Kubernetes projected service account tokens,
// AWS_WEB_IDENTITY_TOKEN_FILE and SPIFFE JWT-SVID helpers deliver it.

// EnvJWTFile is wifdsl's own variable naming the JWT file.
const EnvJWTFile = "WIFDSL_JWT_FILE"

// JWTFileEnv are the variables that name the JWT file for the client:
// WIFDSL_JWT_FILE, and the platform ones that SDKs read the same way,
// AWS_WEB_IDENTITY_TOKEN_FILE and AZURE_FEDERATED_TOKEN_FILE.
var JWTFileEnv = []string{EnvJWTFile, "AWS_WEB_IDENTITY_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"}

// ContextKeyJWTFile is the MCP_CONFORMANCE_CONTEXT key that holds the
// JWT file's path.
const ContextKeyJWTFile = "jwt_file"

// JWTFileName is the name of the JWT file in its directory, as in a
// Kubernetes projected volume.
const JWTFileName = "token"

// MinJWTRewrite is the shortest rewrite interval a JWT file may have.
const MinJWTRewrite = 10 * time.Millisecond

// maxJWTFileVersions bounds the versions kept in full; the count stays
// exact.
const maxJWTFileVersions = 1000

// JWTFileSpec asks the harness to deliver an assertion as a file.
type JWTFileSpec struct {
	// Assertion names the case's assertion written to the file: first the
	// token minted for the case (assertion.<name>.token), then on each
	// rewrite a token minted afresh from the same spec (so with a new jti
	// and exp unless the spec fixes them).
	Assertion string
	// RewriteEvery is the rewrite interval; zero writes the file once.
	RewriteEvery time.Duration
}

// JWTFileObservation is what the harness wrote to the JWT file.
type JWTFileObservation struct {
	Path         string
	Assertion    string
	RewriteEvery time.Duration
	// Versions are the contents the file had, in order: the first
	// maxJWTFileVersions of them; VersionCount is exact.
	Versions     []JWTFileVersion
	VersionCount int
	// Error says why rewriting stopped early, if it did.
	Error string
}

// JWTFileVersion is one content of the JWT file.
type JWTFileVersion struct {
	// Seq is 1 for the content written before the launch.
	Seq int
	// At is when the content became visible (after the rename), since the
	// case started.
	At     time.Duration
	Token  string
	Claims map[string]any
}

// jwtFile is the running JWT file of a case.
type jwtFile struct {
	spec *JWTFileSpec
	dir  string
	path string
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	obs   JWTFileObservation
	alive []string // every token written, for redaction while the client runs
}

// startJWTFile writes the case's JWT file, once the assertions are
// minted, and starts rewriting it.
func (st *runState) startJWTFile() error {
	spec := st.c.JWTFile
	if spec == nil {
		return nil
	}
	if spec.RewriteEvery != 0 && spec.RewriteEvery < MinJWTRewrite {
		return fmt.Errorf("jwt file: rewrite interval %v is shorter than %v", spec.RewriteEvery, MinJWTRewrite)
	}
	i := slices.IndexFunc(st.c.Assertions, func(a *AssertionSpec) bool { return a.Name == spec.Assertion })
	if i < 0 {
		return fmt.Errorf("jwt file: the case has no assertion %q", spec.Assertion)
	}
	as := st.c.Assertions[i]
	first := st.envSnapshot().Assertions[spec.Assertion]
	if first == nil {
		return fmt.Errorf("jwt file: assertion %q was not minted", spec.Assertion)
	}
	dir, err := os.MkdirTemp("", "wifdsl-jwt-")
	if err != nil {
		return fmt.Errorf("jwt file: %w", err)
	}
	jf := &jwtFile{
		spec: spec, dir: dir, path: filepath.Join(dir, JWTFileName),
		stop: make(chan struct{}), done: make(chan struct{}),
		obs: JWTFileObservation{Assertion: spec.Assertion, RewriteEvery: spec.RewriteEvery},
	}
	jf.obs.Path = jf.path
	st.jwt = jf
	if err := jf.write(first.Token, first.Claims, st.start, st.now); err != nil {
		close(jf.done)
		return err
	}
	if spec.RewriteEvery <= 0 {
		close(jf.done)
		return nil
	}
	go jf.rewrite(func() (string, map[string]any, error) {
		claims, err := as.Claims.Claims(st.envSnapshot(), st.now())
		if err != nil {
			return "", nil, err
		}
		tok, err := st.keys.Mint(as.Alg, claims)
		if err != nil {
			return "", nil, err
		}
		_, decoded, err := jwt.Decode(tok)
		return tok, decoded, err
	}, st.start, st.now)
	return nil
}

// rewrite writes a freshly minted token every interval until stopped.
func (jf *jwtFile) rewrite(mint func() (string, map[string]any, error), start time.Time, now func() time.Time) {
	defer close(jf.done)
	t := time.NewTicker(jf.spec.RewriteEvery)
	defer t.Stop()
	for {
		select {
		case <-jf.stop:
			return
		case <-t.C:
		}
		tok, claims, err := mint()
		if err == nil {
			err = jf.write(tok, claims, start, now)
		}
		if err != nil {
			jf.mu.Lock()
			jf.obs.Error = err.Error()
			jf.mu.Unlock()
			return
		}
	}
}

// write replaces the file's content atomically: the token goes to a
// temporary file in the same directory, which is renamed over the file,
// so a reader sees the old token or the new one, never a mix.
func (jf *jwtFile) write(token string, claims map[string]any, start time.Time, now func() time.Time) error {
	tmp, err := os.CreateTemp(jf.dir, ".token-*")
	if err != nil {
		return fmt.Errorf("jwt file: %w", err)
	}
	_, werr := tmp.WriteString(token)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("jwt file: writing: %w", err)
	}
	jf.mu.Lock()
	defer jf.mu.Unlock()
	// Counted as written before the rename, so that redaction knows the
	// token as soon as the client can read it.
	jf.alive = append(jf.alive, token)
	if err := os.Rename(tmp.Name(), jf.path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("jwt file: renaming: %w", err)
	}
	jf.obs.VersionCount++
	if len(jf.obs.Versions) < maxJWTFileVersions {
		jf.obs.Versions = append(jf.obs.Versions, JWTFileVersion{
			Seq: jf.obs.VersionCount, At: now().Sub(start), Token: token, Claims: claims,
		})
	}
	return nil
}

// tokens returns every token written so far; nil-safe.
func (jf *jwtFile) tokens() []string {
	if jf == nil {
		return nil
	}
	jf.mu.Lock()
	defer jf.mu.Unlock()
	return slices.Clone(jf.alive)
}

// stopJWTFile stops rewriting and copies what was written into the
// observations.
func (st *runState) stopJWTFile() {
	jf := st.jwt
	if jf == nil {
		return
	}
	select {
	case <-jf.stop:
	default:
		close(jf.stop)
	}
	<-jf.done
	jf.mu.Lock()
	o := jf.obs
	o.Versions = slices.Clone(jf.obs.Versions)
	jf.mu.Unlock()
	st.obs.JWTFile = &o
}

// removeFiles removes the files the harness made for the case: the JWT
// file's directory, and the CA of a case run on its own.
func (st *runState) removeFiles() {
	if st.jwt != nil {
		st.stopJWTFile()
		_ = os.RemoveAll(st.jwt.dir)
	}
	st.ownCA.close()
}

// nameJWTFileVersions names, for redaction, the JWT file's versions that
// are not already named.
func nameJWTFileVersions(o *Observations, names map[string]string) {
	if o == nil || o.JWTFile == nil {
		return
	}
	for _, v := range o.JWTFile.Versions {
		if _, ok := names[v.Token]; !ok {
			names[v.Token] = fmt.Sprintf("[redacted assertion %s, JWT file version %d]", o.JWTFile.Assertion, v.Seq)
		}
	}
}
