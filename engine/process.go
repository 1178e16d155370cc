package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultOutputCap bounds how much of each of the client's stdout and
// stderr is kept: the first half and the last half of it, so both how the
// client started and how it ended are in the record. What lies between is
// counted and searched for secrets, then discarded.
const DefaultOutputCap = 1 << 20

// scanCarry is how many of the stream's last bytes the secret search keeps
// at least between writes, so that a secret split across writes is still
// found; it keeps more when a secret is longer.
const scanCarry = 4 << 10

// maxListedSecrets bounds the secrets named in the note that replaces the
// bytes not kept.
const maxListedSecrets = 8

// cappedBuffer keeps the first and the last cap/2 bytes written to it,
// counts every byte, and notes each secret (as told by secrets, which may
// grow while the client runs) that appears anywhere in the stream, including
// the part not kept.
type cappedBuffer struct {
	mu      sync.Mutex
	cap     int
	head    []byte
	ring    []byte // the bytes past the head; once full, a ring
	ringPos int    // oldest byte of a full ring
	total   int64

	secrets func() []string
	found   []string
	carry   []byte // the stream's last bytes, at most scanCarry
	window  []byte // scratch for matches across writes
	needles map[string][]byte
}

func newCappedBuffer(capacity int, secrets func() []string) *cappedBuffer {
	if capacity <= 0 {
		capacity = DefaultOutputCap
	}
	return &cappedBuffer{cap: capacity, secrets: secrets}
}

func (b *cappedBuffer) tailCap() int { return b.cap / 2 }
func (b *cappedBuffer) headCap() int { return b.cap - b.tailCap() }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	b.scan(p)
	rest := p
	if room := b.headCap() - len(b.head); room > 0 {
		n := min(room, len(rest))
		b.head = append(b.head, rest[:n]...)
		rest = rest[n:]
	}
	b.keepTail(rest)
	return len(p), nil
}

// keepTail adds p to the tail ring.
func (b *cappedBuffer) keepTail(p []byte) {
	tc := b.tailCap()
	if tc == 0 || len(p) == 0 {
		return
	}
	if b.ring == nil {
		b.ring = make([]byte, 0, tc)
	}
	if len(p) >= tc {
		b.ring = append(b.ring[:0], p[len(p)-tc:]...)
		b.ringPos = 0
		return
	}
	if n := min(tc-len(b.ring), len(p)); n > 0 {
		b.ring = append(b.ring, p[:n]...)
		p = p[n:]
	}
	for len(p) > 0 {
		n := copy(b.ring[b.ringPos:], p)
		p = p[n:]
		b.ringPos = (b.ringPos + n) % tc
	}
}

// scan notes the secrets in p and in the seam between p and what came
// before it.
func (b *cappedBuffer) scan(p []byte) {
	if b.secrets == nil || len(p) == 0 {
		return
	}
	secrets := b.secrets()
	longest := 0
	for _, s := range secrets {
		if len(s) > longest {
			longest = len(s)
		}
	}
	if longest > 0 {
		seam := min(longest-1, len(b.carry))
		b.window = append(append(b.window[:0], b.carry[len(b.carry)-seam:]...), p[:min(len(p), longest-1)]...)
		for _, s := range secrets {
			if s == "" || slices.Contains(b.found, s) {
				continue
			}
			needle := b.needle(s)
			if bytes.Contains(p, needle) || bytes.Contains(b.window, needle) {
				b.found = append(b.found, s)
			}
		}
	}
	keep := max(scanCarry, longest)
	if len(p) >= keep {
		b.carry = append(b.carry[:0], p[len(p)-keep:]...)
		return
	}
	b.carry = append(b.carry, p...)
	if over := len(b.carry) - keep; over > 0 {
		b.carry = b.carry[:copy(b.carry, b.carry[over:])]
	}
}

func (b *cappedBuffer) needle(s string) []byte {
	if b.needles == nil {
		b.needles = map[string][]byte{}
	}
	n, ok := b.needles[s]
	if !ok {
		n = []byte(s)
		b.needles[s] = n
	}
	return n
}

