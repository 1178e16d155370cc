package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/engine"
)

// JUnit output follows the JUnit XML dialect that Jenkins, GitLab and the
// GitHub test-report actions read (the Jenkins junit-4 schema, also known
// as jenkins-junit.xsd):
//
//	<testsuites name="wifdsl" tests failures errors time>
//	  <testsuite name="<scenario>/<case>" package="<scenario>" id tests failures errors skipped time timestamp>
//	    <properties> scenario, case, description, client, wifdsl version </properties>
//	    <testcase name="<check id>" classname="<scenario>/<case>" time="0">
//	      <skipped>…</skipped> | <error type message>…</error> | <failure type message>…</failure>
//	      <system-out>…</system-out>
//	    </testcase>
//	    <system-out>client stdout</system-out>
//	    <system-err>client stderr</system-err>
//	  </testsuite>
//	</testsuites>
//
// One testsuite per scenario case, one testcase per check. FAILURE and
// WARNING are <failure> (type = the status), with the error message in
// message and, in the body, what was expected, the condition and its
// values, and the client's timeline. A case the harness could not run
// gives <error type="harness-error"> on each of its checks. SKIPPED is
// <skipped>; INFO passes, its note in <system-out>. Checks are evaluated
// together when the client has exited, so a testcase's time is 0 and the
// case's duration is the testsuite's time.
//
// With a baseline, a failure the baseline expects is <skipped> with the
// entry that expects it (as pytest reports an expected failure), so the
// report agrees with the exit status; a last testsuite, "expected
// failures", has a testcase per baseline entry that fails when the entry
// is stale.

// junitOutputCap bounds the client output kept in each testsuite's
// system-out and system-err: the last bytes are kept.
const junitOutputCap = 64 << 10

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	ID         string           `xml:"id,attr"`
	Package    string           `xml:"package,attr,omitempty"`
	Properties *junitProperties `xml:"properties"`
	Cases      []junitCase      `xml:"testcase"`
	SystemOut  *junitText       `xml:"system-out"`
	SystemErr  *junitText       `xml:"system-err"`
}

// junitText is element text written with line breaks and quotes as they
// are, so the report stays readable as a file; see xmlText.
type junitText struct {
	Inner string `xml:",innerxml"`
}

func text(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Inner: xmlText(s)}
}

