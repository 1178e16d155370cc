package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/engine"
)

// markdownDetailCap bounds each failure's details block, and
// markdownMaxDetails the number of blocks, so the summary stays well under
// the 1 MiB a GitHub Actions job summary may hold.
const (
	markdownDetailCap  = 8 << 10
	markdownMaxDetails = 50
)

// Markdown writes a summary for a CI job page (GitHub Actions'
// $GITHUB_STEP_SUMMARY, a GitLab merge-request note): a headline with the
// counts, a table with a row per case, and for each check that did not
// pass a collapsible block with what was expected, what happened and the
// client's timeline. With a baseline, expected failures are marked as such
// and the baseline's verdict closes the summary.
func Markdown(w io.Writer, res *engine.Result, opts Options) error {
	nw := &neutralizing{w: w}
	mw := &errWriter{w: nw}
	s := res.Summarize()
	icon := "✅"
	verdict := "passed"
	switch {
	case res.Interrupted:
		icon, verdict = "⏹️", "interrupted"
	case s.Errors > 0:
		icon, verdict = "💥", "harness error"
	case opts.Baseline != nil && !opts.Baseline.OK():
		icon, verdict = "❌", "failed"
	case opts.Baseline != nil && (s.Failed > 0 || s.Warnings > 0):
		icon, verdict = "✅", "passed with expected failures"
	case s.Failed > 0 || s.Warnings > 0:
		icon, verdict = "❌", "failed"
	}
	fmt.Fprintf(mw, "## %s wifdsl: %s\n\n", icon, verdict)
	fmt.Fprintf(mw, "**%d passed, %d failed, %d warnings**", s.Passed, s.Failed, s.Warnings)
	if s.Info > 0 {
		fmt.Fprintf(mw, ", %d info", s.Info)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(mw, ", %d skipped", s.Skipped)
	}
	if s.Errors > 0 {
		fmt.Fprintf(mw, ", %d case errors", s.Errors)
	}
	if s.Interrupted > 0 {
		fmt.Fprintf(mw, ", %d cases interrupted", s.Interrupted)
	}
	fmt.Fprintf(mw, " in %d cases (%s)", s.Cases, res.Duration.Round(time.Millisecond))
	fmt.Fprintf(mw, "\n\n")
	if opts.Client != "" {
		fmt.Fprintf(mw, "Client: %s", mdCode(opts.Client))
		if opts.Version != "" {
			fmt.Fprintf(mw, " · wifdsl %s", mdText(opts.Version))
		}
		fmt.Fprintf(mw, "\n\n")
	}

	fmt.Fprintf(mw, "| | case | passed | failed | warnings | time |\n")
	fmt.Fprintf(mw, "|---|---|---:|---:|---:|---:|\n")
	for _, c := range res.Cases {
		var pass, fail, warn int
		for _, ch := range c.Checks {
			switch ch.Status {
			case engine.StatusSuccess:
				pass++
			case engine.StatusFailure:
				fail++
			case engine.StatusWarning:
				warn++
			}
		}
		verdict := caseVerdict(c, opts.Baseline)
		name := mdCode(c.Scenario + "/" + c.Case)
		if verdict == "INTERRUPTED" {
			name += " (interrupted, not judged)"
		}
		fmt.Fprintf(mw, "| %s | %s | %d | %d | %d | %s |\n", caseIcon(verdict),
			name, pass, fail, warn, c.Duration.Round(time.Millisecond))
	}

	shown := 0
	header := false
	for _, c := range res.Cases {
		red := redactor(c, opts)
		timeline := caseTimeline(c, red)
		for _, ch := range c.Checks {
			if ch.Status == engine.StatusSuccess && c.Error == "" {
				continue
			}
			if c.Interrupted && ch.Status == engine.StatusSkipped {
				continue // the table says the case was interrupted
			}
			if !header {
				fmt.Fprintf(mw, "\n### Checks that did not pass\n\n")
				header = true
			}
			if shown == markdownMaxDetails {
				fmt.Fprintf(mw, "…and more: see the full report (`--format json`, `--junit`, `-o`).\n\n")
				shown++
			}
			if shown > markdownMaxDetails {
				continue
			}
			shown++
			mark := statusIcon(ch.Status)
			note := ""
			if entry, ok := opts.Baseline.expects(c, ch); ok {
				mark = "☑️"
				note = " · expected failure (<code>" + htmlEscape(entry) + "</code>)"
			}
			msg := red.Redact(ch.ErrorMessage)
			if c.Error != "" {
				mark, msg = "💥", red.Redact("case could not run: "+c.Error)
			}
			fmt.Fprintf(mw, "<details><summary>%s %s %s <code>%s</code>: %s%s</summary>\n\n",
				mark, htmlEscape(string(ch.Status)), htmlEscape(c.Scenario+"/"+c.Case), htmlEscape(ch.ID),
				htmlEscape(oneLine(msg, 300)), note)
			body := checkDetail(ch, red)
			if ch.Failed() || c.Error != "" {
				body = append(body, timeline...)
			}
			fmt.Fprintf(mw, "%s\n</details>\n\n", mdFence(shorten(strings.Join(body, "\n"), markdownDetailCap)))
		}
	}

	if b := opts.Baseline; b != nil {
		fmt.Fprintf(mw, "\n### Baseline %s\n\n", mdCode(b.File))
		list := func(title string, items []string) {
			if len(items) == 0 {
				return
			}
			fmt.Fprintf(mw, "%s\n\n", title)
			for _, it := range items {
				fmt.Fprintf(mw, "- %s\n", mdCode(it))
			}
			fmt.Fprintf(mw, "\n")
		}
		list("❌ **Unexpected failures** (not in the baseline):", b.Unexpected)
		list("❌ **Stale entries** (every check they name passes now; remove them):", b.Stale)
		list("☑️ Expected failures (in the baseline):", b.Expected)
		list("Entries that match no check of this run (ignored):", b.Unmatched)
		if b.OK() {
			fmt.Fprintf(mw, "Baseline check passed: all failures are expected.\n")
		} else {
			fmt.Fprintf(mw, "Baseline check failed.\n")
		}
	}
	if mw.err != nil {
		return mw.err
	}
	return nw.flush()
}

func caseIcon(verdict string) string {
	switch verdict {
	case "PASS":
		return "✅"
	case "XFAIL":
		return "☑️"
	case "ERROR":
		return "💥"
	case "INTERRUPTED":
		return "⏹️"
	}
	return "❌"
}

func statusIcon(s engine.Status) string {
	switch s {
	case engine.StatusFailure:
		return "❌"
	case engine.StatusWarning:
		return "⚠️"
	case engine.StatusSkipped:
		return "⏭️"
	case engine.StatusInfo:
		return "ℹ️"
	}
	return "✅"
}

// mdCode renders s as inline code that survives backticks and pipes (in a
// table cell) in s.
func mdCode(s string) string {
	s = strings.ReplaceAll(oneLine(s, 500), "|", "\\|")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// mdText escapes the characters that would start Markdown or HTML markup.
func mdText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
		"<", "&lt;", ">", "&gt;", "|", "\\|", "#", "\\#")
	return r.Replace(oneLine(s, 500))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// mdFence puts s in a fenced code block whose fence is longer than any
// run of backticks in s, so nothing in s can end it.
func mdFence(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + "text\n" + s + "\n" + fence
}
