//go:build linux

package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// admitPeer finds the socket of the connection's other end (sock_diag,
// else /proc/net/tcp and tcp6), then a process that holds it: the client, a
// descendant of it (by parent chain), or a process carrying the run's tag
// in its environment (a descendant that left the process tree). Where
// there is no /proc, every connection is admitted.
func admitPeer(c *clientPeers, remote, local net.Addr) bool {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		return true
	}
	pid, tag, known := c.client()
	if pid == 0 {
		return false
	}
	inode := socketInode(remote, local)
	if inode == "" {
		return false // the other end is gone: nothing to attribute it to
	}
	link := "socket:[" + inode + "]"
	for _, p := range append(known, pid) {
		if holds(p, link) {
			c.remember(p)
			return true
		}
	}
	// Descendants by parent chain, then tagged processes.
	parents := map[int]int{}
	names := procPids()
	for _, name := range names {
		p, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if pp, ok := procParent(name); ok {
			parents[p] = pp
		}
	}
	descends := func(p int) bool {
		for hops := 0; p > 1 && hops < 64; hops++ {
			if p == pid {
				return true
			}
			p = parents[p]
		}
		return false
	}
	for p := range parents {
		if p != pid && descends(p) && holds(p, link) {
			c.remember(p)
			return true
		}
	}
	needle := []byte("\x00" + TagEnv + "=" + tag + "\x00")
	for p := range parents {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p))
		if err != nil || !hasEnvEntry(env, needle) {
			continue
		}
		if holds(p, link) {
			c.remember(p)
			return true
		}
	}
	return false
}

// procParent returns the parent of a process from /proc/<pid>/stat.
func procParent(pid string) (int, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// holds reports whether process pid has an open descriptor on link
// ("socket:[inode]").
func holds(pid int, link string) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	d, err := os.Open(dir)
	if err != nil {
		return false
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if l, err := os.Readlink(dir + "/" + n); err == nil && l == link {
			return true
		}
	}
	return false
}

// socketInode returns the inode of the TCP socket whose local address is
// remote and whose remote address is local: the other end of a
// connection a stub accepted.
func socketInode(remote, local net.Addr) string {
	ra, ok1 := remote.(*net.TCPAddr)
	la, ok2 := local.(*net.TCPAddr)
	if !ok1 || !ok2 {
		return ""
	}
	if ino, ok := diagInode(ra, la); ok {
		return ino
	}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if ino := findSocket(file, procAddr(ra, file), procAddr(la, file)); ino != "" {
			return ino
		}
	}
	return ""
}

// procAddr writes a as /proc/net/tcp{,6} does: the address in host byte
// order per 32-bit word, then the port, in upper-case hex.
func procAddr(a *net.TCPAddr, file string) string {
	var ip []byte
	if strings.HasSuffix(file, "6") {
		ip = a.IP.To16()
	} else {
		ip = a.IP.To4()
	}
	if ip == nil {
		return ""
	}
	var sb strings.Builder
	for w := 0; w < len(ip); w += 4 {
		fmt.Fprintf(&sb, "%02X%02X%02X%02X", ip[w+3], ip[w+2], ip[w+1], ip[w])
	}
	fmt.Fprintf(&sb, ":%04X", a.Port)
	return sb.String()
}

func findSocket(file, localAddr, remAddr string) string {
	if localAddr == "" || remAddr == "" {
		return ""
	}
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, localAddr) {
			continue
		}
		fl := strings.Fields(line)
		if len(fl) >= 10 && fl[1] == localAddr && fl[2] == remAddr {
			return fl[9]
		}
	}
	return ""
}
