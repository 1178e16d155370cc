// Package report owns the presentation of an engine.Result: human-readable
// text, a JSON document, a Markdown summary for CI job pages and JUnit XML,
// the timeline of each case (what the servers saw, in order, and how the
// client ended), with secrets (workload assertions, access tokens)
// redacted unless the caller asks otherwise.
package report
