package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wifdsl/wifdsl/engine"
)

// Options control what a report shows.
type Options struct {
	// ShowSecrets disables redaction of assertions and access tokens.
	ShowSecrets bool
	// Verbose lists passing checks too (text only).
	Verbose bool
	// Version is the tool version recorded in JSON output.
	Version string
	// Client is the client command line, recorded in JSON output.
	Client string
}

func redactor(c *engine.CaseResult, opts Options) *engine.Redactor {
	if opts.ShowSecrets {
		return &engine.Redactor{}
	}
	return engine.NewRedactor(c)
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

// WriteCase writes one case in the text format.
func WriteCase(w io.Writer, c *engine.CaseResult, opts Options) {
	red := redactor(c, opts)
	status := "PASS"
	failed := false
	for _, ch := range c.Checks {
		if ch.Failed() {
			failed = true
			status = "FAIL"
		}
	}
	if c.Error != "" {
		status = "ERROR"
	}
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
	for _, ch := range c.Checks {
		fmt.Fprintf(w, "      %-7s  %-*s  %s\n", ch.Status, width, ch.ID, ch.Name)
		if ch.Status == engine.StatusSuccess {
			continue
		}
		ind := strings.Repeat(" ", 15)
		if ch.Description != "" {
			exp := ch.Description + " (" + string(ch.Level)
			for _, r := range ch.SpecReferences {
				if r.URL != "" {
					exp += ", " + r.URL
				}
			}
			fmt.Fprintf(w, "%sexpected: %s)\n", ind, exp)
		}
		if ch.ErrorMessage != "" {
			fmt.Fprintf(w, "%sactual:   %s\n", ind, red.Redact(ch.ErrorMessage))
		}
		if ch.Condition != "" {
			loc := ""
			if ch.Location != "" {
				loc = " (" + ch.Location + ")"
			}
			fmt.Fprintf(w, "%scondition%s: %s\n", ind, loc, oneLine(ch.Condition, 160))
			for _, k := range sortedKeys(ch.Values) {
				// Redact before shortening: a cut secret no longer matches.
				fmt.Fprintf(w, "%s  %s = %s\n", ind, k, shorten(red.Redact(ch.Values[k]), 300))
			}
		}
	}
	if (failed || c.Error != "") && c.Observations != nil {
		fmt.Fprintf(w, "      client timeline:\n")
		for _, e := range c.Observations.Timeline() {
			at := "        "
			if e.At >= 0 {
				at = fmt.Sprintf("%6dms", e.At.Milliseconds())
			}
			fmt.Fprintf(w, "        %s  %s\n", at, red.Redact(e.Text))
		}
		o := c.Observations.Client
		if tail := lastLines(red.Redact(o.Stderr), 3); tail != "" {
			fmt.Fprintf(w, "      client stderr (last lines):\n")
			for _, l := range strings.Split(tail, "\n") {
				fmt.Fprintf(w, "        | %s\n", l)
			}
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
	fmt.Fprintln(w, line)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
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
		if len(l) > 200 {
			lines[i] = l[:200] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
}

// JSONCase summarizes one case.
type JSONCase struct {
	Scenario   string                 `json:"scenario"`
	Case       string                 `json:"case"`
	DurationMS int64                  `json:"durationMs"`
	Error      string                 `json:"error,omitempty"`
	Client     map[string]any         `json:"client"`
	Timeline   []engine.TimelineEntry `json:"timeline"`
}

// JSONDocument is the whole --format json output.
type JSONDocument struct {
	Version     string         `json:"version"`
	Client      string         `json:"client,omitempty"`
	Started     string         `json:"started"`
	DurationMS  int64          `json:"durationMs"`
	Interrupted bool           `json:"interrupted,omitempty"`
	Summary     engine.Summary `json:"summary"`
	Checks      []JSONCheck    `json:"checks"`
	Cases       []JSONCase     `json:"cases"`
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
		out = append(out, JSONCheck{
			ID: ch.ID, Name: ch.Name, Description: ch.Description, Status: ch.Status,
			Timestamp: ch.Timestamp.UTC().Format(time.RFC3339Nano), SpecReferences: refs,
			Details: details, ErrorMessage: red.Redact(ch.ErrorMessage),
			Scenario: c.Scenario, Case: c.Case,
		})
	}
	return out
}

// Document builds the JSON document for a result.
func Document(res *engine.Result, opts Options) *JSONDocument {
	doc := &JSONDocument{
		Version: opts.Version, Client: opts.Client,
		Started:     res.Started.UTC().Format(time.RFC3339Nano),
		DurationMS:  res.Duration.Milliseconds(),
		Interrupted: res.Interrupted,
		Summary:     res.Summarize(),
		Checks:      []JSONCheck{},
		Cases:       []JSONCase{},
	}
	for _, c := range res.Cases {
		red := redactor(c, opts)
		doc.Checks = append(doc.Checks, CaseChecks(c, opts)...)
		jc := JSONCase{Scenario: c.Scenario, Case: c.Case, DurationMS: c.Duration.Milliseconds(), Error: red.Redact(c.Error), Timeline: []engine.TimelineEntry{}}
		if o := c.Observations; o != nil {
			for _, e := range o.Timeline() {
				jc.Timeline = append(jc.Timeline, engine.TimelineEntry{At: e.At / time.Millisecond, Text: red.Redact(e.Text)})
			}
			cl := o.Client
			jc.Client = map[string]any{
				"started": cl.Started, "exited": cl.Exited, "exitCode": cl.ExitCode,
				"signal": cl.Signal, "timedOut": cl.TimedOut, "hungAfterError": cl.HungAfterError,
				"killed": cl.Killed, "hungIn": cl.HungIn, "durationMs": cl.Duration.Milliseconds(),
				"stdoutBytes": cl.StdoutBytes, "stderrBytes": cl.StderrBytes,
				"stdoutTruncated": cl.StdoutTruncated, "stderrTruncated": cl.StderrTruncated,
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
