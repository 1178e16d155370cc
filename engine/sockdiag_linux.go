//go:build linux

package engine

import (
	"encoding/binary"
	"net"
	"strconv"
	"syscall"
)

// Netlink sock_diag (linux/sock_diag.h, linux/inet_diag.h).
const (
	netlinkSockDiag  = 4  // NETLINK_SOCK_DIAG
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgError       = 2  // NLMSG_ERROR
	nlmHdrLen        = 16
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagInodeOff = 68 // idiag_inode in struct inet_diag_msg
)

// diagInode asks the kernel for the inode of the TCP socket from local
// address src to dst, one exact look-up (no dump: it costs the same
// however many sockets, TIME_WAIT ones included, the machine has). ok is
// false when the question could not be asked, so the caller can fall back
// to /proc/net/tcp; inode is "" when there is no such socket.
func diagInode(src, dst *net.TCPAddr) (inode string, ok bool) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return "", false
	}
	defer syscall.Close(fd)
	tv := syscall.Timeval{Sec: 1}
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return "", false
	}
	asked := false
	for _, family := range []byte{syscall.AF_INET, syscall.AF_INET6} {
		msg, good := diagRequest(family, src, dst)
		if !good {
			continue
		}
		if err := syscall.Sendto(fd, msg, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
			return "", false
		}
		asked = true
		buf := make([]byte, 8192)
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil || n < nlmHdrLen {
			return "", false
		}
		typ := binary.NativeEndian.Uint16(buf[4:6])
		if typ == nlmsgError {
			continue // no such socket in this family
		}
		if typ == sockDiagByFamily && n >= nlmHdrLen+inetDiagInodeOff+4 {
			ino := binary.NativeEndian.Uint32(buf[nlmHdrLen+inetDiagInodeOff:])
			return strconv.FormatUint(uint64(ino), 10), true
		}
	}
	return "", asked
}

// diagRequest builds the SOCK_DIAG_BY_FAMILY request for one socket.
func diagRequest(family byte, src, dst *net.TCPAddr) ([]byte, bool) {
	msg := make([]byte, nlmHdrLen+inetDiagReqLen)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(msg[6:], syscall.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(msg[8:], 1)
	r := msg[nlmHdrLen:]
	r[0] = family
	r[1] = syscall.IPPROTO_TCP
	binary.NativeEndian.PutUint32(r[4:], 0xffffffff) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], uint16(src.Port))
	binary.BigEndian.PutUint16(id[2:], uint16(dst.Port))
	if family == syscall.AF_INET {
		s4, d4 := src.IP.To4(), dst.IP.To4()
		if s4 == nil || d4 == nil {
			return nil, false
		}
		copy(id[4:], s4)
		copy(id[20:], d4)
	} else {
		copy(id[4:], src.IP.To16())
		copy(id[20:], dst.IP.To16())
	}
	// No cookie to match (INET_DIAG_NOCOOKIE).
	binary.NativeEndian.PutUint32(id[40:], 0xffffffff)
	binary.NativeEndian.PutUint32(id[44:], 0xffffffff)
	return msg, true
}
