package loopback

import (
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/tlsca"
)

func TestListen(t *testing.T) {
	ln, origin, err := Listen(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if !strings.HasPrefix(origin, "http://127.0.0.1:") {
		t.Errorf("plain origin %q", origin)
	}
	ca, err := tlsca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, origin, err = Listen(ca.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if !strings.HasPrefix(origin, "https://127.0.0.1:") {
		t.Errorf("TLS origin %q", origin)
	}
}
