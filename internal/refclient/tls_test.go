package refclient

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/tlsca"
)

func TestCheckNoDowngrade(t *testing.T) {
	for _, tc := range []struct {
		token string
		via   []string
		bad   bool
	}{
		{"http://127.0.0.1:1/token", []string{"http://127.0.0.1:2/mcp", "http://127.0.0.1:1"}, false},
		{"https://127.0.0.1:1/token", []string{"https://127.0.0.1:2/mcp", "https://127.0.0.1:1"}, false},
		{"http://127.0.0.1:3/token", []string{"https://127.0.0.1:2/mcp", "https://127.0.0.1:1"}, true},
		{"http://127.0.0.1:3/token", []string{"http://127.0.0.1:2/mcp", "https://127.0.0.1:1"}, true},
	} {
		err := checkNoDowngrade(tc.token, tc.via...)
		if (err != nil) != tc.bad || (err != nil && !errors.Is(err, ErrDowngrade)) {
			t.Errorf("checkNoDowngrade(%s, %v) = %v", tc.token, tc.via, err)
		}
	}
}

func TestTrustedRootsFromTheEnvironment(t *testing.T) {
	for _, k := range caFileEnv {
		t.Setenv(k, "")
	}
	if pool, err := trustedRoots(); pool != nil || err != nil {
		t.Errorf("no CA variable: %v, %v; want the system roots", pool, err)
	}
	ca, err := tlsca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WIFDSL_CA_FILE", file)
	pool, err := trustedRoots()
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.ServerConfig().Certificates[0].Leaf
	if _, err := leaf.Verify(x509VerifyOptions(pool)); err != nil {
		t.Errorf("the server certificate does not verify under the roots: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", bad)
	if _, err := trustedRoots(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a file without certificates: %v", err)
	}
}

func TestReadJWTFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte("  a.b.c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := readJWTFile(path); err != nil || tok != "a.b.c" {
		t.Errorf("readJWTFile = %q, %v", tok, err)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readJWTFile(path); err == nil {
		t.Error("an empty file was accepted")
	}
	if _, err := readJWTFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
}

// The stale variant returns the first copy only after two rewrites; the
// writer here rewrites whenever the reader has had time to see a change,
// so the test does not depend on timing.
func TestStaleJWTFileWaitsForTwoRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	write := func(s string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Error(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Error(err)
		}
	}
	write("v1")
	done := make(chan string)
	go func() {
		tok, err := staleJWTFile(context.Background(), path)
		if err != nil {
			t.Error(err)
		}
		done <- tok
	}()
	for i := 2; ; i++ {
		select {
		case tok := <-done:
			if tok != "v1" {
				t.Errorf("stale variant sent %q, want the first copy", tok)
			}
			if i < 4 {
				t.Errorf("returned after %d rewrites, want at least 2", i-2)
			}
			return
		case <-time.After(30 * time.Millisecond):
			write("v" + string(rune('0'+i%10)))
		}
	}
}

func x509VerifyOptions(pool *x509.CertPool) x509.VerifyOptions {
	return x509.VerifyOptions{DNSName: "127.0.0.1", Roots: pool}
}
