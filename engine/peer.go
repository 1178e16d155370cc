package engine

import (
	"net"
	"sync"
	"time"
)

// clientPeers attributes the stub servers' connections to the client under
// test. A request on a connection that does not come from the client (or
// one of its descendants) is refused by the stub (403) and never reaches
// the records the checks read; it is only counted, and reports show the
// count (Observations.ForeignRequests). Before the client is started no
// connection is admitted.
type clientPeers struct {
	mu  sync.Mutex
	pid int
	tag string
	// ready is closed once the client is started (or will not be): the
	// client can connect before cmd.Start has even returned, so a
	// connection that arrives earlier waits for it.
	ready     chan struct{}
	readyOnce sync.Once
	initOnce  sync.Once
	// known are processes already found to hold a socket of the client:
	// they are looked at first.
	known []int
}

func (c *clientPeers) readyCh() chan struct{} {
	c.initOnce.Do(func() { c.ready = make(chan struct{}) })
	return c.ready
}

// started records the client's process; nil means it will not start.
func (c *clientPeers) started(p *clientProcess) {
	if p != nil && p.cmd.Process != nil {
		c.mu.Lock()
		c.pid, c.tag = p.cmd.Process.Pid, p.tag
		c.mu.Unlock()
	}
	ch := c.readyCh()
	c.readyOnce.Do(func() { close(ch) })
}

// peerWait bounds how long a connection waits for the client to be
// started before it is judged.
const peerWait = 10 * time.Second

func (c *clientPeers) client() (int, string, []int) {
	select {
	case <-c.readyCh():
	case <-time.After(peerWait):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid, c.tag, append([]int(nil), c.known...)
}

func (c *clientPeers) remember(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.known {
		if k == pid {
			return
		}
	}
	if len(c.known) < 16 {
		c.known = append(c.known, pid)
	}
}

// admit reports whether the connection from remote to local comes from
// the client; see admitPeer.
func (c *clientPeers) admit(remote, local net.Addr) bool {
	return admitPeer(c, remote, local)
}

// foreignRequests counts the requests both stubs refused.
func (st *runState) foreignRequests() int {
	n := 0
	for _, as := range st.authSeq {
		n += as.ForeignRequestCount()
	}
	for _, m := range st.mcps {
		n += m.ForeignRequestCount()
	}
	return n
}
