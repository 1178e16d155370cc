// Package soak decides how hard the project's stress tests push.
//
// A stress test repeats a path many times to catch what happens rarely:
// a verdict that depends on scheduling, a record lost under load. Every
// stress test runs in every `go test ./...`, with enough repetitions to
// cover each of its paths; with WIFDSL_SOAK=1 in the environment they run
// their full repetitions. CI runs both (see .ci/run).
package soak

import "os"

// Env is the environment variable that turns the full repetitions on.
const Env = "WIFDSL_SOAK"

// Enabled reports whether the full repetitions are asked for.
func Enabled() bool {
	v := os.Getenv(Env)
	return v != "" && v != "0" && v != "false"
}

// Runs returns full when soaking and quick otherwise.
func Runs(quick, full int) int {
	if Enabled() {
		return full
	}
	return quick
}
