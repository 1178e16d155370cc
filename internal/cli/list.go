package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/engine"
)

type listCheck struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Level       string   `json:"level"`
	Verifies    []string `json:"verifies"`
	Description string   `json:"description,omitempty"`
}

type listCase struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Checks      []listCheck `json:"checks"`
}

type listSuite struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Scenarios   []string `json:"scenarios"`
}

// listing is what list --format json writes: the suites, then the
// scenarios with their cases and checks.
type listing struct {
	Suites    []listSuite    `json:"suites"`
	Scenarios []listScenario `json:"scenarios"`
}

type listScenario struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Extension   string     `json:"extension,omitempty"`
	Cases       []listCase `json:"cases"`
}

// traceCheck is one place a requirement is verified.
type traceCheck struct {
	Scenario string `json:"scenario"`
	Case     string `json:"case"`
	Check    string `json:"check"`
	Status   string `json:"status,omitempty"`
}

type listRequirement struct {
	ID     string       `json:"id"`
	Level  string       `json:"level"`
	Text   string       `json:"text"`
	Ref    string       `json:"ref,omitempty"`
	Tags   []string     `json:"tags,omitempty"`
	Checks []traceCheck `json:"checks"`
	// Status summarizes the checks' results when results were given:
	// SUCCESS when all passed, else the worst status; "NOT RUN" when
	// none of its checks is in the results.
	Status string `json:"status,omitempty"`
}

func newListCmd(stdout, stderr io.Writer) *cobra.Command {
	var format, results string
	var requirements bool
	var vars []string
	var sel selection
	cmd := &cobra.Command{
		Use:   "list [FILE|DIR ...]",
		Short: "List suites, scenarios, cases, checks and requirements",
		Long: `List shows what the scenario files declare: each scenario with its cases and
their checks, then the suites with their number of scenarios ('all', every
scenario, is always there). --suite NAME lists the scenarios of that suite
only. With --requirements it shows traceability instead: each
requirement, its level and reference, and the checks that verify it; given
--results (the output of 'wifdsl run --format json'), also whether they
passed. With no files it lists the built-in suite, or with --suite the
embedded official catalogue.`,
		Example: `  wifdsl list
  wifdsl list --suite extensions
  wifdsl list --requirements
  wifdsl run --format json > results.json; wifdsl list --requirements --results results.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCommand(format, args, vars, &sel, stderr)
			if err != nil {
				return err
			}
			plan := c.plan
			if sel.selects() {
				// The plan of the suite's scenarios, with that suite only.
				if plan, err = sel.apply(plan, c.origin); err != nil {
					return exitCode(ExitUsage, err)
				}
			}
			if requirements || results != "" {
				var statuses map[string]string
				if results != "" {
					statuses, err = readResults(results)
					if err != nil {
						return exitCode(ExitUsage, err)
					}
				}
				reqs := trace(c, plan, statuses)
				if format == "json" {
					return writeJSON(stdout, reqs)
				}
				writeTrace(stdout, reqs, statuses != nil)
				return nil
			}
			scenarios := listScenarios(plan)
			if format == "json" {
				return writeJSON(stdout, listing{Suites: listSuites(plan.Suites), Scenarios: scenarios})
			}
			for _, s := range scenarios {
				fmt.Fprintf(stdout, "scenario %s", s.Name)
				if s.Description != "" {
					fmt.Fprintf(stdout, " — %s", s.Description)
				}
				fmt.Fprintln(stdout)
				for _, cs := range s.Cases {
					fmt.Fprintf(stdout, "  case %s (%d checks)\n", cs.Name, len(cs.Checks))
					for _, ch := range cs.Checks {
						fmt.Fprintf(stdout, "    %-7s %-26s %s\n", ch.Level, ch.ID, ch.Name)
					}
				}
			}
			for _, s := range listSuites(plan.Suites) {
				fmt.Fprintf(stdout, "suite %s (%s)", s.Name, plural(len(s.Scenarios), "scenario"))
				if s.Description != "" {
					fmt.Fprintf(stdout, " — %s", s.Description)
				}
				fmt.Fprintln(stdout)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&requirements, "requirements", false, "show requirements and the checks that verify them")
	cmd.Flags().StringVar(&results, "results", "", "with --requirements: a 'wifdsl run --format json' output to show verdicts from")
	addSelectionFlags(cmd, &sel, "list only", false)
	varFlag(cmd, &vars)
	return cmd
}

func listSuites(suites []*engine.Suite) []listSuite {
	out := []listSuite{}
	for _, s := range suites {
		out = append(out, listSuite{Name: s.Name, Description: s.Description, Scenarios: append([]string{}, s.Scenarios...)})
	}
	return out
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func listScenarios(plan *engine.Plan) []listScenario {
	out := []listScenario{}
	for _, s := range plan.Scenarios {
		ls := listScenario{Name: s.Name, Description: s.Description, Extension: s.Extension, Cases: []listCase{}}
		for _, cs := range s.Cases {
			lc := listCase{Name: cs.Name, Description: cs.Description, Checks: []listCheck{}}
			for _, ch := range cs.Checks {
				ids := []string{}
				for _, r := range ch.SpecReferences {
					ids = append(ids, r.ID)
				}
				lc.Checks = append(lc.Checks, listCheck{ID: ch.ID, Name: ch.Name, Level: string(ch.Level), Verifies: ids, Description: ch.Description})
			}
			ls.Cases = append(ls.Cases, lc)
		}
		out = append(out, ls)
	}
	return out
}

// readResults reads check statuses from a run's JSON output, keyed
// "scenario/case:check".
func readResults(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var doc struct {
		Checks []struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Scenario string `json:"scenario"`
			Case     string `json:"case"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("results: %s is not the JSON output of 'wifdsl run --format json': %w", path, err)
	}
	out := map[string]string{}
	for _, c := range doc.Checks {
		out[c.Scenario+"/"+c.Case+":"+c.ID] = c.Status
	}
	return out, nil
}

