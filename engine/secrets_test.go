package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/report"
)

// jwtOf is a shell snippet that puts the workload assertion in $jwt.
const jwtOf = `jwt=$(printf %s "$MCP_CONFORMANCE_CONTEXT" | sed 's/.*"valid_jwt":"\([^"]*\)".*/\1/'); `

// disguised are clients that print the workload assertion in forms other
// than its exact bytes.
var disguised = map[string]string{
	"split-by-newlines":    `printf %s "$jwt" | fold -w 40`,
	"stdout-and-stderr":    `printf %s "$jwt" | cut -c1-200; printf %s "$jwt" | cut -c201- >&2`,
	"ansi-and-zero-width":  `printf %s "$jwt" | sed "s/\(.\{7\}\)/\1$(printf '\033[1m\342\200\213\033]0;t\007')/g"`,
	"base64":               `printf %s "$jwt" | base64`,
	"base64-url-unaligned": `printf 'jwt:%s' "$jwt" | base64 -w0 | tr '+/' '-_'; echo`,
	"crlf-and-tabs":        `printf %s "$jwt" | fold -w 33 | sed 's/$/\r/; s/^/\t/'`,
}

// TestDisguisedLeaks: a secret printed split by newlines, spread over
// stdout and stderr, interleaved with escape sequences and zero-width
// characters, or base64-encoded fails wif-no-secret-leak, and the reports
// (text, JSON, JUnit, results files) show none of it.
func TestDisguisedLeaks(t *testing.T) {
	for name, print := range disguised {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cr := engine.RunCase(context.Background(), suiteCase(t, "happy-path"), engine.Options{
				Command: "sh -c '" + strings.ReplaceAll(jwtOf+print+"; exit 1", "'", `'"'"'`) + "'",
				Timeout: 20 * time.Second,
			})
			token := cr.Observations.Env.Assertions["workload"].Token
			c := cr.Observations.Client
			if strings.Contains(c.Stdout, token) && !strings.Contains(c.Stdout, "[wifdsl:") {
				t.Fatalf("the client printed the assertion as it is: %q", c.Stdout)
			}
			if got := statuses(cr)["wif-no-secret-leak"]; got == engine.StatusSuccess {
				t.Errorf("wif-no-secret-leak passed; stdout %q stderr %q", c.Stdout, c.Stderr)
			}
			red := report.NewRedactor(cr)
			var out bytes.Buffer
			out.WriteString(red.Redact(c.Stdout) + "\n" + red.Redact(c.Stderr) + "\n")
			if err := report.JUnit(&out, &engine.Result{Cases: []*engine.CaseResult{cr}}, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := report.JSON(&out, &engine.Result{Cases: []*engine.CaseResult{cr}}, report.Options{}); err != nil {
				t.Fatal(err)
			}
			requireNoTrace(t, out.String(), token)
		})
	}
}

// requireNoTrace fails when text still holds 24 bytes of the secret in a
// row once whitespace, escape sequences and invisible characters are
// taken out, or its base64 encoding.
func requireNoTrace(t *testing.T, text, secret string) {
	t.Helper()
	strip := regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]|\x1b\\][^\x07]*\x07|[\\s\u200b]|\\\\x1b|\\\\u200b|\\\\r|\\\\n|\\\\t|&#x[0-9A-Fa-f]+;|\\[[0-9;]*m|\\]0;t")
	flat := strip.ReplaceAllString(text, "")
	forms := []string{secret}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, prefix := range []string{"", "j", "jw", "jwt:"} {
			e := enc.EncodeToString([]byte(prefix + secret))
			forms = append(forms, e[8:len(e)-8])
		}
	}
	for _, f := range forms {
		for i := 0; i+24 <= len(f); i += 8 {
			if strings.Contains(flat, f[i:i+24]) {
				t.Errorf("the reports still hold %q (of %q…)", f[i:i+24], f[:20])
				return
			}
		}
	}
}

// TestFindSecretsForms checks the finder on texts directly.
func TestFindSecretsForms(t *testing.T) {
	secret := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCIsImF1ZCI6Imh0dHA6Ly8xMjcuMC4wLjEifQ.c2lnbmF0dXJlLXNlY3JldC1ieXRlcy1oZXJl"
	other := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.b3RoZXItc2lnbmF0dXJlLWJ5dGVz"
	for name, text := range map[string]string{
		"exact":      "x " + secret + " y",
		"newlines":   "x " + secret[:30] + "\n" + secret[30:70] + "\r\n" + secret[70:] + " y",
		"ansi":       "x " + secret[:10] + "\x1b[2K\x1b[1A" + secret[10:50] + "\x1b]52;c;Zm9v\x07" + secret[50:] + " y",
		"zero-width": "x " + strings.Join(strings.Split(secret, ""), "\u200b") + " y",
		"base64":     "x " + base64.StdEncoding.EncodeToString([]byte("ab"+secret+"cd")) + " y",
		"both":       other + " and " + secret,
	} {
		spans := engine.NewSecretFinder([]string{other, secret}).Find(text)
		whole := false
		for _, sp := range spans {
			if sp.Secret == 1 && sp.Whole {
				whole = true
			}
		}
		if !whole {
			t.Errorf("%s: spans %+v", name, spans)
		}
	}
}

// Windows that hash alike (a secret that repeats itself, two secrets that
// share a prefix) are all kept: each secret is still found whole.
func TestFindSecretsSharedWindows(t *testing.T) {
	repeated := strings.Repeat("0123456789abcdef", 4)
	prefixed := repeated[:32] + "-and-then-something-else"
	f := engine.NewSecretFinder([]string{repeated, prefixed})
	for i, text := range []string{"x " + repeated + " y", "x " + prefixed + " y"} {
		spans := f.Find(text)
		if len(spans) != 1 || spans[0].Secret != i || !spans[0].Whole {
			t.Errorf("secret %d: spans %+v", i, spans)
		}
	}
}