// result returns what was kept, the byte count, and whether bytes were
// dropped. When they were, a note stands where they were, with the secrets
// found in the stream that the kept text does not show whole.
func (b *cappedBuffer) result() (string, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tail := b.ring
	if len(b.ring) == b.tailCap() && b.ringPos > 0 {
		tail = append(append(make([]byte, 0, len(b.ring)), b.ring[b.ringPos:]...), b.ring[:b.ringPos]...)
	}
	kept := int64(len(b.head) + len(tail))
	if b.total <= kept {
		return string(b.head) + string(tail), b.total, false
	}
	var sb strings.Builder
	sb.Grow(len(b.head) + len(tail) + 128)
	sb.Write(b.head)
	fmt.Fprintf(&sb, "\n[wifdsl: %d bytes of output not kept here]\n", b.total-kept)
	var hidden []string
	for _, s := range b.found {
		if !bytes.Contains(b.head, b.needle(s)) && !bytes.Contains(tail, b.needle(s)) {
			hidden = append(hidden, s)
		}
	}
	if len(hidden) > 0 {
		fmt.Fprintf(&sb, "[wifdsl: the bytes not kept contained %d secret(s):", len(hidden))
		for _, s := range hidden[:min(len(hidden), maxListedSecrets)] {
			sb.WriteString(" " + s)
		}
		sb.WriteString("]\n")
	}
	sb.Write(tail)
	return sb.String(), b.total, true
}

// clientProcess is one run of the client under test, in its own process
// group so that the whole group can be killed.
type clientProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *cappedBuffer
	readers        sync.WaitGroup
	exited         chan struct{}
	waitErr        error
	pipes          []*os.File
	viaShell       bool
	// tag marks the environment of every process of this run, so the
	// descendants that leave the process group can still be found.
	tag string
	// leaks searches both streams for the secrets in every form.
	leaks *leakScanner
}

// TagEnv names the environment variable that carries a client run's tag:
// random, one per run. Descendants inherit it, so those that leave the
// client's process group (setsid, setpgid, double fork) are still found and
// ended with the run.
const TagEnv = "WIFDSL_CLIENT_TAG"

// clientArgv turns the client command and its arguments into an argv. A
// command made of plain words runs directly, so its exit status and any
// signal are its own; one that uses shell syntax runs as
// `/bin/sh -c '<command> "$@"' wifdsl-client <args…>`, which is how the
// official harness appends the server URL.
func clientArgv(command string, args []string) (argv []string, viaShell bool) {
	if !strings.ContainsAny(command, "|&;<>()$`\\\"'*?[]#~=%{}!\n") {
		if words := strings.Fields(command); len(words) > 0 {
			return append(words, args...), false
		}
	}
	return append([]string{"/bin/sh", "-c", command + ` "$@"`, "wifdsl-client"}, args...), true
}

// startClient starts the client in its own process group, with a fresh
// tag in its environment. secrets, if set, lists the strings to look for
// in its output (see cappedBuffer).
func startClient(command string, args []string, env []string, outputCap int, secrets func() []string) (*clientProcess, error) {
	argv, viaShell := clientArgv(command, args)
	tag, err := newTag()
	if err != nil {
		return nil, fmt.Errorf("engine: client tag: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(filterEnv(env, TagEnv+"="), TagEnv+"="+tag)
	cmd.Stdin = nil
	cmd.SysProcAttr = clientSysProcAttr()
	p := &clientProcess{
		cmd:      cmd,
		stdout:   newCappedBuffer(outputCap, secrets),
		stderr:   newCappedBuffer(outputCap, secrets),
		exited:   make(chan struct{}),
		viaShell: viaShell,
		tag:      tag,
		leaks:    newLeakScanner(secrets),
	}
	// Own pipes rather than exec's copying goroutines: Wait then returns
	// when the client exits even if a descendant holds the pipes open.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("engine: stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("engine: stderr pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{outR, outW, errR, errW} {
			f.Close()
		}
		return nil, fmt.Errorf("engine: start client: %w", err)
	}
	outW.Close()
	errW.Close()
	p.pipes = []*os.File{outR, errR}
	p.readers.Add(2)
	go p.drain(outR, leakTee{p.stdout, p.leaks, 0})
	go p.drain(errR, leakTee{p.stderr, p.leaks, 1})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// drain copies r to w until r fails or ends. It reads into a small buffer
// first, and takes a pooled large one only once a read fills the small one:
// most clients write little or nothing, and a run drains two streams per
// case.
func (p *clientProcess) drain(r io.Reader, w io.Writer) {
	defer p.readers.Done()
	sp := smallDrainBuffers.Get().(*[]byte)
	defer smallDrainBuffers.Put(sp)
	buf := *sp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
		}
		if err != nil {
			break
		}
		if n == len(buf) && len(buf) == drainSmall {
			bp := drainBuffers.Get().(*[]byte)
			defer drainBuffers.Put(bp)
			buf = *bp
		}
	}
}

