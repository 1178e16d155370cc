// Package report owns wifdsl's output formats: human-readable text and a
// JSON document over an engine.Result, with secrets (workload assertions,
// access tokens) redacted unless the caller asks otherwise.
package report
