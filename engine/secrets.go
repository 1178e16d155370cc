package engine

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Secrets are found in a client's output in more forms than their exact
// bytes. Both the output and each secret are compared after normalization,
// which drops what a terminal or a log would not show as characters of the
// secret: ASCII whitespace and other C0 controls, DEL, ANSI escape
// sequences (CSI: ESC [ … final byte; OSC: ESC ] … BEL or ESC \; any other
// ESC and the byte after it), the C1 controls, and the invisible format
// characters (soft hyphen U+00AD, U+061C, U+180E, U+200B–U+200F,
// U+2028–U+202E, U+2060–U+206F, U+FEFF). And each secret is also looked for
// base64-encoded (standard and URL alphabets, at each of the three byte
// alignments it can have inside a longer encoded text, padded or not).
//
// A secret counts as found when its whole normalized text (or a whole
// base64 form) is covered by windows of leakWindow bytes that each appear
// somewhere in the normalized output, in either stream. So a secret split
// by newlines, interleaved with escape sequences or zero-width characters,
// or printed in two parts, one on stdout and one on stderr, is found. Not
// found: a secret cut into parts shorter than leakWindow that are spread
// over the two streams, a base64 form split between the two streams, and
// any other transformation (hex, URL encoding of the base64 alphabet,
// compression, encryption, a reversed string…).
const leakWindow = 16

// rolling-hash base and the size of the filter that keeps map look-ups
// rare.
const (
	leakHashBase   = 1099511628211
	leakFilterBits = 1 << 16
)

// leakForm is one text a secret is looked for as: its normalized bytes,
// or one base64 form of them.
type leakForm struct {
	secret int
	base64 bool
	text   string
}

// windowRef is one window of a form: form index and offset.
type windowRef struct{ form, off int32 }

// secretIndex holds the windows of every form of every secret.
type secretIndex struct {
	secrets []string
	forms   []leakForm
	filter  []uint64
	windows map[uint64][]windowRef
	pow     uint64 // leakHashBase^(leakWindow-1)
	short   bool   // a form is shorter than leakWindow
	// rawStride is the distance between the indexed windows of a secret's
	// own text: 1 to find a secret printed in parts (the live scan), a
	// whole window to find what a text holds of it (redaction).
	rawStride int
}

func newSecretIndex(rawStride int) *secretIndex {
	x := &secretIndex{rawStride: rawStride, filter: make([]uint64, leakFilterBits/64), windows: map[uint64][]windowRef{}, pow: 1}
	for range leakWindow - 1 {
		x.pow *= leakHashBase
	}
	return x
}

// add indexes a secret; empty secrets and those already known are skipped.
func (x *secretIndex) add(secret string) {
	if secret == "" {
		return
	}
	for _, s := range x.secrets {
		if s == secret {
			return
		}
	}
	si := len(x.secrets)
	x.secrets = append(x.secrets, secret)
	norm := string(normalizeAll([]byte(secret), nil))
	if len(norm) < leakWindow {
		// Too short to find by windows: FindSecrets looks for its exact
		// normalized text; the live scan leaves it to the exact search of
		// the capture (cappedBuffer).
		x.forms = append(x.forms, leakForm{secret: si, text: norm})
		x.short = true
		return
	}
	x.addForm(leakForm{secret: si, text: norm}, x.rawStride)
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for align := 0; align < 3; align++ {
			if f := stableBase64(enc, norm, align); len(f) >= leakWindow {
				// Base64 text is one piece: windows side by side suffice.
				x.addForm(leakForm{secret: si, base64: true, text: f}, leakWindow)
			}
		}
	}
}

// stableBase64 is the part of the base64 encoding of s that does not
// depend on the bytes around it, when s starts align bytes past a multiple
// of three in the encoded data.
func stableBase64(enc *base64.Encoding, s string, align int) string {
	e := enc.EncodeToString(append(make([]byte, align), s...))
	from := (4*align + 2) / 3
	to := 4 * (align + len(s)) / 3
	if to > len(e) {
		to = len(e)
	}
	if from >= to {
		return ""
	}
	return e[from:to]
}

// addForm indexes the windows of f every stride bytes (and the last one).
func (x *secretIndex) addForm(f leakForm, stride int) {
	fi := int32(len(x.forms))
	x.forms = append(x.forms, f)
	last := len(f.text) - leakWindow
	for off := 0; ; off += stride {
		if off > last {
			off = last
		}
		h := x.hash(f.text[off : off+leakWindow])
		x.filter[(h%leakFilterBits)/64] |= 1 << (h % 64)
		x.windows[h] = append(x.windows[h], windowRef{form: fi, off: int32(off)})
		if off == last {
			break
		}
	}
}

