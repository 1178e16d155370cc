package e2e_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/wifdsl/wifdsl"

// golist runs go list with a template over the non-test part of pkg.
func golist(t *testing.T, pkg string, deps bool, template string) []string {
	t.Helper()
	args := []string{"list", "-f", template}
	if deps {
		args = append(args, "-deps")
	}
	out, err := exec.Command("go", append(args, module+"/"+pkg)...).Output()
	if err != nil {
		t.Fatalf("go %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestLayering keeps the package boundaries in place (see the README's
// architecture section). Transitively (go list -deps): the engine knows
// no language, no HCL and no reporter; record and jwt are leaves; the
// servers know neither engine nor language; report knows no language.
// Directly: neither the language nor report imports a server package (they
// reach the servers' reports only through the engine).
func TestLayering(t *testing.T) {
	transitive := map[string][]string{
		"engine":           {module + "/dsl", module + "/report", "github.com/hashicorp/hcl"},
		"record":           {module + "/"},
		"jwt":              {module + "/"},
		"report":           {module + "/dsl"},
		"stubs/authserver": {module + "/engine", module + "/dsl", module + "/report"},
		"stubs/mcpserver":  {module + "/engine", module + "/dsl", module + "/report"},
	}
	direct := map[string][]string{
		"dsl":    {module + "/stubs/"},
		"report": {module + "/stubs/"},
	}
	for _, c := range []struct {
		deps  bool
		rules map[string][]string
	}{{true, transitive}, {false, direct}} {
		template := `{{join .Imports "\n"}}`
		if c.deps {
			template = "{{.ImportPath}}"
		}
		for pkg, bad := range c.rules {
			for _, d := range golist(t, pkg, c.deps, template) {
				for _, b := range bad {
					if d != module+"/"+pkg && strings.HasPrefix(d, b) {
						t.Errorf("%s depends on %s", pkg, d)
					}
				}
			}
		}
	}
}

// TestPlanTypesKnowNoServer keeps the plan a plain description: the file
// that declares the plan's types imports no server package.
func TestPlanTypesKnowNoServer(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../engine/plan.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if strings.HasPrefix(path, module+"/stubs/") {
			t.Errorf("engine/plan.go imports %s", path)
		}
	}
}
