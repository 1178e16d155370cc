package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/engine"
)

// hostileText holds what a client or a scenario author could use to
// rewrite a terminal: cursor up and erase line, a carriage return, OSC 52
// (set the clipboard) ended by BEL, a one-byte CSI (U+009B), a
// right-to-left override, a backspace and an invalid byte.
const hostileText = "\x1b[1A\x1b[2K\rPASS  everything\x1b]52;c;cm0gLXJmIH4=\x07 \u009b2J \u202eSSAP\b\b \xff"

func TestNeutralize(t *testing.T) {
	got := Neutralize(hostileText + "\n\tkept\n")
	for _, bad := range []string{"\x1b", "\r", "\x07", "\b", "\u009b", "\u202e", "\xff"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q survives in %q", bad, got)
		}
	}
	for _, want := range []string{`\x1b[1A`, `\x0d`, `\x07`, `\u009b`, `\u202e`, `\xff`, "\n\tkept\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if s := "plain text, ünïcödé, 日本語\n"; Neutralize(s) != s {
		t.Errorf("printable text changed: %q", Neutralize(s))
	}
}

// TestTextAndMarkdownNeutralizeHostileOutput: a client's stderr and a
// scenario's names reach the text and Markdown reports only neutralized.
func TestTextAndMarkdownNeutralizeHostileOutput(t *testing.T) {
	res := fixture()
	c := res.Cases[0]
	c.Scenario = "auth/\x1b[32mgreen"
	c.Case = "happy\rPASS"
	c.Checks[1].ID = "wif-\x1b[2Kdiscovery"
	c.Checks[1].ErrorMessage = hostileText
	c.Observations.Client.Stderr = "line one\n" + hostileText + "\n"
	res.Interrupted = false
	for name, render := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return Text(b, res, Options{}) },
		"markdown": func(b *bytes.Buffer) error { return Markdown(b, res, Options{}) },
		"baseline": func(b *bytes.Buffer) error {
			bl := fixtureBaseline()
			bl.Unexpected = append(bl.Unexpected, "auth/\x1b[2Kx")
			WriteBaseline(b, bl)
			return nil
		},
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"\x1b", "\r", "\x07", "\b", "\u009b", "\u202e", "\xff"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: %q reaches the report", name, bad)
			}
		}
		if name != "baseline" && !strings.Contains(out, `\x1b`) {
			t.Errorf("%s: the escapes are not shown:\n%s", name, out)
		}
	}
	// JUnit: no control character reaches the XML either.
	var b bytes.Buffer
	if err := JUnit(&b, res, Options{}); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\x07\b") || bytes.Contains(b.Bytes(), []byte("\u009b")) {
		t.Errorf("JUnit holds control characters")
	}
	_ = engine.StatusFailure
}
