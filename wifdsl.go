// Package wifdsl is the root of the wifdsl module. It carries the scenario
// files that ship inside the binary: the built-in suite and the official
// client-auth catalogue.
package wifdsl

import "embed"

// BuiltinSuite is scenarios.hcl: the SEP-1933 client conformance suite.
//
//go:embed scenarios.hcl
var BuiltinSuite []byte

// BuiltinSuiteName is the file name diagnostics use for BuiltinSuite.
const BuiltinSuiteName = "scenarios.hcl"

// Catalogue holds catalogue/*.hcl: the scenarios of the official
// client-auth catalogue, in HCL, as one configuration.
//
//go:embed catalogue/*.hcl
var Catalogue embed.FS

// Version is the tool version reported by the CLI and in JSON output.
var Version = "0.1.0-dev"