// drainSmall is the size of the first read buffer of an output stream.
const drainSmall = 4 << 10

// smallDrainBuffers and drainBuffers hold the read buffers of the
// clients' output streams, small and large.
var (
	smallDrainBuffers = sync.Pool{New: func() any {
		b := make([]byte, drainSmall)
		return &b
	}}
	drainBuffers = sync.Pool{New: func() any {
		b := make([]byte, 64<<10)
		return &b
	}}
)

func newTag() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// sweep kills every process whose environment carries the run's tag: the
// descendants that left the process group. It reads /proc, and does
// nothing where there is none. It repeats while it finds new processes, so
// that children forked during a pass are caught by the next one. It
// returns the pids it signalled.
//
// A descendant was created after the client, so, as long as the kernel
// has not wrapped its pid counter since, its pid lies between the
// client's and the last one allocated (/proc/sys/kernel/ns_last_pid): only
// those environments are read. After a wrap, or where that file is
// missing, every process is.
func (p *clientProcess) sweep() []int {
	needle := []byte("\x00" + TagEnv + "=" + p.tag + "\x00")
	self := os.Getpid()
	first := 0
	if p.cmd.Process != nil {
		first = p.cmd.Process.Pid
	}
	signalled := map[int]bool{}
	var pids []int
	var buf []byte // the environments read, one after another
	for pass := 0; pass < 50; pass++ {
		last, ok := lastPid()
		var names []string
		if bounded := ok && first > 0 && last >= first; bounded && last-first < maxProbedPids {
			// Few pids were handed out since the client's: ask /proc
			// for each rather than list it. The client itself has been
			// waited for; its pid is not one of them.
			names = make([]string, 0, last-first)
			for pid := first + 1; pid <= last; pid++ {
				names = append(names, strconv.Itoa(pid))
			}
		} else if names = procPids(); names == nil {
			return pids
		} else if bounded {
			names = slices.DeleteFunc(names, func(name string) bool {
				pid, err := strconv.Atoi(name)
				return err != nil || pid < first || pid > last
			})
		}
		fresh := 0
		for _, name := range names {
			pid, err := strconv.Atoi(name)
			if err != nil || pid == self {
				continue
			}
			env, err := readProcFile("/proc/"+name+"/environ", &buf)
			if err != nil || !hasEnvEntry(env, needle) || !threadGroupLeader(name) {
				continue
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !signalled[pid] {
				signalled[pid] = true
				pids = append(pids, pid)
				fresh++
			}
		}
		if fresh == 0 {
			return pids
		}
	}
	return pids
}

// lastPid is the last pid the kernel allocated in this pid namespace.
func lastPid() (int, bool) {
	f := nsLastPid()
	if f == nil {
		return 0, false
	}
	// The file is read afresh from its start each time: one system call
	// per sweep pass rather than four.
	var b [32]byte
	n, err := f.ReadAt(b[:], 0)
	if n == 0 && err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid, err == nil
}

// nsLastPid is /proc/sys/kernel/ns_last_pid, open for the life of the
// process, or nil where it cannot be read.
var nsLastPid = sync.OnceValue(func() *os.File {
	f, err := os.Open("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		return nil
	}
	return f
})

// readProcFile reads the whole of a /proc file (whose size /proc does not
// tell) into *buf, which it grows as needed and which the next read
// reuses, and returns what it read.
func readProcFile(name string, buf *[]byte) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*buf = b
			return b, nil
		}
		if err != nil {
			*buf = b
			return nil, err
		}
	}
}

