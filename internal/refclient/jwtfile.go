package refclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// envJWTFile names the file that holds the workload JWT when the context
// has no jwt_file. AWS_WEB_IDENTITY_TOKEN_FILE and the like are not read:
// an inherited one would make the client use a real platform token.
const envJWTFile = "WIFDSL_JWT_FILE"

// maxJWTFile bounds the JWT file read.
const maxJWTFile = 64 << 10

// readJWTFile reads the workload JWT from path: the whole file, without
// surrounding whitespace. Its errors never quote the content.
func readJWTFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("refclient: JWT file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJWTFile+1))
	if err != nil {
		return "", fmt.Errorf("refclient: JWT file: %w", err)
	}
	if len(b) > maxJWTFile {
		return "", fmt.Errorf("refclient: JWT file %s is larger than %d bytes", path, maxJWTFile)
	}
	tok := string(bytes.TrimSpace(b))
	if tok == "" {
		return "", fmt.Errorf("refclient: JWT file %s is empty", path)
	}
	return tok, nil
}

// staleJWTFile is the stale-jwt-file variant: it reads the file once, then
// waits (up to staleWait) until the file has been rewritten twice, and
// returns the copy it read first.
func staleJWTFile(ctx context.Context, path string) (string, error) {
	first, err := readJWTFile(path)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, staleWait)
	defer cancel()
	seen, last := 0, first
	for seen < 2 {
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			break // not rewritten in time: the copy is as fresh as it gets
		}
		cur, err := readJWTFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if err == nil && cur != last {
			seen++
			last = cur
		}
	}
	return first, nil
}

// staleWait bounds the stale-jwt-file variant's wait for rewrites.
const staleWait = 5 * time.Second