func (x *secretIndex) hash(s string) uint64 {
	var h uint64
	for i := 0; i < len(s); i++ {
		h = h*leakHashBase + uint64(s[i])
	}
	return h
}

// candidates returns the windows whose hash is h, or nil (fast when none).
func (x *secretIndex) candidates(h uint64) []windowRef {
	if x.filter[(h%leakFilterBits)/64]&(1<<(h%64)) == 0 {
		return nil
	}
	return x.windows[h]
}

// normalizer drops what normalization drops (see leakWindow), across
// writes: an escape sequence or a UTF-8 character may be split between two.
type normalizer struct {
	state   byte // 0 text, 1 after ESC, 2 in CSI, 3 in OSC, 4 ESC inside OSC
	pending []byte
}

// feed normalizes p, calling emit for each byte kept with its offset in p
// (negative for bytes of a character begun in an earlier write).
func (n *normalizer) feed(p []byte, emit func(b byte, at int)) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch n.state {
		case 1: // after ESC
			switch c {
			case '[':
				n.state = 2
			case ']', 'P', '_', '^', 'X':
				n.state = 3
			default:
				n.state = 0
			}
			continue
		case 2: // CSI: parameters and intermediates, then a final byte
			if c >= 0x40 && c <= 0x7e {
				n.state = 0
			}
			continue
		case 3: // OSC or another string: ends with BEL or ESC \
			switch c {
			case 0x07:
				n.state = 0
			case 0x1b:
				n.state = 4
			}
			continue
		case 4:
			n.state = 3
			if c == '\\' {
				n.state = 0
			}
			continue
		}
		if len(n.pending) > 0 || c >= utf8.RuneSelf {
			n.pending = append(n.pending, c)
			if !utf8.FullRune(n.pending) {
				continue
			}
			r, size := utf8.DecodeRune(n.pending)
			if !invisible(r) {
				start := i - len(n.pending) + 1
				for k := 0; k < size; k++ {
					emit(n.pending[k], start+k)
				}
			}
			rest := n.pending[size:]
			n.pending = n.pending[:0]
			for _, b := range rest { // an invalid byte before: feed the rest again
				n.pending = append(n.pending, b)
			}
			if len(n.pending) > 0 && utf8.FullRune(n.pending) {
				b := append([]byte(nil), n.pending...)
				n.pending = n.pending[:0]
				n.feed(b, func(x byte, at int) { emit(x, i-len(b)+1+at) })
			}
			continue
		}
		switch {
		case c == 0x1b:
			n.state = 1
		case c <= 0x20 || c == 0x7f:
			// whitespace and controls
		default:
			emit(c, i)
		}
	}
}

// invisible reports whether r is dropped by normalization.
func invisible(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return false
	case r >= 0x80 && r <= 0x9f, r == 0xad, r == 0x061c, r == 0x180e, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x2028 && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true
	}
	return false
}

// normalizeAll normalizes p; when index is not nil, it also records, for
// each byte kept, its offset in p.
func normalizeAll(p []byte, index *[]int) []byte {
	var n normalizer
	out := make([]byte, 0, len(p))
	n.feed(p, func(b byte, at int) {
		out = append(out, b)
		if index != nil {
			*index = append(*index, at)
		}
	})
	return out
}

// roller is a rolling hash over the last leakWindow bytes of a stream.
type roller struct {
	win    [leakWindow]byte
	pos    int
	filled int
	h      uint64
}

func (r *roller) push(b byte, pow uint64) bool {
	out := r.win[r.pos]
	r.win[r.pos] = b
	r.pos = (r.pos + 1) % leakWindow
	if r.filled < leakWindow {
		r.filled++
		r.h = r.h*leakHashBase + uint64(b)
	} else {
		r.h = (r.h-uint64(out)*pow)*leakHashBase + uint64(b)
	}
	return r.filled == leakWindow
}

// window returns the bytes in the window, oldest first.
func (r *roller) window() []byte {
	out := make([]byte, 0, r.filled)
	for k := leakWindow - r.filled; k < leakWindow; k++ {
		out = append(out, r.win[(r.pos+k)%leakWindow])
	}
	return out
}

