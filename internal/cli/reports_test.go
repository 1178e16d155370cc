package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl"
)

// What a workload assertion and an issued access token look like: a JWS
// in compact form, and the stub authorization server's token format.
var (
	jwtRE   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
	tokenRE = regexp.MustCompile(`wif-at-[A-Za-z0-9-]*[0-9a-f]{32}`)
)

// secretsIn returns the secrets found in text.
func secretsIn(text string) []string {
	return append(jwtRE.FindAllString(text, -1), tokenRE.FindAllString(text, -1)...)
}

// allOutput is everything a run wrote: stdout, stderr and every file
// under dir, keyed by where it came from.
func allOutput(t *testing.T, stdout, stderr, dir string) map[string]string {
	t.Helper()
	out := map[string]string{"stdout": stdout, "stderr": stderr}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoSecretInAnyOutput runs a client that prints its assertion and its
// access token, with every report at once, and finds neither in anything
// wifdsl wrote, unless --show-secrets.
func TestNoSecretInAnyOutput(t *testing.T) {
	for _, format := range []string{"text", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			code, stdout, stderr := runCLI(t, "run", "--client", referenceClient(t, "leak"),
				"--case", "happy-path", "--case", "expired-assertion", "-j", "2", "--format", format,
				"-o", filepath.Join(dir, "results"), "--junit", filepath.Join(dir, "junit.xml"))
			if code != ExitFailed {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			outputs := allOutput(t, stdout, stderr, dir)
			if len(outputs) != 2+1+2*3 {
				t.Fatalf("expected stdout, stderr, junit.xml and 3 files per case, got %d outputs", len(outputs))
			}
			for where, text := range outputs {
				if s := secretsIn(text); len(s) > 0 {
					t.Errorf("%s contains secrets %q", where, s)
				}
			}
			// The client did print them: redaction markers are there.
			if !strings.Contains(outputs["stdout"]+outputs[filepath.Join(dir, "junit.xml")], "[redacted") {
				t.Errorf("no redaction marker anywhere: did the leak variant print its secrets?")
			}
		})
	}

	// --show-secrets lets them through, which also proves the patterns
	// above find the real secrets.
	dir := t.TempDir()
	code, _, _ := runCLI(t, "run", "--client", referenceClient(t, "leak"), "--case", "happy-path",
		"--show-secrets", "-o", dir, "--junit", filepath.Join(dir, "junit.xml"))
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	var leaked, junit string
	for where, text := range allOutput(t, "", "", dir) {
		if strings.HasSuffix(where, "stdout.txt") {
			leaked = text
		}
		if strings.HasSuffix(where, "junit.xml") {
			junit = text
		}
	}
	if len(jwtRE.FindAllString(leaked, -1)) == 0 || len(tokenRE.FindAllString(leaked, -1)) == 0 {
		t.Errorf("with --show-secrets stdout.txt should hold the assertion and the token the client printed:\n%s", leaked)
	}
	if len(secretsIn(junit)) == 0 {
		t.Errorf("with --show-secrets the JUnit report should hold them too")
	}
}

func TestJUnitFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reports", "nested", "wifdsl.xml")
	code, _, stderr := runCLI(t, "run", "--client", referenceClient(t, "retry"),
		"--case", "happy-path", "--case", "expired-assertion", "-j", "2", "--junit", path)
	if code != ExitFailed {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the JUnit report was not written to a missing directory: %v", err)
	}
	var doc struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type    string `xml:"type,attr"`
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "auth/wif-jwt-bearer/happy-path" || doc.Suites[1].Name != "auth/wif-jwt-bearer/expired-assertion" {
		t.Fatalf("want a testsuite per case, got %+v", doc.Suites)
	}
	if len(doc.Suites[0].Cases) != 25 || doc.Suites[0].Failures != 0 {
		t.Errorf("happy-path: %d testcases, %d failures", len(doc.Suites[0].Cases), doc.Suites[0].Failures)
	}
	found := false
	for _, c := range doc.Suites[1].Cases {
		if c.Name == "wif-no-retry" {
			found = true
			if c.Failure == nil || c.Failure.Type != "WARNING" || c.Failure.Message != "expected exactly one token request, saw 4" ||
				!strings.Contains(c.Failure.Body, "client timeline:") || !strings.Contains(c.Failure.Body, "400 invalid_grant") {
				t.Errorf("wif-no-retry: %+v", c.Failure)
			}
		} else if c.Failure != nil {
			t.Errorf("%s failed: %+v", c.Name, c.Failure)
		}
	}
	if !found {
		t.Errorf("no testcase wif-no-retry")
	}

	// An unwritable path is the harness's failure: exit 2.
	code, _, stderr = runCLI(t, "run", "--client", referenceClient(t, ""), "--case", "happy-path",
		"--junit", filepath.Join(path, "under-a-file.xml"))
	if code != ExitUsage || !strings.Contains(stderr, "--junit") {
		t.Errorf("unwritable --junit: exit %d, stderr %q", code, stderr)
	}
}

