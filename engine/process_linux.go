//go:build linux

package engine

import "syscall"

// clientSysProcAttr puts the client in its own process group and asks the
// kernel to send it SIGKILL when wifdsl dies, also by SIGKILL, which no
// handler of wifdsl's can see (PR_SET_PDEATHSIG). The signal follows the
// death of the thread that started the client; Go keeps its threads for
// the life of the process unless a goroutine locked to one ends, which
// wifdsl never does around a client start.
func clientSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
