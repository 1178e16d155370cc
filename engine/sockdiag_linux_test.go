//go:build linux

package engine

import (
	"net"
	"os"
	"testing"
)

// TestDiagInodeMatchesProc: the netlink look-up and /proc/net/tcp name the
// same socket, the one this process holds.
func TestDiagInodeMatchesProc(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, dst := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
	ino, ok := diagInode(src, dst)
	if !ok {
		t.Skip("sock_diag not available")
	}
	var fromProc string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if fromProc = findSocket(file, procAddr(src, file), procAddr(dst, file)); fromProc != "" {
			break
		}
	}
	if ino == "" || ino != fromProc {
		t.Fatalf("sock_diag says %q, /proc/net/tcp says %q", ino, fromProc)
	}
	if !holds(os.Getpid(), "socket:["+ino+"]") {
		t.Errorf("this process does not hold socket %s", ino)
	}
	if other, _ := diagInode(&net.TCPAddr{IP: src.IP, Port: 1}, dst); other != "" {
		t.Errorf("a socket that does not exist has inode %s", other)
	}
}
