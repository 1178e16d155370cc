package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultOutputCap bounds how much of each of the client's stdout and
// stderr is kept; the rest is counted and discarded.
const DefaultOutputCap = 1 << 20

// cappedBuffer keeps the first cap bytes written to it and counts the rest.
type cappedBuffer struct {
	mu    sync.Mutex
	buf   []byte
	cap   int
	total int64
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	if room := b.cap - len(b.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		b.buf = append(b.buf, p[:room]...)
	}
	return len(p), nil
}

func (b *cappedBuffer) result() (string, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf), b.total, b.total > int64(len(b.buf))
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
}

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

// startClient starts the client in its own process group.
func startClient(command string, args []string, env []string, outputCap int) (*clientProcess, error) {
	if outputCap <= 0 {
		outputCap = DefaultOutputCap
	}
	argv, viaShell := clientArgv(command, args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &clientProcess{
		cmd:      cmd,
		stdout:   &cappedBuffer{cap: outputCap},
		stderr:   &cappedBuffer{cap: outputCap},
		exited:   make(chan struct{}),
		viaShell: viaShell,
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
	go p.drain(outR, p.stdout)
	go p.drain(errR, p.stderr)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *clientProcess) drain(r io.Reader, w io.Writer) {
	defer p.readers.Done()
	buf := make([]byte, 64<<10)
	_, _ = io.CopyBuffer(w, r, buf)
}

// killGroup sends SIGKILL to the client's whole process group.
func (p *clientProcess) killGroup() {
	if p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// finish kills whatever is left of the process group, waits for the exit
// and for the output readers (at most grace after the exit), and closes
// the pipes.
func (p *clientProcess) finish(grace time.Duration) {
	p.killGroup()
	<-p.exited
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

// waitCtx is a helper that waits for ch or ctx.
func waitCtx(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
