package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/engine"
)

func markdown(t *testing.T, res *engine.Result, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, res, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestMarkdownSummary(t *testing.T) {
	out := markdown(t, fixture(), Options{Version: "1.2.3", Client: "node client.mjs"})
	for _, want := range []string{
		"## 💥 wifdsl: harness error\n",
		"**2 passed, 2 failed, 1 warnings**, 1 info, 1 skipped, 1 case errors in 3 cases (1.3s)",
		"Client: `node client.mjs` · wifdsl 1.2.3",
		"| | case | passed | failed | warnings | time |\n|---|---|---:|---:|---:|---:|\n",
		"| ❌ | `auth/wif-jwt-bearer/happy-path` | 1 | 1 | 0 | 250ms |\n",
		"| ❌ | `auth/wif-jwt-bearer/expired-assertion` | 1 | 0 | 1 | 1.02s |\n",
		"| 💥 | `auth/wif-jwt-bearer/replayed-jti` | 0 | 1 | 0 | 5ms |\n",
		"### Checks that did not pass",
		// HTML in a message is escaped in the summary line.
		"<details><summary>❌ FAILURE auth/wif-jwt-bearer/happy-path <code>wif-discovery</code>: no metadata fetched before the token request | `tick` &lt;b&gt;</summary>",
		"<details><summary>⚠️ WARNING auth/wif-jwt-bearer/expired-assertion <code>wif-no-retry</code>: expected exactly one token request, saw 2</summary>",
		"<details><summary>💥 FAILURE auth/wif-jwt-bearer/replayed-jti <code>wif-no-retry</code>: case could not run: start-auth-server: listen: address in use</summary>",
		"```text\nexpected: What wif-discovery requires. (MUST, https://example.test/wif-discovery)\n",
		"client timeline:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") || strings.Count(out, "<details>") != 5 {
		t.Errorf("want 5 balanced details blocks (every check that did not pass):\n%s", out)
	}
	for _, s := range []string{fixtureJWT, fixtureToken} {
		if strings.Contains(out, s) {
			t.Errorf("the summary contains the secret %s", s)
		}
	}
	if !strings.Contains(markdown(t, fixture(), Options{ShowSecrets: true}), fixtureJWT) {
		t.Errorf("with ShowSecrets the value holding the assertion should show it")
	}
}

func TestMarkdownPassing(t *testing.T) {
	res := fixture()
	res.Cases = res.Cases[:1]
	res.Cases[0].Checks = res.Cases[0].Checks[:1]
	out := markdown(t, res, Options{})
	if !strings.HasPrefix(out, "## ✅ wifdsl: passed\n") || strings.Contains(out, "<details>") {
		t.Errorf("a passing run:\n%s", out)
	}
}

func TestMarkdownBaseline(t *testing.T) {
	res := fixture()
	res.Cases = res.Cases[:2] // no harness error
	b := fixtureBaseline()
	b.Unexpected = b.Unexpected[:1]
	out := markdown(t, res, Options{Baseline: b})
	for _, want := range []string{
		"## ❌ wifdsl: failed\n",
		"| ☑️ | `auth/wif-jwt-bearer/expired-assertion` |",
		"<code>wif-no-retry</code>: expected exactly one token request, saw 2 · expected failure (<code>auth/wif-jwt-bearer/expired-assertion:wif-no-retry</code>)</summary>",
		"### Baseline `baseline.yml`",
		"❌ **Unexpected failures** (not in the baseline):\n\n- `auth/wif-jwt-bearer/happy-path:wif-discovery`\n",
		"❌ **Stale entries** (every check they name passes now; remove them):\n\n- `auth/wif-jwt-bearer:wif-grant-type`\n",
		"☑️ Expected failures (in the baseline):\n\n- `auth/wif-jwt-bearer/expired-assertion:wif-no-retry`\n",
		"Entries that match no check of this run (ignored):\n\n- `auth/other`\n",
		"Baseline check failed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	b.Unexpected, b.Stale = nil, nil
	res.Cases[0].Checks[1].Status = engine.StatusSuccess
	out = markdown(t, res, Options{Baseline: b})
	if !strings.HasPrefix(out, "## ✅ wifdsl: passed with expected failures\n") || !strings.Contains(out, "Baseline check passed: all failures are expected.") {
		t.Errorf("a run whose failures are all expected:\n%s", out)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	if got := mdCode("a|b `c`"); got != "`` a\\|b `c` ``" {
		t.Errorf("mdCode = %q", got)
	}
	if got := mdFence("x\n```\ny"); !strings.HasPrefix(got, "````text\n") || !strings.HasSuffix(got, "\n````") {
		t.Errorf("mdFence = %q", got)
	}
	if got := mdText("*a* <b> [c](d) | _e_"); got != `\*a\* &lt;b&gt; \[c\](d) \| \_e\_` {
		t.Errorf("mdText = %q", got)
	}
}

func TestJSONMetadataAndBaseline(t *testing.T) {
	meta := &Metadata{
		Tool:          ToolInfo{Name: "wifdsl", Version: "1.2.3"},
		Client:        ClientInfo{Command: "node client.mjs"},
		ScenarioFiles: []ScenarioFile{{Path: "scenarios.hcl", SHA256: "ab", Bytes: 2, Builtin: true}},
		Started:       "2026-11-26T11:16:01.1Z", Finished: "2026-11-26T11:16:02.4Z", DurationMS: 1300,
	}
	var buf bytes.Buffer
	if err := JSON(&buf, fixture(), Options{Version: "1.2.3", Client: "node client.mjs", Metadata: meta, Baseline: fixtureBaseline()}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "client", "started", "durationMs", "summary", "checks", "cases", "metadata", "baseline"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON output lacks %q", k)
		}
	}
	m := doc["metadata"].(map[string]any)
	if m["tool"].(map[string]any)["version"] != "1.2.3" || m["client"].(map[string]any)["command"] != "node client.mjs" ||
		m["scenarioFiles"].([]any)[0].(map[string]any)["sha256"] != "ab" || m["durationMs"].(float64) != 1300 {
		t.Errorf("metadata %v", m)
	}
	b := doc["baseline"].(map[string]any)
	if b["passed"] != false || len(b["staleEntries"].([]any)) != 1 || len(b["unexpectedFailures"].([]any)) != 2 {
		t.Errorf("baseline %v", b)
	}
	marked := 0
	for _, c := range doc["checks"].([]any) {
		if e, ok := c.(map[string]any)["expectedFailure"]; ok {
			marked++
			if e != "auth/wif-jwt-bearer/expired-assertion:wif-no-retry" {
				t.Errorf("expectedFailure %v", e)
			}
		}
	}
	if marked != 1 {
		t.Errorf("%d checks marked as expected failures, want 1", marked)
	}
	if strings.Contains(buf.String(), fixtureJWT) {
		t.Errorf("JSON output contains the assertion")
	}
	if cs := doc["cases"].([]any)[0].(map[string]any); cs["started"] != "2026-11-26T11:16:01.1Z" {
		t.Errorf("case start %v", cs["started"])
	}
}

func TestTextMarksExpectedFailures(t *testing.T) {
	res := fixture()
	var buf bytes.Buffer
	if err := Text(&buf, res, Options{Baseline: fixtureBaseline()}); err != nil {
		t.Fatal(err)
	}
	WriteBaseline(&buf, fixtureBaseline())
	out := buf.String()
	for _, want := range []string{
		"FAIL  auth/wif-jwt-bearer/happy-path (250ms)\n",
		"XFAIL auth/wif-jwt-bearer/expired-assertion (1.02s)\n",
		"WARNING  wif-no-retry        Name of wif-no-retry  [expected failure: auth/wif-jwt-bearer/expired-assertion:wif-no-retry]\n",
		"ERROR auth/wif-jwt-bearer/replayed-jti (5ms)\n",
		"baseline baseline.yml:\nexpected failures (in baseline):\n  ~ auth/wif-jwt-bearer/expired-assertion:wif-no-retry\n",
		"stale baseline entries (now passing: remove them from the baseline):\n  ✓ auth/wif-jwt-bearer:wif-grant-type\n",
		"unexpected failures (not in baseline):\n  ✗ auth/wif-jwt-bearer/happy-path:wif-discovery\n",
		"baseline is stale: remove the passing entries from baseline.yml\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, fixtureJWT) || strings.Contains(out, fixtureToken) {
		t.Errorf("text output contains a secret")
	}
}
