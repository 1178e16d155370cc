// Package cli wires the wifdsl command line: it parses flags (cobra),
// loads scenario files through the dsl package, runs plans with the
// engine and writes reports. It holds no logic of its own beyond that
// wiring and the exit-code contract: 0 all checks pass, 1 a check failed,
// 2 bad scenario files or flags, or a harness failure.
package cli
