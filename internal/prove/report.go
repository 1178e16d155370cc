package prove

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes the matrix for a terminal: per scenario, each check
// with its verdict and the variants that trip it; then each variant with
// what it trips; then the totals.
func WriteText(w io.Writer, r *Result) {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	scenario := ""
	for _, c := range r.Checks {
		if c.Scenario != scenario {
			scenario = c.Scenario
			fmt.Fprintf(w, "scenario %s\n", scenario)
		}
		if c.Proven() {
			fmt.Fprintf(w, "  proven    %-*s  conformant passes; tripped by %s\n", width, c.ID, strings.Join(c.TrippedBy, ", "))
			continue
		}
		fmt.Fprintf(w, "  UNPROVEN  %-*s  %s\n", width, c.ID, c.Reason())
		if len(c.TrippedBy) > 0 {
			fmt.Fprintf(w, "            %-*s  (tripped by %s)\n", width, "", strings.Join(c.TrippedBy, ", "))
		}
	}
	if len(r.Variants) > 0 {
		fmt.Fprintln(w, "variants")
		vw := 0
		for _, v := range r.Variants {
			vw = max(vw, len(v.Name))
		}
		for _, v := range r.Variants {
			fmt.Fprintf(w, "  %-*s  trips %s\n", vw, v.Name, tripList(v, true))
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "harness error: %s\n", e)
	}
	fmt.Fprintf(w, "%d checks: %d proven, %d unproven (%d variants, %d client runs, %s)\n",
		len(r.Checks), len(r.Checks)-r.Unproven(), r.Unproven(), len(r.Variants), r.Runs, r.Duration.Round(1e7))
}

// tripList renders what a variant trips: check ids, with the cases when
// withCases, or "nothing".
func tripList(v *VariantResult, withCases bool) string {
	if len(v.Trips) == 0 {
		return "nothing"
	}
	scenarios := map[string]bool{}
	for _, t := range v.Trips {
		scenarios[t.Scenario] = true
	}
	var parts []string
	for _, t := range v.Trips {
		s := t.Check
		if len(scenarios) > 1 {
			s = t.Scenario + ":" + s
		}
		if withCases {
			s += " (" + strings.Join(t.Cases, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// jsonResult is the JSON shape of a Result.
type jsonResult struct {
	Proven   bool          `json:"proven"`
	Checks   []jsonCheck   `json:"checks"`
	Variants []jsonVariant `json:"variants"`
	Errors   []string      `json:"errors"`
	Runs     int           `json:"runs"`
}

type jsonCheck struct {
	Scenario        string   `json:"scenario"`
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Level           string   `json:"level"`
	Cases           []string `json:"cases"`
	Proven          bool     `json:"proven"`
	ConformantFails []string `json:"conformantFails"`
	TrippedBy       []string `json:"trippedBy"`
	Reason          string   `json:"reason,omitempty"`
}

type jsonVariant struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Spec        json.RawMessage `json:"spec"`
	Trips       []Trip          `json:"trips"`
}

// WriteJSON writes the matrix as one JSON document.
func WriteJSON(w io.Writer, r *Result) error {
	out := jsonResult{Proven: r.OK(), Checks: []jsonCheck{}, Variants: []jsonVariant{}, Errors: r.Errors, Runs: r.Runs}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, jsonCheck{
			Scenario: c.Scenario, ID: c.ID, Name: c.Name, Level: string(c.Level), Cases: c.Cases,
			Proven: c.Proven(), ConformantFails: nonNil(c.ConformantFails), TrippedBy: nonNil(c.TrippedBy), Reason: c.Reason(),
		})
	}
	for _, v := range r.Variants {
		spec := json.RawMessage(v.Spec)
		if len(spec) == 0 {
			spec = json.RawMessage("{}")
		}
		trips := v.Trips
		if trips == nil {
			trips = []Trip{}
		}
		out.Variants = append(out.Variants, jsonVariant{Name: v.Name, Description: v.Description, Spec: spec, Trips: trips})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteMarkdown writes the matrix as Markdown: a table of the variants
// (their deviations and the checks they trip) and a table of the checks.
// It holds nothing that changes between runs, so a document generated from
// it stays identical while the behaviour does.
func WriteMarkdown(w io.Writer, r *Result) {
	fmt.Fprintf(w, "| variant | deviations | trips |\n|---|---|---|\n")
	for _, v := range r.Variants {
		desc := mdEscape(v.Description)
		if desc != "" {
			desc += "<br>"
		}
		fmt.Fprintf(w, "| `%s` | %s%s | %s |\n", v.Name, desc, "`"+mdCode(v.Spec)+"`", mdTrips(v))
	}
	fmt.Fprintf(w, "\n| check | conformant client | tripped by |\n|---|---|---|\n")
	for _, c := range r.Checks {
		conf := "passes"
		if len(c.ConformantFails) > 0 {
			conf = "**fails**"
		}
		by := "**nothing**"
		if len(c.TrippedBy) > 0 {
			by = "`" + strings.Join(c.TrippedBy, "`, `") + "`"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", c.ID, conf, by)
	}
}

func mdTrips(v *VariantResult) string {
	if len(v.Trips) == 0 {
		return "nothing"
	}
	var parts []string
	for _, t := range v.Trips {
		cases := append([]string(nil), t.Cases...)
		sort.Strings(cases)
		parts = append(parts, fmt.Sprintf("`%s` (%s)", t.Check, strings.Join(cases, ", ")))
	}
	return strings.Join(parts, "<br>")
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

func mdCode(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
