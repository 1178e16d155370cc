package cli

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/wifdsl/wifdsl/report"
)

// termOutput is stdout or stderr of a wifdsl command. Whatever is written
// through it is neutralized (report.Neutralize): a client's output or a
// scenario's names cannot act on the terminal. A write that fails because
// the reader is gone (EPIPE, EIO: a closed pipe or terminal) is reported
// once to onGone, which ends a run in progress.
type termOutput struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence at the end of a write
	onGone  func(why string)
	gone    bool
}

func newTermOutput(w io.Writer) *termOutput { return &termOutput{w: w} }

// file returns the underlying *os.File, if there is one.
func (t *termOutput) file() *os.File {
	f, _ := t.w.(*os.File)
	return f
}

// setOnGone sets the function told when the reader is gone.
func (t *termOutput) setOnGone(f func(why string)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onGone = f
}

func (t *termOutput) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	buf := append(t.pending, p...)
	t.pending = nil
	// Keep an incomplete character for the next write.
	if cut := incompleteTail(buf); cut > 0 {
		t.pending = append([]byte(nil), buf[len(buf)-cut:]...)
		buf = buf[:len(buf)-cut]
	}
	if _, err := io.WriteString(t.w, report.Neutralize(string(buf))); err != nil {
		if !t.gone && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.EIO)) {
			t.gone = true
			if t.onGone != nil {
				go t.onGone("output closed: " + err.Error())
			}
		}
		return 0, err
	}
	return len(p), nil
}

// flush writes a left-over incomplete character (neutralized: it is not
// valid UTF-8).
func (t *termOutput) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) > 0 {
		_, _ = io.WriteString(t.w, report.Neutralize(string(t.pending)))
		t.pending = nil
	}
}

// incompleteTail is the length of a UTF-8 sequence that p ends in and that
// is not complete yet (0 when p ends on a character boundary).
func incompleteTail(p []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(p); i++ {
		c := p[len(p)-i]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(p[len(p)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}
