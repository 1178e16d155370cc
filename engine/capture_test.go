package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCappedBufferKeepsHeadAndTail writes streams of many lengths in random
// pieces and compares what is kept with the stream itself.
func TestCappedBufferKeepsHeadAndTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(1933, 7523))
	for _, capacity := range []int{1, 2, 7, 64, 1000} {
		for _, total := range []int{0, 1, capacity / 2, capacity - 1, capacity, capacity + 1, 3 * capacity, 10*capacity + 3} {
			stream := make([]byte, total)
			for i := range stream {
				stream[i] = byte('a' + rng.IntN(26))
			}
			b := newCappedBuffer(capacity, nil)
			for rest := stream; len(rest) > 0; {
				n := 1 + rng.IntN(min(len(rest), 2*capacity+1))
				if got, err := b.Write(rest[:n]); got != n || err != nil {
					t.Fatalf("Write returned %d, %v", got, err)
				}
				rest = rest[n:]
			}
			text, count, truncated := b.result()
			name := fmt.Sprintf("cap %d, %d bytes", capacity, total)
			if count != int64(total) || truncated != (total > capacity) {
				t.Fatalf("%s: count %d truncated %v", name, count, truncated)
			}
			if !truncated {
				if text != string(stream) {
					t.Fatalf("%s: kept %q, want the whole stream %q", name, text, stream)
				}
				continue
			}
			head, tail := capacity-capacity/2, capacity/2
			note := fmt.Sprintf("\n[wifdsl: %d bytes of output not kept here]\n", total-capacity)
			if want := string(stream[:head]) + note + string(stream[total-tail:]); text != want {
				t.Fatalf("%s: kept %q, want %q", name, text, want)
			}
		}
	}
}

// TestCappedBufferFindsSecretsNotKept places secrets anywhere in a stream
// written in random pieces: those the kept text does not show whole are
// named in the note, the others are not.
func TestCappedBufferFindsSecretsNotKept(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1933))
	secrets := []string{"eyJhbGciOiJFUzI1NiJ9.assertion.sig", "wif-at-0123456789abcdef", strings.Repeat("L", 5000)}
	issued := secrets[:2] // the long one only becomes known later
	source := func() []string { return issued }
	for trial := range 200 {
		const capacity = 256
		var stream strings.Builder
		for stream.Len() < 20000 {
			if rng.IntN(40) == 0 {
				stream.WriteString(secrets[rng.IntN(len(secrets))])
			} else {
				stream.WriteByte(byte('a' + rng.IntN(26)))
			}
		}
		issued = secrets[:2]
		b := newCappedBuffer(capacity, source)
		data := []byte(stream.String())
		for rest := data; len(rest) > 0; {
			n := 1 + rng.IntN(min(len(rest), 300))
			_, _ = b.Write(rest[:n])
			rest = rest[n:]
			if len(rest) < len(data)/2 {
				issued = secrets
			}
		}
		text, _, truncated := b.result()
		if !truncated {
			t.Fatalf("trial %d: not truncated", trial)
		}
		i := strings.Index(text, "\n[wifdsl: ")
		j := strings.LastIndex(text, "]\n")
		kept, note := text[:i]+"\x00"+text[j+2:], text[i:j+2]
		for k, s := range secrets {
			inStream := strings.Contains(stream.String(), s)
			if k == 2 {
				// Known only from the second half of the stream on.
				inStream = strings.Contains(stream.String()[len(data)/2+capacity:], s)
			}
			listed := strings.Contains(note, s)
			visible := strings.Contains(kept, s)
			if inStream && !visible && !listed {
				t.Fatalf("trial %d: secret %d is in the stream but neither kept nor listed", trial, k)
			}
			if listed && visible {
				t.Fatalf("trial %d: secret %d is both kept and listed", trial, k)
			}
			if listed && !strings.Contains(stream.String(), s) {
				t.Fatalf("trial %d: secret %d listed but never written", trial, k)
			}
		}
	}
}