// xmlText escapes s as XML character data: &, < and > are escaped, and
// what XML 1.0 cannot carry (control characters such as the ESC of a
// terminal colour code, invalid UTF-8) becomes U+FFFD.
func xmlText(s string) string {
	s = Neutralize(s)
	var b strings.Builder
	b.Grow(len(s))
	// An invalid byte ranges as utf8.RuneError, U+FFFD, so it is written
	// as that.
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF:
			b.WriteRune(r)
		default:
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

type junitProperties struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitText    `xml:"skipped"`
	Errors    []junitResult `xml:"error"`
	Failures  []junitResult `xml:"failure"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitResult struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Body    string `xml:",innerxml"`
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

// JUnit writes the result as a JUnit XML document.
func JUnit(w io.Writer, res *engine.Result, opts Options) error {
	doc := junitSuites{Name: "wifdsl", Time: seconds(res.Duration)}
	for i, c := range res.Cases {
		s := junitCaseSuite(c, opts)
		s.ID = fmt.Sprint(i)
		doc.Suites = append(doc.Suites, s)
	}
	if b := opts.Baseline; b != nil {
		s := junitBaselineSuite(b)
		s.ID = fmt.Sprint(len(doc.Suites))
		doc.Suites = append(doc.Suites, s)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCaseSuite(c *engine.CaseResult, opts Options) junitSuite {
	red := redactor(c, opts)
	// Attributes are neutralized like text: encoding/xml lets C1 controls
	// and bidirectional overrides through.
	id := Neutralize(c.Scenario + "/" + c.Case)
	s := junitSuite{
		Name:      id,
		Package:   Neutralize(c.Scenario),
		Time:      seconds(c.Duration),
		Timestamp: c.Started.UTC().Format("2006-01-02T15:04:05Z"),
	}
	props := []junitProperty{{"scenario", c.Scenario}, {"case", c.Case}, {"status", caseVerdict(c, opts.Baseline)}}
	if c.Description != "" {
		props = append(props, junitProperty{"description", c.Description})
	}
	if opts.Client != "" {
		props = append(props, junitProperty{"client", opts.Client})
	}
	if opts.Version != "" {
		props = append(props, junitProperty{"wifdsl.version", opts.Version})
	}
	for i := range props {
		props[i].Value = Neutralize(props[i].Value)
	}
	s.Properties = &junitProperties{Props: props}

	timeline := strings.Join(caseTimeline(c, red), "\n")
	for _, ch := range c.Checks {
		tc := junitCase{Name: Neutralize(ch.ID), Classname: id, Time: "0.000"}
		head := fmt.Sprintf("%s %s: %s", ch.Status, ch.ID, ch.Name)
		detail := strings.Join(append([]string{head}, checkDetail(ch, red)...), "\n")
		msg := Neutralize(shorten(red.Redact(ch.ErrorMessage), 1000))
		switch {
		case c.Error != "":
			tc.Errors = []junitResult{{
				Type: "harness-error", Message: Neutralize(shorten(red.Redact("case could not run: "+c.Error), 1000)),
				Body: xmlText(detail + "\n" + timeline),
			}}
			s.Errors++
		case ch.Failed():
			if entry, ok := opts.Baseline.expects(c, ch); ok {
				note := fmt.Sprintf("expected failure (baseline entry %s): %s %s", entry, ch.Status, msg)
				tc.Skipped = text(note)
				tc.SystemOut = text(detail + "\n" + timeline)
				s.Skipped++
				break
			}
			tc.Failures = []junitResult{{Type: string(ch.Status), Message: msg, Body: xmlText(detail + "\n" + timeline)}}
			s.Failures++
		case ch.Status == engine.StatusSkipped:
			note := msg
			if note == "" {
				note = "skipped"
			}
			tc.Skipped = text(note)
			s.Skipped++
		case ch.Status == engine.StatusInfo:
			tc.SystemOut = text(detail)
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	if o := c.Observations; o != nil {
		s.SystemOut = text(tailBytes(red.Redact(o.Client.Stdout), junitOutputCap))
		s.SystemErr = text(tailBytes(red.Redact(o.Client.Stderr), junitOutputCap))
	}
	return s
}

func junitBaselineSuite(b *Baseline) junitSuite {
	s := junitSuite{Name: "expected failures", Package: "wifdsl", Time: "0.000"}
	s.Properties = &junitProperties{Props: []junitProperty{{"file", b.File}}}
	stale := toSet(b.Stale)
	unmatched := toSet(b.Unmatched)
	covers := map[string][]string{}
	if b.Expects != nil {
		for _, key := range b.Expected {
			if sc, cs, id, ok := splitCheckKey(key); ok {
				if e, ok := b.Expects(sc, cs, id); ok {
					covers[e] = append(covers[e], key)
				}
			}
		}
	}
	for _, e := range b.Entries {
		tc := junitCase{Name: e, Classname: "expected-failures", Time: "0.000"}
		switch {
		case stale[e]:
			tc.Failures = []junitResult{{
				Type:    "stale",
				Message: "stale baseline entry: every check it names passes now; remove it from " + b.File,
			}}
			s.Failures++
		case unmatched[e]:
			tc.Skipped = text("matches no check of this run")
			s.Skipped++
		default:
			tc.SystemOut = text("expects: " + strings.Join(covers[e], ", "))
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	if len(b.Unexpected) > 0 {
		s.SystemOut = text("unexpected failures (not in baseline):\n" + strings.Join(b.Unexpected, "\n"))
	}
	return s
}

// splitCheckKey undoes CheckKey.
func splitCheckKey(key string) (scenario, caseName, checkID string, ok bool) {
	colon := strings.LastIndex(key, ":")
	if colon < 0 {
		return "", "", "", false
	}
	slash := strings.LastIndex(key[:colon], "/")
	if slash < 0 {
		return "", "", "", false
	}
	return key[:slash], key[slash+1 : colon], key[colon+1:], true
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// tailBytes keeps the last max bytes of s (from a line start when one is
// near), noting what was cut.
func tailBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := len(s) - max
	if nl := strings.IndexByte(s[cut:], '\n'); nl >= 0 && nl < 1024 {
		cut += nl + 1
	}
	for cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut++
	}
	return fmt.Sprintf("[first %d bytes not shown]\n", cut) + s[cut:]
}
