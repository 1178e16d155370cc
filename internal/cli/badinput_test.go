package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wifdsl/wifdsl/internal/cli"
	"github.com/wifdsl/wifdsl/internal/soak"
)

// badInput is one broken scenario input.
type badInput struct {
	name string
	path string
	// line is where the first error is, or 0 when the diagnostic has no
	// source position (a missing file, a directory).
	line int
	// empty marks input that is well formed but declares nothing to run:
	// run refuses it (exit 2) while validate, plan and list only warn.
	empty bool
	// big marks input slow to read under the race detector: only run and
	// validate -json read it.
	big bool
}

// badInputs lists the committed corpus under testdata/badinput and adds
// the inputs too big, too odd or too system-specific to commit.
func badInputs(t *testing.T) []badInput {
	t.Helper()
	dir := filepath.Join("testdata", "badinput")
	in := []badInput{
		{name: "syntax error", path: "syntax-error.hcl", line: 2},
		{name: "binary data", path: "binary.hcl", line: 1},
		{name: "invalid UTF-8", path: "invalid-utf8.hcl", line: 2},
		{name: "NUL byte", path: "nul-byte.hcl", line: 3},
		{name: "CRLF line ends", path: "crlf.hcl", line: 3},
		{name: "byte order mark", path: "bom.hcl", line: 2},
		{name: "unclosed call", path: "unclosed-call.hcl", line: 10},
		{name: "recursive function", path: "recursive-function.hcl", line: 1},
		{name: "truncated JSON", path: "truncated.hcl.json", line: 1},
		{name: "JSON not an object", path: "not-an-object.hcl.json", line: 1},
		{name: "empty file", path: "empty.hcl", line: 1, empty: true},
		{name: "only comments", path: "only-comments.hcl", line: 1, empty: true},
		{name: "directory with a bad file", path: "mixed-dir", line: 2},
		{name: "directory without scenario files", path: "no-scenarios-dir"},
	}
	for i := range in {
		in[i].path = filepath.Join(dir, in[i].path)
	}
	tmp := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const nest = 20000
	// A 3 MB line takes seconds to read under the race detector: by
	// default the line keeps the shape with a tenth of the size, and
	// WIFDSL_SOAK=1 (see package soak) reads the whole 3 MB.
	long := strings.Repeat("x", soak.Runs(300<<10, 3<<20))
	in = append(in,
		badInput{name: fmt.Sprintf("%d KB line", len(long)>>10), path: write("long-line.hcl", []byte("scenario \"s\" {\n  "+long+"\n}\n")), line: 2, big: true},
		badInput{name: "20,000 nested parentheses", path: write("nested.hcl", []byte("locals {\n  x = "+strings.Repeat("(", nest)+"1"+strings.Repeat(")", nest)+"\n}\n")), line: 1, empty: true},
		badInput{name: "20,000 unclosed parentheses", path: write("unclosed.hcl", []byte("locals {\n  x = "+strings.Repeat("(", nest)+"1\n}\n")), line: 3},
		badInput{name: "20,000 nested JSON arrays", path: write("nested.hcl.json", []byte("{\"locals\": {\"x\": "+strings.Repeat("[", nest)+strings.Repeat("]", nest)+"}}")), line: 1, empty: true},
		badInput{name: "missing file", path: filepath.Join(tmp, "missing.hcl")},
		badInput{name: "empty directory", path: filepath.Join(tmp, "empty-dir")},
		badInput{name: "directory named like a file", path: filepath.Join(tmp, "dir.hcl")},
	)
	for _, d := range []string{"empty-dir", "dir.hcl"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("nowhere.hcl", filepath.Join(tmp, "dangling.hcl")); err == nil {
		in = append(in, badInput{name: "dangling symlink", path: filepath.Join(tmp, "dangling.hcl")})
	}
	if err := os.Symlink("loop.hcl", filepath.Join(tmp, "loop.hcl")); err == nil {
		in = append(in, badInput{name: "symlink loop", path: filepath.Join(tmp, "loop.hcl")})
	}
	if fi, err := os.Stat("/dev/zero"); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		in = append(in, badInput{name: "endless device", path: "/dev/zero"})
	}
	return in
}

// runCLI runs the command line in process and turns a panic into a test
// failure with the panic value.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("wifdsl %s panicked: %v", strings.Join(args, " "), p)
			}
		}()
		code = cli.Run(args, &out, &errb)
	}()
	return code, out.String(), errb.String()
}

var locationRE = regexp.MustCompile(`:(\d+):(\d+)`)

// TestBadScenarioInput feeds every broken input to the commands that read
// scenario files: each gives diagnostics naming the file, with the line
// where there is one, and exit status 2, never a panic.
func TestBadScenarioInput(t *testing.T) {
	for _, in := range badInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			commands := [][]string{
				{"run", "--client", "true", in.path},
				{"validate", in.path},
				{"plan", in.path},
				{"list", in.path},
			}
			if in.big {
				commands = commands[:1]
			}
			for _, args := range commands {
				code, stdout, stderr := runCLI(t, args...)
				want := 2
				if in.empty && args[0] != "run" {
					want = 0 // a warning only: there is nothing to run
				}
				if code != want {
					t.Errorf("wifdsl %s: exit %d, want %d\nstderr: %.600s", args[0], code, want, stderr)
				}
				out := stdout + stderr
				if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
					t.Errorf("wifdsl %s: output mentions a panic: %.600s", args[0], out)
				}
				name := in.path
				if fi, err := os.Stat(in.path); err == nil && fi.IsDir() && in.line > 0 {
					name = "" // the diagnostic names the file inside the directory
				}
				if !strings.Contains(stderr, name) {
					t.Errorf("wifdsl %s: stderr does not name %s: %.600s", args[0], in.path, stderr)
				}
				if in.line > 0 {
					loc := fmt.Sprintf(":%d:", in.line)
					if m := locationRE.FindStringSubmatch(stderr); m == nil || !strings.Contains(stderr, name) || !strings.Contains(stderr, loc) {
						t.Errorf("wifdsl %s: stderr has no %s%s position: %.600s", args[0], name, loc, stderr)
					}
				}
			}
			// The machine-readable form names the file too.
			code, stdout, _ := runCLI(t, "validate", "-json", in.path)
			var doc struct {
				Valid       bool `json:"valid"`
				Diagnostics []struct {
					Severity string `json:"severity"`
					Detail   string `json:"detail"`
					Range    *struct {
						Filename string `json:"filename"`
						Start    struct {
							Line int `json:"line"`
						} `json:"start"`
					} `json:"range"`
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("validate -json: not JSON: %v: %.300s", err, stdout)
			}
			if (code == 0) != doc.Valid || len(doc.Diagnostics) == 0 || (!in.empty && (doc.Valid || code != 2)) {
				t.Errorf("validate -json: exit %d valid %v, %d diagnostics", code, doc.Valid, len(doc.Diagnostics))
			}
			named := false
			for _, d := range doc.Diagnostics {
				switch {
				case d.Range != nil:
					named = named || strings.HasPrefix(d.Range.Filename, in.path) && (in.line == 0 || d.Range.Start.Line == in.line)
				default:
					named = named || strings.Contains(d.Detail, in.path)
				}
			}
			if !named {
				t.Errorf("validate -json: no diagnostic names %s (line %d): %.600s", in.path, in.line, stdout)
			}
		})
	}
}
