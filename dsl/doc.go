// Package dsl owns the wifdsl scenario language: its HCL schema, decoding
// and static checks, the evaluation context and its functions, and the
// compilation of scenarios into an engine.Plan.
//
// The stages are separate and each returns hcl.Diagnostics:
//
//	files, diags := dsl.NewParser().ParsePaths(paths)   // *.hcl, *.hcl.json, directories
//	cfg, diags := dsl.Decode(files)                     // schema, types, references
//	plan, diags := cfg.Compile()                        // engine.Plan
//
// dsl.Compile is the front door that does all three. Nothing here starts a
// server or a process: expressions that need run-time values (server URLs,
// minted assertions, observations) are compiled into values that the engine
// evaluates late.
package dsl
