package report

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// Neutralize makes text from outside wifdsl (a client's output, scenario,
// case and check names, error messages) safe to print on a terminal: every
// byte or character that a terminal could act on is written as a visible
// escape instead, so a client cannot move the cursor, erase lines, set the
// clipboard (OSC 52), change the window title or reorder text, and so
// cannot hide a FAIL line or print a fake PASS.
//
// Line feeds and tabs stay. Written as \xNN: the other C0 controls (ESC,
// CR, BS, BEL, …) and bytes that are not valid UTF-8. Written as \uNNNN:
// DEL, the C1 controls (U+0080–U+009F, among them the one-byte CSI and
// OSC), the bidirectional overrides, embeddings, isolates and marks
// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line and
// paragraph separators (U+2028, U+2029). Everything else, including
// printable non-ASCII text, is kept as it is.
func Neutralize(s string) string {
	if safeText(s) {
		return s
	}
	var b bytes.Buffer
	b.Grow(len(s) + 16)
	neutralizeInto(&b, []byte(s))
	return b.String()
}

// safeText reports whether s has nothing to neutralize (the common case,
// checked without allocating).
func safeText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

func neutralizeInto(b *bytes.Buffer, p []byte) {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0x7f:
				// As \u007f, which is also valid inside a JSON string.
				b.WriteString(`\u007f`)
			case c < 0x20 && c != '\n' && c != '\t':
				fmt.Fprintf(b, `\x%02x`, c)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(b, `\x%02x`, c)
		case unsafeRune(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.Write(p[i : i+n])
		}
		i += n
	}
}

// unsafeRune reports whether r is a non-ASCII character that Neutralize
// escapes.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// neutralizing collects what a text or Markdown writer produces and
// writes it to w neutralized when flushed.
type neutralizing struct {
	w   io.Writer
	buf bytes.Buffer
}

func (n *neutralizing) Write(p []byte) (int, error) { return n.buf.Write(p) }

// flush writes what was collected, neutralized, and returns the write error.
func (n *neutralizing) flush() error {
	var out bytes.Buffer
	out.Grow(n.buf.Len())
	neutralizeInto(&out, n.buf.Bytes())
	n.buf.Reset()
	_, err := n.w.Write(out.Bytes())
	return err
}
