package refclient

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// floodChunk is the size of the flood variant's writes.
const floodChunk = 64 << 10

// Sizes of the hostile variants, which a test may lower through the
// environment to keep its run short: EnvFloodMiB (default 300) and
// EnvHammerCount (default 10,000).
const (
	EnvFloodMiB    = "WIFDSL_CLIENT_FLOOD_MIB"
	EnvHammerCount = "WIFDSL_CLIENT_HAMMER_COUNT"
)

// floodChunks is how many chunks the flood variant writes.
func floodChunks() int { return envInt(EnvFloodMiB, 300) << 20 / floodChunk }

// hammerCount is how many token requests the hammer variant sends.
func hammerCount() int { return envInt(EnvHammerCount, 10000) }

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// blockForever never returns. It sleeps rather than blocking on a channel,
// so the runtime's deadlock detector cannot end the process. Tests replace
// it.
var blockForever = func() {
	for {
		time.Sleep(time.Hour)
	}
}

// killSelf ends the process with SIGKILL, so the parent sees a death by
// signal rather than an exit status. Tests replace it.
var killSelf = func() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	blockForever()
}

// flood writes floodChunks() chunks of floodChunk bytes to w, stopping at the
// first write error.
func flood(w io.Writer) {
	chunk := bytes.Repeat([]byte("flood-output-"), floodChunk/13+1)[:floodChunk-1]
	chunk = append(chunk, '\n')
	for range floodChunks() {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// startOrphan starts "sleep 300" in the client's process group, holding the
// client's stdout and stderr when they are files, and does not wait for it:
// it outlives the client and keeps its output pipes open.
func startOrphan(stdout, stderr io.Writer) error {
	cmd := exec.Command("sleep", "300")
	if f, ok := stdout.(*os.File); ok {
		cmd.Stdout = f
	}
	if f, ok := stderr.(*os.File); ok {
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