// maxProbedPids bounds the pids sweep asks /proc for one by one; past it,
// it lists /proc instead.
const maxProbedPids = 256

// threadGroupLeader reports whether the task pid of /proc is a process, not
// another thread of one (whose /proc entry is there though not listed).
func threadGroupLeader(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			return strings.TrimSpace(v) == pid
		}
	}
	return false
}

// procPids lists the entries of /proc, or nil where there is no /proc.
func procPids() []string {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	return names
}

// procState returns the process group and the state letter of pid from
// /proc, or ok false when there is no such process (or no /proc).
func procState(pid string) (pgrp int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 || f[0] == "" {
		return 0, 0, false
	}
	pgrp, _ = strconv.Atoi(f[2])
	return pgrp, f[0][0], true
}

// running reports whether state is that of a process that can still run:
// not a zombie waiting to be reaped, not dead.
func running(state byte) bool { return state != 'Z' && state != 'X' && state != 'x' }

// waitGone waits, at most limit, until neither a member of the client's
// process group nor any of pids can run any more. SIGKILL ends a process
// asynchronously; a large one takes a moment to release its memory.
func (p *clientProcess) waitGone(pids []int, limit time.Duration) {
	if p.cmd.Process == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	deadline := time.Now().Add(limit)
	for delay := time.Millisecond; ; delay = min(2*delay, 20*time.Millisecond) {
		live := false
		for _, pid := range pids {
			if _, st, ok := procState(strconv.Itoa(pid)); ok && running(st) {
				live = true
				break
			}
		}
		// No member at all, not even a zombie: the group is gone.
		if !live && syscall.Kill(-pgid, 0) != nil {
			return
		}
		if !live && !p.groupRunning(pgid) {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(delay)
	}
}

// groupRunning reports whether a process of group pgid can still run.
func (p *clientProcess) groupRunning(pgid int) bool {
	names := procPids()
	if names == nil {
		return false // nothing more to learn without /proc
	}
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		if g, st, ok := procState(name); ok && g == pgid && running(st) {
			return true
		}
	}
	return false
}

// hasEnvEntry reports whether the NUL-separated environment env holds
// entry, which starts and ends with NUL, as a whole entry.
func hasEnvEntry(env, entry []byte) bool {
	return bytes.HasPrefix(env, entry[1:]) || bytes.Contains(env, entry)
}

// killGroup sends SIGKILL to the client's whole process group.
func (p *clientProcess) killGroup() {
	if p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// finish kills whatever is left of the process group and every tagged
// descendant outside it, waits until none of them can run any more (at
// most a few seconds: a process stuck in the kernel cannot be hurried),
// waits for the output readers (at most grace after that), and closes the
// pipes.
func (p *clientProcess) finish(grace time.Duration) {
	p.killGroup()
	<-p.exited
	p.waitGone(p.sweep(), 5*time.Second)
	done := make(chan struct{})
	go func() { p.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		// A descendant outside the group still holds a pipe: stop reading.
		for _, f := range p.pipes {
			f.Close()
		}
		<-done
	}
	for _, f := range p.pipes {
		f.Close()
	}
}

// exitStatus decodes the wait result into an exit code and signal name.
func (p *clientProcess) exitStatus() (code int, signal string) {
	st := p.cmd.ProcessState
	if st == nil {
		return -1, ""
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal().String()
	}
	var ee *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &ee) {
		return -1, ""
	}
	code = st.ExitCode()
	// A shell reports a child killed by signal N as exit status 128+N.
	if p.viaShell && code > 128 && code < 128+65 {
		return -1, syscall.Signal(code - 128).String()
	}
	return code, ""
}
