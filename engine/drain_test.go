package engine

import (
	"bytes"
	"io"
	"testing"
)

// sizeRecorder serves data and records the size of each buffer it is
// given.
type sizeRecorder struct {
	data  []byte
	sizes []int
}

func (r *sizeRecorder) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// drain reads into a small buffer until a read fills it, then into a large
// one, and copies everything.
func TestDrainGrowsItsBuffer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		wantLarge bool
	}{
		{"nothing", 0, false},
		{"a little", 100, false},
		{"a flood", 1 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
			r := &sizeRecorder{data: data}
			var out bytes.Buffer
			p := &clientProcess{}
			p.readers.Add(1)
			p.drain(r, &out)
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("drained %d bytes of %d", out.Len(), len(data))
			}
			if r.sizes[0] != drainSmall {
				t.Errorf("first read into %d bytes, want %d", r.sizes[0], drainSmall)
			}
			large := false
			for _, s := range r.sizes {
				large = large || s > drainSmall
			}
			if large != tc.wantLarge {
				t.Errorf("read sizes %v: large buffer taken %v, want %v", r.sizes[:min(len(r.sizes), 5)], large, tc.wantLarge)
			}
		})
	}
}
