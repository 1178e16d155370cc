// Package testclient lets a test binary act as the reference client, so
// tests run the real client flow as a subprocess without building a
// separate binary: TestMain calls MaybeRun first, and tests use Command.
package testclient

import (
	"os"
	"strings"

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
// (with -bug when bug is not empty) through the current test binary.
func Command(bug string) string {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	// GORACE: a race-enabled test binary otherwise sleeps a second at exit.
	cmd := "env GORACE=atexit_sleep_ms=0 " + envKey + "=1 '" + strings.ReplaceAll(self, "'", `'\''`) + "'"
	if bug != "" {
		cmd += " -bug " + bug
	}
	return cmd
}

// BuiltinPlan compiles the built-in suite, for tests that run it.
func BuiltinPlan() (*engine.Plan, error) {
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}}, dsl.Options{})
	if diags.HasErrors() {
		return nil, diags
	}
	return l.Plan, nil
}
