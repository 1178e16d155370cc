package loopback

import (
	"net"
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

// The stubs' listeners are plain TCP, not Multipath TCP: a client that
// asks for Multipath TCP gets a plain TCP connection.
func TestListenPlainTCP(t *testing.T) {
	ln, _, err := Listen(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		t.Fatalf("%T, want *net.TCPListener", ln)
	}
	var d net.Dialer
	d.SetMultipathTCP(true)
	conn, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := tl.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if mp, err := c.MultipathTCP(); err != nil || mp {
		t.Errorf("accepted connection uses Multipath TCP: %v %v", mp, err)
	}
}
