package engine

import (
	"time"
)

// Result is the outcome of a run.
type Result struct {
	Started     time.Time
	Duration    time.Duration
	Interrupted bool
	// Aborted is set when the run stopped itself because a check's
	// evaluation ran past a budget and could not be stopped: it names the
	// check. The cases still running then end interrupted.
	Aborted string
	Cases   []*CaseResult
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	Scenario    string
	Case        string
	Description string
	Started     time.Time
	Duration    time.Duration
	// Error is set when the harness could not run the case (a broken
	// step, not a misbehaving client).
	Error string
	// Interrupted is set when the run was interrupted before the case
	// could be judged: its checks are SKIPPED with InterruptedMessage.
	Interrupted  bool
	Checks       []CheckResult
	Observations *Observations
	// Secrets are the strings reports redact (assertions, access tokens),
	// longest first.
	Secrets []string
	// SecretNames names the secrets that are neither assertions nor
	// access tokens, for redaction markers ("client secret", …).
	SecretNames map[string]string
}

// Compact drops from c what only a report of the case itself reads, once
// that report is written: the observations, the secrets, and each check's
// message and values. What a run's summary and a baseline read stays: the
// case's names, times, error and interruption, and each check's id, name,
// level, status and where its condition is written. A run that writes
// every case as it ends and keeps nothing else of it (`wifdsl run` with
// text output and no results directory or JUnit file) so keeps little of
// the cases it ran.
func (c *CaseResult) Compact() {
	c.Observations = nil
	c.Secrets = nil
	c.SecretNames = nil
	for i := range c.Checks {
		c.Checks[i].ErrorMessage = ""
		c.Checks[i].Values = nil
	}
}

// CheckResult is one check's verdict, in the official harness's shape
// plus the level, the condition and the values it referenced.
type CheckResult struct {
	ID             string
	Name           string
	Description    string
	Level          Level
	Status         Status
	Timestamp      time.Time
	SpecReferences []SpecReference
	ErrorMessage   string
	Condition      string
	// Location is where the condition is written, "file:line".
	Location string
	Values   map[string]string
}

// Failed reports whether the check's status counts against the run
// (FAILURE or WARNING).
func (c CheckResult) Failed() bool {
	return c.Status == StatusFailure || c.Status == StatusWarning
}

// Summary counts statuses over a result.
type Summary struct {
	Cases    int `json:"cases"`
	Checks   int `json:"checks"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Warnings int `json:"warnings"`
	Info     int `json:"info"`
	Skipped  int `json:"skipped"`
	Errors   int `json:"errors"`
	// Interrupted counts the cases the run's interruption left unjudged.
	Interrupted int `json:"interrupted"`
}

// Summarize counts the statuses of every check.
func (r *Result) Summarize() Summary {
	var s Summary
	for _, c := range r.Cases {
		s.Cases++
		if c.Error != "" {
			s.Errors++
		}
		if c.Interrupted {
			s.Interrupted++
		}
		for _, ch := range c.Checks {
			s.Checks++
			switch ch.Status {
			case StatusSuccess:
				s.Passed++
			case StatusFailure:
				s.Failed++
			case StatusWarning:
				s.Warnings++
			case StatusInfo:
				s.Info++
			case StatusSkipped:
				s.Skipped++
			}
		}
	}
	return s
}

// OK reports whether every check passed (no FAILURE, no WARNING) and no
// case broke.
func (r *Result) OK() bool {
	s := r.Summarize()
	return s.Failed == 0 && s.Warnings == 0 && s.Errors == 0 && s.Interrupted == 0 && !r.Interrupted && r.Aborted == ""
}