// equal reports whether the window holds s (leakWindow bytes).
func (r *roller) equal(s string) bool {
	for k := 0; k < leakWindow; k++ {
		if r.win[(r.pos+k)%leakWindow] != s[k] {
			return false
		}
	}
	return true
}

// leakScanner searches both output streams of a client run for the
// secrets as they are known while it runs (see leakWindow for the forms).
type leakScanner struct {
	mu      sync.Mutex
	secrets func() []string
	idx     *secretIndex
	streams [2]struct {
		norm normalizer
		roll roller
	}
	covered [][]bool // per form
	left    []int    // per form: bytes not covered yet
	found   map[int]int
}

func newLeakScanner(secrets func() []string) *leakScanner {
	return &leakScanner{secrets: secrets, found: map[int]int{}}
}

// refresh indexes the secrets that became known since the last write.
func (s *leakScanner) refresh() {
	if s.secrets == nil {
		return
	}
	cur := s.secrets()
	if s.idx != nil && len(cur) == len(s.idx.secrets) {
		return
	}
	if s.idx == nil {
		s.idx = newSecretIndex(1)
	}
	for _, sec := range cur {
		s.idx.add(sec)
	}
	for len(s.covered) < len(s.idx.forms) {
		f := s.idx.forms[len(s.covered)]
		s.covered = append(s.covered, make([]bool, len(f.text)))
		s.left = append(s.left, len(f.text))
	}
}

