package engine

import (
	"os"
	"testing"
	"time"
)

// A run's CA is made once, on first use; once the run closes it, its file
// is gone, and a CA never made is not made any more.
func TestSharedCA(t *testing.T) {
	s := &sharedCA{now: time.Now()}
	a, err := s.get()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.get(); b != a {
		t.Error("a second CA was made")
	}
	if _, err := os.Stat(a.file); err != nil {
		t.Fatalf("no CA file: %v", err)
	}
	s.close()
	if _, err := os.Stat(a.file); !os.IsNotExist(err) {
		t.Errorf("the CA file outlived close: %v", err)
	}

	unused := &sharedCA{now: time.Now()}
	unused.close()
	if ca, err := unused.get(); ca != nil || err == nil {
		t.Errorf("a CA made after close: %v, %v", ca, err)
	}
}
