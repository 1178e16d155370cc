// Package wifdsl is the root of the wifdsl module. It carries the built-in
// suite so that the binary runs it with no files on disk.
package wifdsl

import _ "embed"

// BuiltinSuite is scenarios.hcl: the SEP-1933 client conformance suite.
//
//go:embed scenarios.hcl
var BuiltinSuite []byte

// BuiltinSuiteName is the file name diagnostics use for BuiltinSuite.
const BuiltinSuiteName = "scenarios.hcl"

// Version is the tool version reported by the CLI and in JSON output.
var Version = "0.1.0-dev"
