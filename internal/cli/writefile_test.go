package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWriteFileThroughLinksAndDevices: the report writers keep a symlink
// a symlink, write into FIFOs and devices instead of replacing them, and
// leave nothing behind when rendering fails.
func TestWriteFileThroughLinksAndDevices(t *testing.T) {
	dir := t.TempDir()

	t.Run("regular", func(t *testing.T) {
		p := filepath.Join(dir, "sub", "r.xml")
		for _, s := range []string{"first", "second"} {
			if err := writeFileWith(p, stdStreams{}, writeString(s)); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(p); string(b) != s {
				t.Errorf("%s holds %q, want %q", p, b, s)
			}
		}
	})

	t.Run("symlink", func(t *testing.T) {
		target := filepath.Join(dir, "target.xml")
		link := filepath.Join(dir, "link.xml")
		if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("target.xml", link); err != nil {
			t.Fatal(err)
		}
		if err := writeFileWith(link, stdStreams{}, writeString("new")); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
		}
		if b, _ := os.ReadFile(target); string(b) != "new" {
			t.Errorf("the link's target holds %q", b)
		}
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
			t.Errorf("the target's mode changed to %v", fi.Mode().Perm())
		}
		dangling := filepath.Join(dir, "dangling.xml")
		if err := os.Symlink("made.xml", dangling); err != nil {
			t.Fatal(err)
		}
		if err := writeFileWith(dangling, stdStreams{}, writeString("made")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "made.xml")); string(b) != "made" {
			t.Errorf("a dangling link's target holds %q", b)
		}
	})

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip(err)
		}
		got := make(chan string)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		if err := writeFileWith(fifo, stdStreams{}, writeString("through the pipe")); err != nil {
			t.Fatal(err)
		}
		if s := <-got; s != "through the pipe" {
			t.Errorf("the reader got %q", s)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v", err)
		}
	})

	t.Run("device", func(t *testing.T) {
		if err := writeFileWith("/dev/null", stdStreams{}, writeString("x")); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
			t.Fatalf("/dev/null is no longer a device: %v", err)
		}
	})

	t.Run("render-error", func(t *testing.T) {
		p := filepath.Join(dir, "never.xml")
		err := writeFileWith(p, stdStreams{}, func(w io.Writer) error {
			_, _ = io.WriteString(w, "half")
			return io.ErrUnexpectedEOF
		})
		if err == nil {
			t.Fatal("no error")
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a half-rendered report was left at %s", p)
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".never.xml.*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}

// TestJUnitToDevStdout runs a real wifdsl with --junit /dev/stdout, its
// stdout a pipe, then a file: the JUnit report follows the text report.
func TestJUnitToDevStdout(t *testing.T) {
	wifdsl, err := exec.LookPath("wifdsl")
	if err != nil {
		t.Skip("the wifdsl test command is not on PATH")
	}
	for _, into := range []string{"pipe", "file"} {
		t.Run(into, func(t *testing.T) {
			cmd := exec.Command(wifdsl, "run", "--case", "happy-path", "--junit", "/dev/stdout", "--format", "json")
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
			var out string
			if into == "pipe" {
				b, err := cmd.Output()
				if err != nil {
					t.Fatalf("%v: %s", err, b)
				}
				out = string(b)
			} else {
				p := filepath.Join(t.TempDir(), "out")
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stdout = f
				if err := cmd.Run(); err != nil {
					t.Fatal(err)
				}
				f.Close()
				b, _ := os.ReadFile(p)
				out = string(b)
			}
			if !strings.Contains(out, "<testsuites") || !strings.Contains(out, `"summary"`) {
				t.Errorf("stdout lacks the JUnit or the JSON report:\n%s", out)
			}
		})
	}
}
