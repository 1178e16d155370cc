// Package gate lets a stub server answer only the processes it serves:
// each connection is judged once, by a function of its two addresses, and
// a request on a connection that is refused is answered 403 without being
// routed or recorded, and only counted.
package gate

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Gate judges connections. A nil Gate, or one with a nil Admit, admits
// every connection.
type Gate struct {
	// Admit reports whether a connection from remote to local may be
	// served. It is called at most once per connection, from the first
	// request's handler goroutine.
	Admit   func(remote, local net.Addr) bool
	refused atomic.Int64
}

type connKey struct{}

// conn is one connection and, once judged, its verdict.
type conn struct {
	once          sync.Once
	ok            bool
	remote, local net.Addr
}

// ConnContext is the http.Server ConnContext that remembers the connection.
func (g *Gate) ConnContext(ctx context.Context, c net.Conn) context.Context {
	if g == nil || g.Admit == nil {
		return ctx
	}
	return context.WithValue(ctx, connKey{}, &conn{remote: c.RemoteAddr(), local: c.LocalAddr()})
}

// Refuse answers 403 and reports true when r came on a connection that is
// not admitted; the caller must then do nothing else with r.
func (g *Gate) Refuse(w http.ResponseWriter, r *http.Request) bool {
	if g == nil || g.Admit == nil {
		return false
	}
	c, _ := r.Context().Value(connKey{}).(*conn)
	if c == nil {
		return false
	}
	c.once.Do(func() { c.ok = g.Admit(c.remote, c.local) })
	if c.ok {
		return false
	}
	g.refused.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"error":"access_denied","error_description":"this server answers only the client under test"}`))
	return true
}

// Refused is the number of requests refused.
func (g *Gate) Refused() int {
	if g == nil {
		return 0
	}
	return int(g.refused.Load())
}