func TestMarkdownFormat(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--client", referenceClient(t, "exit-zero"), "--case", "invalid-request", "--format", "markdown")
	if code != ExitFailed {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"## ❌ wifdsl: failed\n", "| ❌ | `auth/wif-jwt-bearer/invalid-request` | 11 | 0 | 1 |",
		"<code>wif-exit-nonzero</code>: the client exited with status 0 after the authorization server refused it</summary>"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := runCLI(t, "run", "--format", "yaml"); code != ExitUsage || !strings.Contains(stderr, "text or json or markdown") {
		t.Errorf("--format yaml: exit %d, %q", code, stderr)
	}
}

func TestJSONRunMetadata(t *testing.T) {
	client := referenceClient(t, "")
	code, stdout, stderr := runCLI(t, "run", "--client", client, "--case", "happy-path", "--format", "json", "--timeout", "9s")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var doc struct {
		Version  string `json:"version"`
		Client   string `json:"client"`
		Metadata struct {
			Tool struct {
				Name, Version, GoVersion string
			} `json:"tool"`
			Client struct {
				Command string `json:"command"`
				Bundled bool   `json:"bundledReferenceClient"`
			} `json:"client"`
			ScenarioFiles []struct {
				Path, SHA256 string
				Bytes        int
				Builtin      bool
			} `json:"scenarioFiles"`
			Started, Finished string
			DurationMS        int64          `json:"durationMs"`
			Settings          map[string]any `json:"settings"`
		} `json:"metadata"`
		Cases []struct {
			Started    string `json:"started"`
			DurationMS int64  `json:"durationMs"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Metadata
	if m.Tool.Name != "wifdsl" || m.Tool.Version != wifdsl.Version || doc.Version != wifdsl.Version || m.Tool.GoVersion == "" {
		t.Errorf("tool %+v", m.Tool)
	}
	if m.Client.Command != client || doc.Client != client || m.Client.Bundled {
		t.Errorf("client %+v", m.Client)
	}
	sum := sha256.Sum256(wifdsl.BuiltinSuite)
	if len(m.ScenarioFiles) != 1 || m.ScenarioFiles[0].Path != wifdsl.BuiltinSuiteName || !m.ScenarioFiles[0].Builtin ||
		m.ScenarioFiles[0].SHA256 != hex.EncodeToString(sum[:]) || m.ScenarioFiles[0].Bytes != len(wifdsl.BuiltinSuite) {
		t.Errorf("scenario files %+v", m.ScenarioFiles)
	}
	started, err1 := time.Parse(time.RFC3339Nano, m.Started)
	finished, err2 := time.Parse(time.RFC3339Nano, m.Finished)
	if err1 != nil || err2 != nil || finished.Before(started) || finished.Sub(started).Milliseconds() != m.DurationMS {
		t.Errorf("times %s → %s (%d ms): %v %v", m.Started, m.Finished, m.DurationMS, err1, err2)
	}
	if m.Settings["timeout"] != "9s" || m.Settings["case"] == nil {
		t.Errorf("settings %v", m.Settings)
	}
	if len(doc.Cases) != 1 || doc.Cases[0].Started == "" {
		t.Errorf("cases %+v", doc.Cases)
	}

	// Scenario files given on the command line are digested as read.
	src := wifdsl.BuiltinSuite
	path := writeFile(t, "suite.hcl", string(src))
	code, stdout, stderr = runCLI(t, "run", path, "--client", client, "--case", "happy-path", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	doc.Metadata.ScenarioFiles = nil
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if f := doc.Metadata.ScenarioFiles; len(f) != 1 || f[0].Builtin || !strings.HasSuffix(f[0].Path, "suite.hcl") || f[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("scenario files %+v", f)
	}
}