// write scans p, the next bytes of stream (0 stdout, 1 stderr).
func (s *leakScanner) write(stream int, p []byte) {
	if len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	if s.idx == nil || len(s.idx.secrets) == 0 {
		return
	}
	st := &s.streams[stream]
	x := s.idx
	kept := func(b byte, _ int) {
		if !st.roll.push(b, x.pow) {
			return
		}
		if x.filter[(st.roll.h%leakFilterBits)/64]&(1<<(st.roll.h%64)) == 0 {
			return
		}
		for _, ref := range x.windows[st.roll.h] {
			f := &x.forms[ref.form]
			if !st.roll.equal(f.text[ref.off : int(ref.off)+leakWindow]) {
				continue
			}
			s.cover(int(ref.form), int(ref.off), leakWindow, stream)
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		// The common case inline: a printable ASCII byte outside any
		// escape sequence or character.
		if c > 0x20 && c < 0x7f && st.norm.state == 0 && len(st.norm.pending) == 0 {
			kept(c, i)
			continue
		}
		st.norm.feed(p[i:i+1], kept)
	}
}

func (s *leakScanner) cover(fi, off, n, stream int) {
	cov := s.covered[fi]
	for k := off; k < off+n; k++ {
		if !cov[k] {
			cov[k] = true
			s.left[fi]--
		}
	}
	if s.left[fi] == 0 {
		si := s.idx.forms[fi].secret
		if _, ok := s.found[si]; !ok {
			s.found[si] = stream
		}
	}
}

// leaked returns each secret found, with the stream (0 stdout, 1 stderr)
// in which it was completed, in the order the secrets were known.
func (s *leakScanner) leaked() (secrets []string, streams []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := make([]int, 0, len(s.found))
	for si := range s.found {
		idx = append(idx, si)
	}
	sort.Ints(idx)
	for _, si := range idx {
		secrets = append(secrets, s.idx.secrets[si])
		streams = append(streams, s.found[si])
	}
	return secrets, streams
}

// leakTee writes to the capped buffer and to the leak scanner.
type leakTee struct {
	buf    *cappedBuffer
	scan   *leakScanner
	stream int
}

func (t leakTee) Write(p []byte) (int, error) {
	t.scan.write(t.stream, p)
	return t.buf.Write(p)
}

// addLeakNotes appends to stdout or stderr (as kept) a note naming each
// secret the scanner found that the kept text does not show as it is:
// split, interleaved with control or invisible characters, base64-encoded,
// or in bytes not kept. A check that looks for a secret in the output
// therefore finds it, and reports redact the note like any other text.
func (s *leakScanner) addLeakNotes(stdout, stderr string) (string, string) {
	secrets, streams := s.leaked()
	var notes [2][]string
	for i, sec := range secrets {
		if strings.Contains(stdout, sec) || strings.Contains(stderr, sec) {
			continue
		}
		notes[streams[i]] = append(notes[streams[i]], sec)
	}
	out := [2]string{stdout, stderr}
	for k, list := range notes {
		if len(list) == 0 {
			continue
		}
		if len(list) > maxListedSecrets {
			list = list[:maxListedSecrets]
		}
		out[k] += "\n[wifdsl: the output holds " + itoa(len(list)) + " secret(s) split, interleaved with control or invisible characters, encoded or not kept: " + strings.Join(list, " ") + "]\n"
	}
	return out[0], out[1]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// SecretSpan is where FindSecrets found (part of) a secret in a text.
type SecretSpan struct {
	// Start and End are byte offsets in the text; the span may hold
	// control or invisible characters between the secret's own bytes.
	Start, End int
	// Secret is the secret's index in the list given to FindSecrets.
	Secret int
	// Whole is true when the span holds the whole secret (or a whole
	// base64 form of it), false for a part of at least 16 bytes.
	Whole bool
	// Base64 is true when the span holds the secret base64-encoded.
	Base64 bool
}

// SecretFinder finds secrets in texts, for reporters that redact them.
type SecretFinder struct {
	secrets []string
	x       *secretIndex
}

// NewSecretFinder indexes secrets for Find.
func NewSecretFinder(secrets []string) *SecretFinder {
	x := newSecretIndex(leakWindow)
	for _, s := range secrets {
		x.add(s)
	}
	return &SecretFinder{secrets: secrets, x: x}
}

// Find returns the spans of text that hold a secret, or a part of one of
// at least 16 bytes (leakWindow), in any form the leak check knows (see
// leakWindow): exact, interleaved with control or invisible characters,
// split by whitespace, base64-encoded. Spans do not overlap and are in text
// order. Up to 15 bytes at each end of a part of a secret may be left
// out; secrets shorter than 16 bytes are found whole only.
func (sf *SecretFinder) Find(text string) []SecretSpan {
	if sf == nil || len(sf.secrets) == 0 || len(text) == 0 {
		return nil
	}
	secrets, x := sf.secrets, sf.x
	var at []int
	norm := normalizeAll([]byte(text), &at)
	// The windows found, per form: where each ends in norm.
	type run struct{ form, start, end int } // norm offsets, end exclusive
	var runs []run
	// Per form and anchor (where the form's first byte would be in norm),
	// the run being extended: windows extend a run only when they line up
	// with it, so two secrets that share their first bytes do not merge.
	type key struct{ form, anchor int }
	open := map[key]*run{}
	var r roller
	for i, b := range norm {
		if !r.push(b, x.pow) {
			continue
		}
		for _, ref := range x.candidates(r.h) {
			f := &x.forms[ref.form]
			if !r.equal(f.text[ref.off : int(ref.off)+leakWindow]) {
				continue
			}
			fi, start := int(ref.form), i-leakWindow+1
			k := key{fi, start - int(ref.off)}
			if cur := open[k]; cur != nil && start <= cur.end {
				cur.end = i + 1
				continue
			}
			if cur := open[k]; cur != nil {
				runs = append(runs, *cur)
			}
			open[k] = &run{form: fi, start: start, end: i + 1}
		}
	}
	for _, cur := range open {
		runs = append(runs, *cur)
	}
	ns := string(norm)
	for fi, f := range x.forms {
		if len(f.text) >= leakWindow || f.text == "" {
			continue
		}
		for from := 0; ; {
			j := strings.Index(ns[from:], f.text)
			if j < 0 {
				break
			}
			runs = append(runs, run{form: fi, start: from + j, end: from + j + len(f.text)})
			from += j + len(f.text)
		}
	}
	// The longest runs win where runs overlap (secrets minted alike share
	// their first bytes).
	sort.Slice(runs, func(i, j int) bool {
		if li, lj := runs[i].end-runs[i].start, runs[j].end-runs[j].start; li != lj {
			return li > lj
		}
		return runs[i].start < runs[j].start
	})
	taken := make([]bool, len(norm))
	var spans []SecretSpan
	for _, ru := range runs {
		f := x.forms[ru.form]
		whole := ru.end-ru.start >= len(f.text)
		// The parts of the run that no longer run took.
		for k := ru.start; k < ru.end; {
			if taken[k] {
				k++
				continue
			}
			e := k
			for e < ru.end && !taken[e] {
				taken[e] = true
				e++
			}
			spans = append(spans, SecretSpan{
				Start: at[k], End: at[e-1] + 1, // every byte kept has its own offset
				Secret: indexOf(secrets, x.secrets[f.secret]),
				Whole:  whole && k == ru.start && e == ru.end, Base64: f.base64,
			})
			k = e
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	return spans
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
