package scenarios_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

func TestMain(m *testing.M) {
	testclient.MaybeRun()
	code := m.Run()
	testclient.Cleanup()
	os.Exit(code)
}

func run(t *testing.T, file, bug string) map[string]engine.Status {
	t.Helper()
	l, diags := dsl.Load(dsl.Source{Paths: []string{file}}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := l.Plan
	res, err := engine.Run(context.Background(), plan, engine.Options{
		Command: testclient.Command(bug), Parallel: 2, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]engine.Status{}
	for _, c := range res.Cases {
		if c.Error != "" {
			t.Fatalf("%s: %s", c.Case, c.Error)
		}
		for _, ch := range c.Checks {
			out[ch.ID] = ch.Status
		}
	}
	return out
}

// Each example check is proven both ways.
func TestExampleChecksBothWays(t *testing.T) {
	for _, tc := range []struct {
		file, bug, check string
		broken           engine.Status
	}{
		{"challenge-scope.hcl", "ignore-scope", "wif-challenge-scope-requested", engine.StatusWarning},
		{"protocol-version.hcl", "no-protocol-version", "mcp-protocol-version-header", engine.StatusFailure},
	} {
		t.Run(tc.file, func(t *testing.T) {
			good := run(t, tc.file, "")
			for id, st := range good {
				if st != engine.StatusSuccess {
					t.Errorf("conformant client: %s is %s", id, st)
				}
			}
			if _, ok := good[tc.check]; !ok {
				t.Fatalf("check %s not in %s", tc.check, tc.file)
			}
			bad := run(t, tc.file, tc.bug)
			var tripped []string
			for id, st := range bad {
				if st != engine.StatusSuccess {
					tripped = append(tripped, id+"="+string(st))
				}
			}
			sort.Strings(tripped)
			if want := tc.check + "=" + string(tc.broken); strings.Join(tripped, ",") != want {
				t.Errorf("-bug %s tripped %v, want [%s]", tc.bug, tripped, want)
			}
		})
	}
}
