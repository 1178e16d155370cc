// Package engine owns the runtime half of wifdsl: the Plan that a scenario
// compiles into (Scenario, Case, Step, Check), the runner that executes a
// case (mint assertions, start the stub servers, launch the client under
// test, observe it, evaluate the checks), the observation record the checks
// read, and the Result that reporters render.
//
// The engine knows no scenario syntax. Anything that must be computed late
// (claims that name a server URL, reject conditions, check conditions) reaches
// it as a Go value implementing a small interface (ClaimsFunc, Predicate,
// Evaluator), so that another front end could produce the same Plan.
//
// Problems with the client under test are data in the Result; an error
// returned by Run means the harness itself could not do its job.
package engine
