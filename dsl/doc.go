// Package dsl owns the wifdsl scenario language: its HCL schema, decoding
// and static checks, the evaluation context and its functions, and the
// compilation of scenarios into an engine.Plan.
//
// The front door is Load: sources in, an engine.Plan and diagnostics out.
// It runs three stages, each of which returns hcl.Diagnostics:
//
//	files, diags := dsl.NewParser().ParsePaths(paths)   // *.hcl, *.hcl.json, directories
//	cfg, diags := dsl.Decode(files)                     // typed definitions, references
//	plan, diags := cfg.Compile()                        // engine.Plan
//
// The files are named for what they hold:
//
//	load.go         the front door
//	parse.go        reading files; refusing recursive functions
//	definitions.go  the typed definitions of every block, and the schema derived from them
//	decode.go       decoding into the definitions; references between blocks
//	static.go       evaluating static attributes before a run
//	compile.go      merging cases with their scenarios into engine cases
//	late.go         the values the engine evaluates while a case runs (claims,
//	                context, rule conditions, check conditions)
//	scope.go        the variables each kind of expression sees
//	convert.go      conversions between cty values and Go or JSON values
//	functions.go    the functions scenario expressions can call
//	reuse.go        variables, locals and user functions
//	diagnostics.go  rendering and ordering diagnostics
//	obsschema.go    the static shape of the observations, derived from
//	                scope.go's conversion, that check expressions are
//	                checked against before a run
//	checklocals.go  a check's locals block: named values over the observations
//	variants.go     variant blocks: broken clients as data, for wifdsl prove
//	suites.go       suite blocks: named sets of scenarios, for --suite
//	suggest.go      "Did you mean" for attributes and misspelt requirements
//	parsechunks.go  parsing large files in pieces on every CPU
//
// Nothing here starts a
// server or a process: expressions that need run-time values (server URLs,
// minted assertions, observations) are compiled into values that the engine
// evaluates late.
package dsl
