package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// interruptSignals end a run: the running clients are killed, the servers
// closed, and every report (text, JSON, Markdown, --junit, -o) is written
// with what was observed so far; the exit status is 130 (ExitInterrupt)
// whichever signal it was. SIGHUP (the terminal closed) and SIGQUIT too.
// SIGPIPE ends the run only when stdout or stderr has lost its reader
// (wifdsl run … | head -1): the kernel also raises it when a stub server
// writes to a connection the client has already closed (common with TLS),
// and that write just fails with EPIPE.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE}

// interruptedError is the cause of an interrupted run.
type interruptedError struct{ why string }

func (e *interruptedError) Error() string { return "interrupted: " + e.why }

// interruptContext returns a context that is cancelled, with an
// *interruptedError as its cause, on any of interruptSignals or when
// interrupt is called. stop ends the signal handling, except for SIGPIPE,
// which stays caught for the life of the process (see keepSIGPIPE).
func interruptContext(parent context.Context) (ctx context.Context, interrupt func(why string), stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, len(interruptSignals))
	signal.Notify(sigs, interruptSignals...)
	done := make(chan struct{})
	var once sync.Once
	interrupt = func(why string) { cancel(&interruptedError{why: why}) }
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGPIPE && !outputGone(os.Stdout, os.Stderr) {
					continue
				}
				interrupt(signalName(s))
			case <-done:
				return
			}
		}
	}()
	stop = func() {
		once.Do(func() {
			signal.Stop(sigs)
			keepSIGPIPE()
			close(done)
			cancel(nil)
		})
	}
	return ctx, interrupt, stop
}

// keepSIGPIPE keeps SIGPIPE caught, so that a write to a closed stdout or
// stderr returns EPIPE rather than killing the process before it has told
// why it stops. Caught, not ignored: an ignored signal would be inherited
// by the clients wifdsl starts, a caught one is reset for them on exec.
func keepSIGPIPE() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

func signalName(s os.Signal) string {
	if ss, ok := s.(syscall.Signal); ok {
		switch ss {
		case syscall.SIGINT:
			return "SIGINT"
		case syscall.SIGTERM:
			return "SIGTERM"
		case syscall.SIGHUP:
			return "SIGHUP (the terminal closed)"
		case syscall.SIGQUIT:
			return "SIGQUIT"
		case syscall.SIGPIPE:
			return "SIGPIPE (an output pipe closed)"
		}
	}
	return s.String()
}

// interruptCause is why ctx was interrupted, or "".
func interruptCause(ctx context.Context) string {
	var ie *interruptedError
	if errors.As(context.Cause(ctx), &ie) {
		return ie.why
	}
	if ctx.Err() != nil {
		return ctx.Err().Error()
	}
	return ""
}

// outputGone reports whether one of files is a pipe or socket whose
// reading end has closed.
func outputGone(files ...*os.File) bool {
	for _, f := range files {
		fi, err := f.Stat()
		if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
			continue
		}
		fds := []unix.PollFd{{Fd: int32(f.Fd())}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return true
		}
	}
	return false
}

// watchClosedPipe calls gone once when f is a pipe or socket whose reading
// end has closed (wifdsl run … | head -1), polling until stop is closed.
// Nothing is watched for other kinds of files: a terminal that goes away
// sends SIGHUP, and a failed write is caught by the output writer.
func watchClosedPipe(f *os.File, gone func(why string), stop <-chan struct{}) {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return
	}
	fd := int(f.Fd())
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			// No events asked for: POLLERR and POLLHUP are always reported,
			// and a pipe's writing end reports POLLERR once no reader is left.
			fds := []unix.PollFd{{Fd: int32(fd)}}
			n, err := unix.Poll(fds, 200)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return
			}
			if n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
				gone(fmt.Sprintf("%s closed (nothing reads it any more)", f.Name()))
				return
			}
			if n == 0 {
				continue
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
}

// watchOutputs ends the run (interrupt) when stdout or stderr goes away:
// a failed write, or a pipe whose reader closed, until stop is closed.
func watchOutputs(interrupt func(why string), stop <-chan struct{}, outs ...io.Writer) {
	for _, w := range outs {
		t, ok := w.(*termOutput)
		if !ok {
			continue
		}
		t.setOnGone(interrupt)
		if f := t.file(); f != nil {
			watchClosedPipe(f, interrupt, stop)
		}
	}
}
