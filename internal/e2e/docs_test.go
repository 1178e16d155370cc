package e2e_test

import (
	"os"
	"strings"
	"testing"
)

// The check catalogue and the README name every check of the built-in suite.
func TestCatalogueNamesEveryCheck(t *testing.T) {
	for _, doc := range []string{"../../docs/checks.md", "../../README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range builtinPlan(t).Cases() {
			if !strings.Contains(string(b), "`"+c.Name+"`") {
				t.Errorf("%s does not name the case %s", doc, c.Name)
			}
			for _, ch := range c.Checks {
				if !strings.Contains(string(b), "`"+ch.ID+"`") {
					t.Errorf("%s does not name the check %s", doc, ch.ID)
				}
			}
		}
	}
}