var statusRank = map[string]int{"SUCCESS": 0, "INFO": 1, "SKIPPED": 1, "WARNING": 2, "FAILURE": 3}

func trace(c *compiled, plan *engine.Plan, statuses map[string]string) []listRequirement {
	var out []listRequirement
	index := map[string]int{}
	for _, id := range c.cfg.RequirementOrder {
		r := c.cfg.Requirements[id]
		index[id] = len(out)
		out = append(out, listRequirement{ID: r.ID, Level: string(r.Level), Text: r.Text, Ref: r.Ref, Tags: r.Tags, Checks: []traceCheck{}})
	}
	for _, s := range plan.Scenarios {
		for _, cs := range s.Cases {
			for _, ch := range cs.Checks {
				for _, ref := range ch.SpecReferences {
					i, ok := index[ref.ID]
					if !ok {
						continue
					}
					tc := traceCheck{Scenario: s.Name, Case: cs.Name, Check: ch.ID}
					if statuses != nil {
						tc.Status = statuses[s.Name+"/"+cs.Name+":"+ch.ID]
						if tc.Status == "" {
							tc.Status = "NOT RUN"
						}
					}
					out[i].Checks = append(out[i].Checks, tc)
				}
			}
		}
	}
	if statuses != nil {
		for i := range out {
			status, ran := "SUCCESS", false
			for _, tc := range out[i].Checks {
				if tc.Status == "NOT RUN" {
					continue
				}
				ran = true
				if statusRank[tc.Status] > statusRank[status] {
					status = tc.Status
				}
			}
			if !ran {
				status = "NOT RUN"
			}
			out[i].Status = status
		}
	}
	return out
}

func writeTrace(w io.Writer, reqs []listRequirement, withStatus bool) {
	unverified := 0
	for _, r := range reqs {
		head := fmt.Sprintf("%-7s %s", r.Level, r.ID)
		if withStatus {
			head = fmt.Sprintf("%-8s %s", r.Status, head)
		}
		if len(r.Tags) > 0 {
			head += " [" + strings.Join(r.Tags, ", ") + "]"
		}
		fmt.Fprintln(w, head)
		fmt.Fprintf(w, "    %s\n", r.Text)
		if r.Ref != "" {
			fmt.Fprintf(w, "    %s\n", r.Ref)
		}
		if len(r.Checks) == 0 {
			unverified++
			fmt.Fprintf(w, "    verified by: nothing\n")
			continue
		}
		// Grouped by scenario and check: "verified by ID in SCENARIO: case, case".
		type where struct{ scenario, check string }
		byCheck := map[where][]string{}
		var keys []where
		for _, tc := range r.Checks {
			k := where{tc.Scenario, tc.Check}
			if _, ok := byCheck[k]; !ok {
				keys = append(keys, k)
			}
			label := tc.Case
			if withStatus {
				label += "=" + tc.Status
			}
			byCheck[k] = append(byCheck[k], label)
		}
		sort.SliceStable(keys, func(i, j int) bool {
			if keys[i].check != keys[j].check {
				return keys[i].check < keys[j].check
			}
			return keys[i].scenario < keys[j].scenario
		})
		for _, k := range keys {
			fmt.Fprintf(w, "    verified by %s in %s: %s\n", k.check, k.scenario, strings.Join(byCheck[k], ", "))
		}
	}
	fmt.Fprintf(w, "%d requirements, %d unverified\n", len(reqs), unverified)
}
