package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

// With Options.TLS (wifdsl run --tls) every case of the built-in suite
// runs over HTTPS, and the conformant client still passes every check:
// it trusts the run's CA from the environment.
func TestBuiltinSuiteInTLSMode(t *testing.T) {
	res, err := engine.Run(context.Background(), builtinPlan(t), engine.Options{
		Command: testclient.Command(""), Parallel: 8, Timeout: 8 * time.Second, FailFast: 3 * time.Second, TLS: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if !c.Observations.TLS.Enabled {
			t.Errorf("%s did not run in TLS mode", c.Case)
		}
		for _, r := range c.Observations.Requests {
			if r.Scheme != "https" && c.Case != "tls-downgrade" {
				t.Errorf("%s: %s %s over %s", c.Case, r.Method, r.Path, r.Scheme)
			}
		}
		for _, ch := range c.Checks {
			if ch.Status != engine.StatusSuccess {
				t.Errorf("%s/%s: %s %s", c.Case, ch.ID, ch.Status, ch.ErrorMessage)
			}
		}
		if !strings.HasPrefix(c.Observations.Client.Args[0], "https://") {
			t.Errorf("%s: client started with %v", c.Case, c.Observations.Client.Args)
		}
	}
}
