package engine

import (
	"errors"
	"fmt"
	"syscall"
)

// startFailure tells apart a client that cannot be started because wifdsl
// itself ran out of file descriptors (or the system did) — a harness
// error of the case, exit 2, saying so — from a client that cannot be
// started because its command is wrong, which the checks judge.
func startFailure(err error) error {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return fmt.Errorf("out of file descriptors: the client could not be started (raise the limit, ulimit -n, or run fewer cases at once, -j): %w", err)
	}
	return nil
}
