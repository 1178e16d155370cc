package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/engine"
)

// planStep is one step of a case as `wifdsl plan` shows it.
type planStep struct {
	Step   string            `json:"step"`
	Detail map[string]string `json:"detail,omitempty"`
	Items  []string          `json:"items,omitempty"`
}

type planCase struct {
	Scenario string     `json:"scenario"`
	Case     string     `json:"case"`
	Steps    []planStep `json:"steps"`
}

func newPlanCmd(stdout, stderr io.Writer) *cobra.Command {
	var format string
	var vars []string
	var sel selection
	cmd := &cobra.Command{
		Use:   "plan [FILE|DIR ...]",
		Short: "Show the runtime steps each case will execute",
		Long: `Plan compiles the scenario files and prints, for every case and in order,
the steps the engine will run: which servers start with which settings and
rules (each with the status and error the server answers, as the server
reports it),
which JWTs are minted with which claims, what the client receives in
MCP_CONFORMANCE_CONTEXT, and which checks are judged. Server URLs are shown
with placeholder ports (AS_PORT, MCP_PORT); nothing is started. --suite,
--scenario, --case and --spec-version select as in 'wifdsl run'.`,
		Example: "  wifdsl plan\n  wifdsl plan --case rejected-scope\n  wifdsl plan scenarios.hcl --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCommand(format, args, vars, &sel, stderr)
			if err != nil {
				return err
			}
			plan := c.plan
			if sel.selects() {
				if plan, err = sel.apply(plan, c.origin); err != nil {
					return exitCode(ExitUsage, err)
				}
			}
			var described []planCase
			for _, cs := range plan.Cases() {
				described = append(described, describeCase(cs))
			}
			if format == "json" {
				return writeJSON(stdout, described)
			}
			for _, pc := range described {
				fmt.Fprintf(stdout, "%s/%s\n", pc.Scenario, pc.Case)
				for i, st := range pc.Steps {
					fmt.Fprintf(stdout, "  %d. %s\n", i+1, st.Step)
					for _, k := range slices.Sorted(maps.Keys(st.Detail)) {
						fmt.Fprintf(stdout, "       %-22s %s\n", k, st.Detail[k])
					}
					for _, it := range st.Items {
						fmt.Fprintf(stdout, "       - %s\n", it)
					}
				}
				fmt.Fprintln(stdout)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	addSelectionFlags(cmd, &sel, "only", true)
	varFlag(cmd, &vars)
	return cmd
}

// describeCase lists the parts of a case in the order the engine runs
// them. What each server will answer comes from engine.Describe, that is
// from the server packages themselves, so the plan cannot disagree with
// the running servers.
func describeCase(c *engine.Case) planCase {
	pc := planCase{Scenario: c.Scenario, Case: c.Name}
	timeout, failFast := c.Timeout, c.FailFast
	if timeout == 0 {
		timeout = engine.DefaultTimeout
	}
	if failFast == 0 {
		failFast = engine.DefaultFailFast
	}
	target := ""
	for _, d := range engine.Describe(c) {
		step := planStep{Step: fmt.Sprintf("start the %s %q on %s", kindLabels[d.Kind], d.Name, originOf(d.URLs)), Detail: d.Settings}
		for _, r := range d.Rules {
			step.Items = append(step.Items, fmt.Sprintf("reject %q when %s → %d %s", r.Name, oneLineExpr(r.When), r.Status, r.Error))
		}
		if d.Kind == engine.AuthorizationServer && len(d.Rules) == 0 {
			step.Items = []string{"no reject rules: a valid assertion gets a token"}
		}
		if d.Kind == engine.MCPServer && target == "" && (c.Client.Target == "" || c.Client.Target == d.Name) {
			target = d.URLs["url"]
		}
		pc.Steps = append(pc.Steps, step)
	}
	for _, a := range c.Assertions {
		pc.Steps = append(pc.Steps, planStep{Step: fmt.Sprintf("mint assertion %q (%s)", a.Name, a.Alg), Detail: a.Claims.Preview()})
	}
	d := map[string]string{}
	if p, ok := c.Client.Context.(engine.Previewer); ok {
		d = p.Preview()
	}
	d["name"] = fmt.Sprintf("%q", c.Scenario)
	pc.Steps = append(pc.Steps, planStep{
		Step:   "launch the client: <client command> " + target + " with MCP_CONFORMANCE_CONTEXT, at protocol version " + c.EffectiveProtocolVersion(),
		Detail: d,
	})
	pc.Steps = append(pc.Steps, planStep{Step: "observe until the client exits", Detail: map[string]string{
		"timeout":   timeout.String(),
		"fail_fast": failFast.String() + " after the first error response",
	}})
	var items []string
	for _, ch := range c.Checks {
		items = append(items, fmt.Sprintf("%-7s %s: %s", ch.Level, ch.ID, ch.Name))
	}
	pc.Steps = append(pc.Steps, planStep{Step: fmt.Sprintf("evaluate %d checks", len(c.Checks)), Items: items})
	return pc
}

// originOf is the scheme, host and port of a server's URLs.
func originOf(urls map[string]string) string {
	u := urls["url"]
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// kindLabels name the server kinds in plan text.
var kindLabels = map[engine.ServerKind]string{
	engine.AuthorizationServer: "authorization server",
	engine.MCPServer:           "MCP server",
}

func oneLineExpr(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
