// Package loopback opens the listeners of the stub servers: TCP on
// 127.0.0.1 at an ephemeral port, plain HTTP or, given a TLS
// configuration, HTTPS.
package loopback

import (
	"context"
	"crypto/tls"
	"net"
)

// Listen listens on 127.0.0.1 at an ephemeral port. With a non-nil cfg the
// listener speaks TLS (the handshake happens on the first read of each
// connection, under the HTTP server's read deadlines). It returns the
// listener and its origin, "http://127.0.0.1:PORT" or
// "https://127.0.0.1:PORT".
func Listen(cfg *tls.Config) (net.Listener, string, error) {
	ln, err := plainTCP().Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	if cfg == nil {
		return ln, "http://" + ln.Addr().String(), nil
	}
	return tls.NewListener(ln, cfg.Clone()), "https://" + ln.Addr().String(), nil
}

// plainTCP listens with plain TCP: Go would otherwise open Multipath TCP
// sockets where the kernel has them, which on loopback only cost more to
// open, for the listener of every stub of every case.
func plainTCP() *net.ListenConfig {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	return &lc
}
