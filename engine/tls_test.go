package engine_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wifdsl/wifdsl/engine"
)

// A case in TLS mode gets https:// servers and the CA file in every CA
// variable; the file holds a CA certificate under which the servers
// verify, and it is gone once the run is over.
func TestTLSModeHandsTheCAToTheClient(t *testing.T) {
	var seen *engine.Observations
	c := handCase(check("seen", engine.MUST, func(o *engine.Observations) bool { seen = o; return true }))
	c.TLS = true
	cmd := `echo "url=$1"; for v in SSL_CERT_FILE NODE_EXTRA_CA_CERTS REQUESTS_CA_BUNDLE WIFDSL_CA_FILE; do echo "$v=$(printenv $v)"; done; cat "$WIFDSL_CA_FILE"; :`
	res, err := engine.Run(context.Background(), &engine.Plan{Scenarios: []*engine.Scenario{{Name: "hand", Cases: []*engine.Case{c}}}},
		engine.Options{Command: cmd, Env: []string{"PATH=" + os.Getenv("PATH"), "SSL_CERT_FILE=/inherited"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cases[0].Error != "" {
		t.Fatal(res.Cases[0].Error)
	}
	out := seen.Client.Stdout
	if !strings.Contains(out, "url=https://127.0.0.1:") {
		t.Errorf("the client did not get an https URL: %q", out)
	}
	if !seen.TLS.Enabled || seen.TLS.CAFile == "" {
		t.Fatalf("TLS observation %+v", seen.TLS)
	}
	for _, v := range engine.CAFileEnv {
		if !strings.Contains(out, v+"="+seen.TLS.CAFile+"\n") {
			t.Errorf("%s is not the CA file in %q", v, out)
		}
	}
	block, _ := pem.Decode([]byte(out[strings.Index(out, "-----BEGIN"):]))
	if block == nil {
		t.Fatalf("no PEM certificate in the CA file: %q", out)
	}
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !caCert.IsCA {
		t.Fatalf("CA file holds no CA certificate (%v)", err)
	}
	for _, s := range seen.Env.Servers {
		for k, u := range s.URLs {
			if !strings.HasPrefix(u, "https://127.0.0.1:") {
				t.Errorf("server %s %s = %q, want https", s.Name, k, u)
			}
		}
	}
	if _, err := os.Stat(seen.TLS.CAFile); !os.IsNotExist(err) {
		t.Errorf("the CA file outlived the run: %v", err)
	}
}

// Options.TLS turns TLS mode on for cases that do not ask for it, and a
// case run on its own makes its own CA and removes it.
func TestTLSOptionAndRunCase(t *testing.T) {
	var seen *engine.Observations
	c := handCase(check("seen", engine.MUST, func(o *engine.Observations) bool { seen = o; return true }))
	res := engine.RunCase(context.Background(), c, engine.Options{Command: `echo "url=$1 ca=$WIFDSL_CA_FILE"; test -s "$WIFDSL_CA_FILE"; exit $?; :`, TLS: true})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	if !strings.Contains(seen.Client.Stdout, "url=https://") || seen.Client.ExitCode != 0 {
		t.Errorf("client saw %q and exited %d", seen.Client.Stdout, seen.Client.ExitCode)
	}
	if _, err := os.Stat(seen.TLS.CAFile); !os.IsNotExist(err) {
		t.Errorf("the CA file outlived the case: %v", err)
	}
	// Plain HTTP stays the default and sets no CA variable.
	c = handCase(check("seen", engine.MUST, func(o *engine.Observations) bool { seen = o; return true }))
	res = engine.RunCase(context.Background(), c, engine.Options{Command: `echo "url=$1 ca=${WIFDSL_CA_FILE-unset}"`, Env: []string{"PATH=" + os.Getenv("PATH")}})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	if !strings.Contains(seen.Client.Stdout, "url=http://") || !strings.Contains(seen.Client.Stdout, "ca=unset") || seen.TLS.Enabled {
		t.Errorf("plain case: client saw %q, TLS %+v", seen.Client.Stdout, seen.TLS)
	}
}

// The cases of a run in TLS mode share one CA, made by the first that
// needs it and removed with the run; a case in plain HTTP beside them
// makes none.
func TestTLSCasesShareTheRunCA(t *testing.T) {
	var seen []*engine.Observations
	var mu sync.Mutex
	mk := func(name string, tls bool) *engine.Case {
		c := handCase(check("seen", engine.MUST, func(o *engine.Observations) bool {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, o)
			return true
		}))
		c.Name, c.TLS = name, tls
		return c
	}
	plan := &engine.Plan{Scenarios: []*engine.Scenario{{Name: "hand", Cases: []*engine.Case{mk("a", true), mk("plain", false), mk("b", true)}}}}
	res, err := engine.Run(context.Background(), plan, engine.Options{Command: "/bin/true", Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Error != "" {
			t.Fatalf("%s: %s", c.Case, c.Error)
		}
	}
	files := map[string]bool{}
	for _, o := range seen {
		if o.TLS.Enabled {
			files[o.TLS.CAFile] = true
		} else if o.TLS.CAFile != "" {
			t.Errorf("a plain case got a CA file %q", o.TLS.CAFile)
		}
	}
	if len(seen) != 3 || len(files) != 1 {
		t.Fatalf("%d cases seen, CA files %v: want 3 cases and one CA", len(seen), files)
	}
	for f := range files {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("the CA file outlived the run: %v", err)
		}
	}
}
