package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wifdsl/wifdsl/engine"
)

// Options control what a report shows.
type Options struct {
	// ShowSecrets disables redaction of assertions and access tokens.
	ShowSecrets bool
	// Verbose shows the client's timeline of every case, passing ones
	// too (text only).
	Verbose bool
	// Version is the tool version recorded in JSON output.
	Version string
	// Client is the client command line, recorded in JSON output.
	Client string
	// Baseline, when set, is the expected-failures file the run is judged
	// by: reports mark the failures it expects and list its verdicts.
	Baseline *Baseline
	// Metadata, when set, describes the run in JSON output.
	Metadata *Metadata
	// InterruptedBy says what interrupted the run (a signal, a closed
	// output), when it was.
	InterruptedBy string
}

// Metadata describes a run: what ran, on what, against which files.
type Metadata struct {
	Tool          ToolInfo       `json:"tool"`
	Client        ClientInfo     `json:"client"`
	ScenarioFiles []ScenarioFile `json:"scenarioFiles"`
	// Started and Finished are RFC 3339 times; DurationMS is the whole run.
	Started    string `json:"started"`
	Finished   string `json:"finished"`
	DurationMS int64  `json:"durationMs"`
	// Settings are the run's options as given (timeouts, parallelism,
	// filters, variables).
	Settings map[string]any `json:"settings,omitempty"`
}

