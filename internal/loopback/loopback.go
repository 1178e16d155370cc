// Package loopback opens the listeners of the stub servers: TCP on
// 127.0.0.1 at an ephemeral port, plain HTTP or, given a TLS
// configuration, HTTPS.
package loopback

import (
	"crypto/tls"
	"net"
)

// Listen listens on 127.0.0.1 at an ephemeral port. With a non-nil cfg the
// listener speaks TLS (the handshake happens on the first read of each
// connection, under the HTTP server's read deadlines). It returns the
// listener and its origin, "http://127.0.0.1:PORT" or
// "https://127.0.0.1:PORT".
func Listen(cfg *tls.Config) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	if cfg == nil {
		return ln, "http://" + ln.Addr().String(), nil
	}
	return tls.NewListener(ln, cfg.Clone()), "https://" + ln.Addr().String(), nil
}
