// Package testclient lets a test binary act as the reference client, so
// tests run the real client flow as a subprocess without building a
// separate binary: TestMain calls MaybeRun first, and tests use Command.
package testclient

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/refclient"
)

// envKey marks a test binary started as a client.
const envKey = "WIFDSL_TESTCLIENT"

// MaybeRun runs the reference client and exits when the process was
// started by Command; otherwise it returns.
func MaybeRun() {
	if os.Getenv(envKey) != "1" {
		return
	}
	os.Exit(refclient.Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Command returns a client command line that runs the reference client
// (with -bug when bug is not empty). See Binary for what runs.
func Command(bug string) string {
	cmd := "'" + strings.ReplaceAll(Binary(), "'", `'\''`) + "'"
	if bin, self := Binary(), selfPath(); bin == self {
		// GORACE: a race-enabled test binary otherwise sleeps a second at exit.
		cmd = "env GORACE=atexit_sleep_ms=0 " + envKey + "=1 " + cmd
	}
	if bug != "" {
		cmd += " -bug " + bug
	}
	return cmd
}

// Env is what the client's environment needs besides the usual when the
// command is Binary() itself rather than Command.
func Env() []string {
	if Binary() == selfPath() {
		return []string{envKey + "=1", "GORACE=atexit_sleep_ms=0"}
	}
	return nil
}

var built struct {
	once sync.Once
	dir  string
	path string
}

// Binary is the program that acts as the reference client: a build of
// examples/wifclient made once per test process without the race
// detector, because the client under test is not the code under test and
// a race-instrumented client costs several times the CPU of every case;
// or, when it cannot be built, the test binary itself (see MaybeRun).
func Binary() string {
	built.once.Do(func() {
		built.path = selfPath()
		dir, err := os.MkdirTemp("", "wifdsl-testclient-")
		if err != nil {
			return
		}
		out := filepath.Join(dir, "wifclient")
		cmd := exec.Command("go", "build", "-o", out, "github.com/wifdsl/wifdsl/examples/wifclient")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if cmd.Run() != nil {
			_ = os.RemoveAll(dir)
			return
		}
		built.dir, built.path = dir, out
	})
	return built.path
}

// Cleanup removes the client Binary built, if any; TestMain calls it after
// the tests.
func Cleanup() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

func selfPath() string {
	self, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return self
}

// BuiltinPlan compiles the built-in suite, for tests that run it.
func BuiltinPlan() (*engine.Plan, error) {
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}}, dsl.Options{})
	if diags.HasErrors() {
		return nil, diags
	}
	return l.Plan, nil
}

// CataloguePlan compiles the embedded official catalogue, with the
// built-in suite's auth/wif-jwt-bearer, as `wifdsl run --suite all` does.
func CataloguePlan() (*engine.Plan, error) {
	src, err := dsl.SourceFS(wifdsl.Catalogue, "catalogue")
	if err != nil {
		return nil, err
	}
	src.Inline = append(src.Inline, dsl.InlineFile{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite})
	l, diags := dsl.Load(src, dsl.Options{})
	if diags.HasErrors() {
		return nil, diags
	}
	return l.Plan, nil
}