// ToolInfo names the program that produced a report.
type ToolInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"goVersion,omitempty"`
	OS        string `json:"os,omitempty"`
	Arch      string `json:"arch,omitempty"`
}

// ClientInfo is the client under test.
type ClientInfo struct {
	Command string `json:"command"`
	// Bundled is true when no --client was given and the bundled
	// reference client ran.
	Bundled bool `json:"bundledReferenceClient,omitempty"`
}

// ScenarioFile is one scenario file the run compiled.
type ScenarioFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
	// Builtin is set for a file embedded in the binary: the built-in
	// suite, or with --suite and no files the official catalogue.
	Builtin bool `json:"builtin,omitempty"`
}

// Baseline is an expected-failures file (the official harness's
// --expected-failures YAML, plus wifdsl's case-level entries) and what it
// made of a run.
type Baseline struct {
	// File is the path the baseline was read from.
	File string
	// Entries are the file's client entries, in file order.
	Entries []string
	// Expects returns the entry that expects the given check to fail, if
	// any. Reports call it for failing checks only.
	Expects func(scenario, caseName, checkID string) (entry string, ok bool)

	// The verdicts, set once the run is over. Checks are named
	// CheckKey(scenario, case, id), the case-level entry form.
	Expected   []string // failing checks the baseline expects
	Unexpected []string // failing checks it does not expect
	Stale      []string // entries whose checks now all pass
	Unmatched  []string // entries that match no check of this run
}

// OK reports the baseline verdict: no unexpected failure and no stale
// entry.
func (b *Baseline) OK() bool { return len(b.Unexpected) == 0 && len(b.Stale) == 0 }

// expects is Expects guarded against a nil baseline or function, and
// against checks that did not fail.
func (b *Baseline) expects(c *engine.CaseResult, ch engine.CheckResult) (string, bool) {
	if b == nil || b.Expects == nil || !ch.Failed() {
		return "", false
	}
	return b.Expects(c.Scenario, c.Case, ch.ID)
}

// CheckKey names one check of one case: "scenario/case:check-id", the form
// of a case-level baseline entry.
func CheckKey(scenario, caseName, checkID string) string {
	return scenario + "/" + caseName + ":" + checkID
}

// caseVerdict is a case's status word: PASS, FAIL, XFAIL (every failing
// check is expected by the baseline) or ERROR (the harness could not run
// it).
func caseVerdict(c *engine.CaseResult, b *Baseline) string {
	if c.Error != "" {
		return "ERROR"
	}
	if c.Interrupted {
		return "INTERRUPTED"
	}
	failed, unexpected := false, false
	for _, ch := range c.Checks {
		if !ch.Failed() {
			continue
		}
		failed = true
		if _, ok := b.expects(c, ch); !ok {
			unexpected = true
		}
	}
	switch {
	case unexpected:
		return "FAIL"
	case failed:
		return "XFAIL"
	}
	return "PASS"
}

// checkDetail explains a check that did not succeed, one line each: what
// was expected (with the level and spec references), what happened, and
// the condition with the values it saw. Secrets are redacted.
func checkDetail(ch engine.CheckResult, red *Redactor) []string {
	var out []string
	if ch.Description != "" {
		exp := ch.Description + " (" + string(ch.Level)
		for _, r := range ch.SpecReferences {
			if r.URL != "" {
				exp += ", " + r.URL
			}
		}
		out = append(out, "expected: "+exp+")")
	}
	if ch.ErrorMessage != "" {
		out = append(out, "actual:   "+red.Redact(ch.ErrorMessage))
	}
	if ch.Condition != "" {
		loc := ""
		if ch.Location != "" {
			loc = " (" + ch.Location + ")"
		}
		out = append(out, "condition"+loc+": "+oneLine(ch.Condition, 160))
		for _, k := range slices.Sorted(maps.Keys(ch.Values)) {
			// Redact before shortening: a cut secret no longer matches.
			out = append(out, "  "+k+" = "+shorten(red.Redact(ch.Values[k]), 300))
		}
	}
	return out
}

// caseTimeline is the client's timeline followed by the last lines of its
// stderr, one line each, redacted.
func caseTimeline(c *engine.CaseResult, red *Redactor) []string {
	if c.Observations == nil {
		return nil
	}
	out := []string{"client timeline:"}
	for _, e := range Timeline(c.Observations) {
		at := "        "
		if e.Known {
			at = fmt.Sprintf("%6dms", e.At.Milliseconds())
		}
		out = append(out, "  "+at+"  "+red.Redact(e.Text))
	}
	if n := c.Observations.ForeignRequests; n > 0 {
		out = append(out, fmt.Sprintf("  %8s  (%d request(s) from processes other than the client refused and not judged)", "", n))
	}
	if tail := lastLines(red.Redact(c.Observations.Client.Stderr), 3); tail != "" {
		out = append(out, "client stderr (last lines):")
		for _, l := range strings.Split(tail, "\n") {
			out = append(out, "  | "+l)
		}
	}
	return out
}

func redactor(c *engine.CaseResult, opts Options) *Redactor {
	if opts.ShowSecrets {
		return &Redactor{}
	}
	return NewRedactor(c)
}

// Text writes the result for a terminal or a CI log: a line per case and
// per check, and for each failure what was expected, what happened and
// the client's timeline; then the summary line.
func Text(w io.Writer, res *engine.Result, opts Options) error {
	tw := &errWriter{w: w}
	for _, c := range res.Cases {
		WriteCase(tw, c, opts)
	}
	WriteSummary(tw, res)
	return tw.err
}

// WriteCase writes one case in the text format. With a baseline, a case
// whose failing checks are all expected reads XFAIL, and each expected
// check names the entry that expects it.
func WriteCase(w io.Writer, c *engine.CaseResult, opts Options) {
	nw := &neutralizing{w: w}
	defer nw.flush()
	w = nw
	red := redactor(c, opts)
	status := caseVerdict(c, opts.Baseline)
	fmt.Fprintf(w, "%-5s %s/%s (%s)\n", status, c.Scenario, c.Case, c.Duration.Round(time.Millisecond))
	if c.Error != "" {
		fmt.Fprintf(w, "      harness error: %s\n", red.Redact(c.Error))
	}
	width := 0
	for _, ch := range c.Checks {
		if len(ch.ID) > width {
			width = len(ch.ID)
		}
	}
	failed := false
	for _, ch := range c.Checks {
		note := ""
		if entry, ok := opts.Baseline.expects(c, ch); ok {
			note = "  [expected failure: " + entry + "]"
		}
		fmt.Fprintf(w, "      %-7s  %-*s  %s%s\n", ch.Status, width, ch.ID, ch.Name, note)
		if ch.Status == engine.StatusSuccess {
			continue
		}
		if c.Interrupted && ch.Status == engine.StatusSkipped {
			fmt.Fprintf(w, "%15s%s\n", "", ch.ErrorMessage)
			continue
		}
		if ch.Failed() {
			failed = true
		}
		for _, l := range checkDetail(ch, red) {
			fmt.Fprintf(w, "%15s%s\n", "", l)
		}
	}
	if failed || c.Error != "" || c.Interrupted || opts.Verbose {
		for _, l := range caseTimeline(c, red) {
			fmt.Fprintf(w, "      %s\n", l)
		}
	}
}

// WriteBaseline writes the baseline verdict after the summary line, in the
// official harness's order: expected failures, stale entries, unexpected
// failures, then the outcome.
func WriteBaseline(w io.Writer, b *Baseline) {
	if b == nil {
		return
	}
	nw := &neutralizing{w: w}
	defer nw.flush()
	w = nw
	section := func(title, mark string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "%s\n", title)
		for _, it := range items {
			fmt.Fprintf(w, "  %s %s\n", mark, it)
		}
	}
	fmt.Fprintf(w, "baseline %s:\n", b.File)
	section("expected failures (in baseline):", "~", b.Expected)
	section("stale baseline entries (now passing: remove them from the baseline):", "✓", b.Stale)
	section("unexpected failures (not in baseline):", "✗", b.Unexpected)
	section("entries that match no check of this run (ignored):", "-", b.Unmatched)
	switch {
	case b.OK():
		fmt.Fprintf(w, "baseline check passed: all failures are expected\n")
	default:
		if len(b.Stale) > 0 {
			fmt.Fprintf(w, "baseline is stale: remove the passing entries from %s\n", b.File)
		}
		if len(b.Unexpected) > 0 {
			fmt.Fprintf(w, "unexpected failures: fix them, or list them in %s\n", b.File)
		}
	}
}

// WriteSummary writes the closing line: "N passed, N failed, N warnings".
func WriteSummary(w io.Writer, res *engine.Result) {
	s := res.Summarize()
	if res.Interrupted {
		fmt.Fprintf(w, "interrupted: results so far\n")
	}
	line := fmt.Sprintf("%d passed, %d failed, %d warnings", s.Passed, s.Failed, s.Warnings)
	if s.Errors > 0 {
		line += fmt.Sprintf(", %d case errors", s.Errors)
	}
	if s.Interrupted > 0 {
		line += fmt.Sprintf(", %d cases interrupted", s.Interrupted)
	}
	fmt.Fprintln(w, line)
}

func oneLine(s string, max int) string {
	return shorten(strings.Join(strings.Fields(s), " "), max)
}

// shorten cuts s to max bytes (on a rune boundary) with an ellipsis.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = shorten(l, 200)
	}
	return strings.Join(lines, "\n")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// JSONCheck is one check in the official harness's shape plus the scenario
// and case it belongs to.
type JSONCheck struct {
	ID             string                 `json:"id"`
	Name           string                 `json:"name"`
	Description    string                 `json:"description"`
	Status         engine.Status          `json:"status"`
	Timestamp      string                 `json:"timestamp"`
	SpecReferences []engine.SpecReference `json:"specReferences"`
	Details        map[string]any         `json:"details,omitempty"`
	ErrorMessage   string                 `json:"errorMessage,omitempty"`
	Scenario       string                 `json:"scenario"`
	Case           string                 `json:"case"`
	// ExpectedFailure is the baseline entry that expects this check to
	// fail (--expected-failures), if any.
	ExpectedFailure string `json:"expectedFailure,omitempty"`
}

// JSONCase summarizes one case.
type JSONCase struct {
	Scenario string `json:"scenario"`
	Case     string `json:"case"`
	// Status is the case's verdict: PASS, FAIL, XFAIL (every failure is
	// expected by the baseline), ERROR (the harness could not run it) or
	// INTERRUPTED (the run was interrupted before it could be judged).
	Status     string              `json:"status"`
	Started    string              `json:"started"`
	DurationMS int64               `json:"durationMs"`
	Error      string              `json:"error,omitempty"`
	Client     map[string]any      `json:"client"`
	Timeline   []JSONTimelineEntry `json:"timeline"`
}

// JSONDocument is the whole --format json output.
type JSONDocument struct {
	Version     string `json:"version"`
	Client      string `json:"client,omitempty"`
	Started     string `json:"started"`
	DurationMS  int64  `json:"durationMs"`
	Interrupted bool   `json:"interrupted,omitempty"`
	// InterruptedBy says what interrupted the run.
	InterruptedBy string         `json:"interruptedBy,omitempty"`
	Summary       engine.Summary `json:"summary"`
	Checks        []JSONCheck    `json:"checks"`
	Cases         []JSONCase     `json:"cases"`
	// Metadata describes the run (tool, client, scenario file digests,
	// times, settings).
	Metadata *Metadata `json:"metadata,omitempty"`
	// Baseline is the expected-failures verdict, when a baseline was given.
	Baseline *JSONBaseline `json:"baseline,omitempty"`
}

// JSONBaseline is the expected-failures verdict in JSON output.
type JSONBaseline struct {
	File       string   `json:"file"`
	Passed     bool     `json:"passed"`
	Entries    []string `json:"entries"`
	Expected   []string `json:"expectedFailures"`
	Unexpected []string `json:"unexpectedFailures"`
	Stale      []string `json:"staleEntries"`
	Unmatched  []string `json:"unmatchedEntries"`
}

// CaseChecks converts one case's checks into the official shape.
func CaseChecks(c *engine.CaseResult, opts Options) []JSONCheck {
	red := redactor(c, opts)
	out := make([]JSONCheck, 0, len(c.Checks))
	for _, ch := range c.Checks {
		refs := ch.SpecReferences
		if refs == nil {
			refs = []engine.SpecReference{}
		}
		details := map[string]any{"level": ch.Level}
		if c.Interrupted {
			// The case's own status: the check was not judged.
			details["caseStatus"] = "INTERRUPTED"
		}
		if ch.Status != engine.StatusSuccess {
			if ch.Condition != "" {
				details["condition"] = oneLine(ch.Condition, 1000)
				if ch.Location != "" {
					details["location"] = ch.Location
				}
			}
			if len(ch.Values) > 0 {
				vals := map[string]string{}
				for k, v := range ch.Values {
					vals[k] = shorten(red.Redact(v), 1000)
				}
				details["values"] = vals
			}
		}
		entry, _ := opts.Baseline.expects(c, ch)
		out = append(out, JSONCheck{
			ID: ch.ID, Name: ch.Name, Description: ch.Description, Status: ch.Status,
			Timestamp: ch.Timestamp.UTC().Format(time.RFC3339Nano), SpecReferences: refs,
			Details: details, ErrorMessage: red.Redact(ch.ErrorMessage),
			Scenario: c.Scenario, Case: c.Case, ExpectedFailure: entry,
		})
	}
	return out
}

// Document builds the JSON document for a result.
func Document(res *engine.Result, opts Options) *JSONDocument {
	doc := &JSONDocument{
		Version: opts.Version, Client: opts.Client,
		Started:       res.Started.UTC().Format(time.RFC3339Nano),
		DurationMS:    res.Duration.Milliseconds(),
		Interrupted:   res.Interrupted,
		InterruptedBy: opts.InterruptedBy,
		Summary:       res.Summarize(),
		Checks:        []JSONCheck{},
		Cases:         []JSONCase{},
		Metadata:      opts.Metadata,
	}
	if b := opts.Baseline; b != nil {
		doc.Baseline = &JSONBaseline{
			File: b.File, Passed: b.OK(), Entries: nonNil(b.Entries), Expected: nonNil(b.Expected),
			Unexpected: nonNil(b.Unexpected), Stale: nonNil(b.Stale), Unmatched: nonNil(b.Unmatched),
		}
	}
	for _, c := range res.Cases {
		red := redactor(c, opts)
		doc.Checks = append(doc.Checks, CaseChecks(c, opts)...)
		jc := JSONCase{Scenario: c.Scenario, Case: c.Case, Status: caseVerdict(c, opts.Baseline), Started: c.Started.UTC().Format(time.RFC3339Nano), DurationMS: c.Duration.Milliseconds(), Error: red.Redact(c.Error), Timeline: jsonTimeline(c.Observations, red.Redact)}
		if o := c.Observations; o != nil {
			cl := o.Client
			jc.Client = map[string]any{
				"started": cl.Started, "exited": cl.Exited, "exitCode": cl.ExitCode,
				"signal": cl.Signal, "timedOut": cl.TimedOut, "hungAfterError": cl.HungAfterError,
				"killed": cl.Killed, "hungIn": cl.HungIn, "durationMs": cl.Duration.Milliseconds(),
				"stdoutBytes": cl.StdoutBytes, "stderrBytes": cl.StderrBytes,
				"stdoutTruncated": cl.StdoutTruncated, "stderrTruncated": cl.StderrTruncated,
				"foreignRequests": o.ForeignRequests,
			}
		}
		doc.Cases = append(doc.Cases, jc)
	}
	return doc
}

// JSON writes the JSON document, indented.
func JSON(w io.Writer, res *engine.Result, opts Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document(res, opts))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
