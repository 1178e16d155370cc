//go:build !linux

package engine

import "syscall"

// clientSysProcAttr puts the client in its own process group. Outside
// Linux there is no parent-death signal: a client outlives a wifdsl that
// is killed with SIGKILL.
func clientSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
