// Package rawhttp speaks HTTP to a server byte by byte, the way a
// malformed or slow client would, for the hostile tests of the stub
// servers. Every connection is to the address given (loopback in the
// tests) and bounded in time.
package rawhttp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Exchange sends raw bytes on a fresh connection, half-closes it, and
// returns the status of the first response, or 0 when the server closed
// the connection without one. It fails the test when no answer comes
// within 30 s.
func Exchange(t testing.TB, addr string, raw []byte) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	// The server may answer and close before reading everything (a body
	// over the limit): a failed write is then expected.
	_, _ = conn.Write(raw)
	_ = conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no answer within 30 s")
		}
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Slow opens a connection and sends prefix, then one more byte of filler
// every interval, until the server closes the connection or limit passes.
// It reports whether the server closed it.
func Slow(t testing.TB, addr, prefix string, interval, limit time.Duration) bool {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(prefix)); err != nil {
		return true
	}
	// closed receives true when the server ends the connection, false
	// when our own read deadline, later than limit, passes first.
	closed := make(chan bool, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(limit + 10*time.Second))
		_, err := io.Copy(io.Discard, conn) // until EOF, a reset or our deadline
		var ne net.Error
		closed <- !(errors.As(err, &ne) && ne.Timeout())
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(limit)
	for {
		select {
		case byServer := <-closed:
			return byServer
		case <-deadline:
			return false
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				return <-closed
			}
		}
	}
}
