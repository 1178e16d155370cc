package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/stubs/authserver"
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
	var vars, scenarios, cases []string
	cmd := &cobra.Command{
		Use:   "plan [FILE|DIR ...]",
		Short: "Show the runtime steps each case will execute",
		Long: `Plan compiles the scenario files and prints, for every case and in order,
the steps the engine will run: which servers start with which reject rules,
which JWTs are minted with which claims, what the client receives in
MCP_CONFORMANCE_CONTEXT, and which checks are judged. Server URLs are shown
with placeholder ports (AS_PORT, MCP_PORT); nothing is started.`,
		Example: "  wifdsl plan\n  wifdsl plan --case rejected-scope\n  wifdsl plan scenarios.hcl --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCommand(format, args, vars, stderr)
			if err != nil {
				return err
			}
			plan := c.plan
			if len(scenarios)+len(cases) > 0 {
				if plan, err = filterPlan(plan, scenarios, cases); err != nil {
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
					for _, k := range sortedKeys(pc.Steps[i].Detail) {
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
	cmd.Flags().StringSliceVar(&scenarios, "scenario", nil, "only scenarios with these names (glob patterns allowed)")
	cmd.Flags().StringSliceVar(&cases, "case", nil, "only cases with these names (glob patterns allowed)")
	varFlag(cmd, &vars)
	return cmd
}

func describeCase(c *engine.Case) planCase {
	pc := planCase{Scenario: c.Scenario, Case: c.Name}
	timeout, failFast := c.Timeout, c.FailFast
	if timeout == 0 {
		timeout = engine.DefaultTimeout
	}
	if failFast == 0 {
		failFast = engine.DefaultFailFast
	}
	for _, s := range c.Steps {
		switch st := s.(type) {
		case *engine.StartAuthServer:
			grants := st.GrantTypesSupported
			if len(grants) == 0 {
				grants = []string{authserver.GrantJWTBearer}
			}
			d := map[string]string{
				"grant_types_supported": strings.Join(grants, ", "),
				"registration":          fmt.Sprint(st.Registration),
				"verify_assertion":      fmt.Sprint(!st.SkipVerification),
				"leeway":                orDefault(st.Leeway, authserver.DefaultLeeway),
				"token_ttl":             orDefault(st.TokenTTL, authserver.DefaultTokenTTL),
			}
			if len(st.ScopesSupported) > 0 {
				d["scopes_supported"] = strings.Join(st.ScopesSupported, ", ")
			}
			var rules []string
			for _, r := range st.Rules {
				status := r.Status
				if status == 0 {
					status = 400
				}
				rules = append(rules, fmt.Sprintf("reject %q when %s → %d %s", r.Name, oneLineExpr(r.When.String()), status, r.Error))
			}
			if len(rules) == 0 {
				rules = []string{"no reject rules: a valid assertion gets a token"}
			}
			pc.Steps = append(pc.Steps, planStep{Step: "start the stub authorization server on 127.0.0.1:AS_PORT", Detail: d, Items: rules})
		case *engine.StartMCPServer:
			path := st.Path
			if path == "" {
				path = "/mcp"
			}
			d := map[string]string{"endpoint": "http://127.0.0.1:MCP_PORT" + path}
			if len(st.ScopesSupported) > 0 {
				d["scopes_supported"] = strings.Join(st.ScopesSupported, ", ")
			}
			if st.ChallengeScope != "" {
				d["challenge_scope"] = st.ChallengeScope
			}
			pc.Steps = append(pc.Steps, planStep{Step: "start the stub MCP server on 127.0.0.1:MCP_PORT", Detail: d})
		case *engine.MintAssertion:
			pc.Steps = append(pc.Steps, planStep{Step: fmt.Sprintf("mint assertion %q (%s)", st.Name, st.Alg), Detail: st.Claims.Preview()})
		case *engine.MarkSeen:
			pc.Steps = append(pc.Steps, planStep{Step: "mark jti values as already used", Items: []string{oneLineExpr(st.JTIs.String())}})
		case *engine.LaunchClient:
			d := map[string]string{}
			if p, ok := st.Context.(interface{ Preview() map[string]string }); ok {
				d = p.Preview()
			}
			d["name"] = fmt.Sprintf("%q", c.Scenario)
			pc.Steps = append(pc.Steps, planStep{
				Step:   "launch the client: <client command> http://127.0.0.1:MCP_PORT/mcp with MCP_CONFORMANCE_CONTEXT",
				Detail: d,
			})
		case *engine.Observe:
			pc.Steps = append(pc.Steps, planStep{Step: "observe until the client exits", Detail: map[string]string{
				"timeout":   timeout.String(),
				"fail_fast": failFast.String() + " after the first error response",
			}})
		case *engine.Evaluate:
			var items []string
			for _, ch := range st.Checks {
				items = append(items, fmt.Sprintf("%-7s %s: %s", ch.Level, ch.ID, ch.Name))
			}
			pc.Steps = append(pc.Steps, planStep{Step: fmt.Sprintf("evaluate %d checks", len(st.Checks)), Items: items})
		}
	}
	return pc
}

func orDefault(d, def time.Duration) string {
	if d == 0 {
		return def.String() + " (default)"
	}
	return d.String()
}

func oneLineExpr(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
