// Package report owns wifdsl's output formats over an engine.Result:
// human-readable text, a JSON document, a Markdown summary for CI job
// pages and JUnit XML, with secrets (workload assertions, access tokens)
// redacted unless the caller asks otherwise.
package report
