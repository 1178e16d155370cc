// Package engine owns the runtime half of wifdsl: the Plan that scenarios
// compile into, the runner that executes each case, the observations the
// checks read, and the Result that reporters render.
//
// A Case has explicit parts, run in this order: its Servers (any number,
// each a plain description with a name and a kind) start, its Assertions
// are minted with the case's keys, the Client is launched with its
// context and observed, and the Checks judge what was observed. The plan
// types (plan.go) import no server package; servers.go is the one place
// where the descriptions meet the server packages, both to start servers
// and to Describe what they will answer, from the servers' own defaults.
//
// The engine knows no scenario syntax. Anything that must be computed late
// (claims that name a server URL, rule conditions, the context, check
// conditions) reaches it as a Go value implementing a small interface
// (ClaimsFunc, Predicate, ValueFunc, Evaluator), so that another front end
// could produce the same Plan, and tests build plans with no HCL at all.
//
// Problems with the client under test are data in the Result; an error
// returned by Run means the harness itself could not do its job.
package engine
