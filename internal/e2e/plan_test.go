package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/authserver"
)

// TestPlanAgreesWithServer proves, for every rule of the built-in suite,
// that what `wifdsl plan` shows (engine.Describe) is what the running
// server answers when the rule matches.
func TestPlanAgreesWithServer(t *testing.T) {
	rules := 0
	for _, c := range builtinPlan(t).Cases() {
		for _, d := range engine.Describe(c) {
			if d.Kind != engine.AuthorizationServer {
				continue
			}
			for i, want := range d.Rules {
				if want.Endpoint != "" && want.Endpoint != record.EndpointToken {
					continue
				}
				rules++
				cfg := engine.AuthServerConfig(c.Server(d.Name))
				// Only rule i matches (reject rules first, then response
				// rules, as Describe lists them); the assertion is taken at
				// face value so that the reject rules are reached.
				cfg.SkipVerification = true
				for j := range cfg.Rules {
					matches := j == i
					cfg.Rules[j].Match = func(*record.TokenRequest, map[string]any) (bool, error) { return matches, nil }
				}
				for j := range cfg.ResponseRules.Rules {
					matches := len(cfg.Rules)+j == i
					cfg.ResponseRules.Rules[j].Match = func(*record.Incoming) (bool, error) { return matches, nil }
				}
				as, err := authserver.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				form := url.Values{"grant_type": {record.GrantJWTBearer}, "assertion": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}}
				resp, err := http.Post(as.TokenEndpoint(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				var body struct {
					Error string `json:"error"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				_ = as.Close()
				if resp.StatusCode != want.Status || body.Error != want.Error {
					t.Errorf("%s rule %q: plan shows %d %s, the server answers %d %s",
						c.ID(), want.Name, want.Status, want.Error, resp.StatusCode, body.Error)
				}
			}
		}
	}
	if rules == 0 {
		t.Fatal("the built-in suite has no rules to compare")
	}
}
