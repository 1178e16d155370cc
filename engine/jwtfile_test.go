package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/report"
)

// countingClaims mints a new jti each time, like an assertion without a
// fixed jti.
type countingClaims struct{ n *atomic.Int64 }

func (c countingClaims) Claims(env *engine.Env, now time.Time) (jwt.Claims, error) {
	return jwt.Claims{
		Issuer: "https://idp.test", Subject: "agent",
		Audience: []string{env.URL("auth", "token_endpoint")},
		IssuedAt: now, Expiry: now.Add(time.Minute), ID: fmt.Sprintf("jti-%d", c.n.Add(1)),
	}, nil
}

func (countingClaims) Preview() map[string]string { return nil }

// The harness writes the JWT file before the launch, names it in the
// context and the platform variables, rewrites it with fresh tokens while
// the client runs, records every version and removes it afterwards. The
// client here waits until the content changed, so at least two versions
// exist whatever the scheduling.
func TestJWTFileIsWrittenAndRewritten(t *testing.T) {
	var seen *engine.Observations
	c := handCase(check("seen", engine.MUST, func(o *engine.Observations) bool { seen = o; return true }))
	c.Assertions[0].Claims = countingClaims{n: new(atomic.Int64)}
	c.JWTFile = &engine.JWTFileSpec{Assertion: "workload", RewriteEvery: 20 * time.Millisecond}
	cmd := `for v in WIFDSL_JWT_FILE AWS_WEB_IDENTITY_TOKEN_FILE AZURE_FEDERATED_TOKEN_FILE; do echo "$v=$(printenv $v)"; done
echo "ctx=$MCP_CONFORMANCE_CONTEXT" | sed 's/"valid_jwt":"[^"]*"//'
first=$(cat "$WIFDSL_JWT_FILE")
while [ "$(cat "$WIFDSL_JWT_FILE")" = "$first" ]; do sleep 0.01; done
ls -a "$(dirname "$WIFDSL_JWT_FILE")"; :`
	res := engine.RunCase(context.Background(), c, engine.Options{Command: cmd, Timeout: 10 * time.Second})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	jf := seen.JWTFile
	if jf == nil || jf.Path == "" || !strings.HasSuffix(jf.Path, "/"+engine.JWTFileName) {
		t.Fatalf("JWT file observation %+v", jf)
	}
	out := seen.Client.Stdout
	for _, v := range engine.JWTFileEnv {
		if !strings.Contains(out, v+"="+jf.Path+"\n") {
			t.Errorf("%s does not name the JWT file in %q", v, out)
		}
	}
	if !strings.Contains(out, `"jwt_file":"`+jf.Path+`"`) {
		t.Errorf("the context does not name the JWT file: %q", out)
	}
	if strings.Contains(out, ".token-") {
		t.Errorf("a temporary file was left beside the JWT file: %q", out)
	}
	if len(jf.Versions) < 2 || jf.VersionCount != len(jf.Versions) {
		t.Fatalf("%d versions (count %d), want at least 2", len(jf.Versions), jf.VersionCount)
	}
	if jf.Versions[0].Token != seen.Env.Assertions["workload"].Token {
		t.Errorf("version 1 is not the minted assertion")
	}
	jtis := map[any]bool{}
	for i, v := range jf.Versions {
		if v.Seq != i+1 || (i > 0 && v.At < jf.Versions[i-1].At) {
			t.Errorf("version %d: seq %d at %v", i, v.Seq, v.At)
		}
		if _, _, err := jwt.Decode(v.Token); err != nil {
			t.Errorf("version %d is not a JWT: %v", v.Seq, err)
		}
		jtis[v.Claims["jti"]] = true
	}
	if len(jtis) != len(jf.Versions) {
		t.Errorf("versions share a jti: %v", jtis)
	}
	for _, v := range jf.Versions {
		if !containsString(res.Secrets, v.Token) {
			t.Errorf("version %d is not among the secrets to redact", v.Seq)
		}
	}
	if r := report.NewRedactor(res).Redact(jf.Versions[1].Token); r != "[redacted assertion workload, JWT file version 2]" {
		t.Errorf("version 2 redacted as %q", r)
	}
	if _, err := os.Stat(jf.Path); !os.IsNotExist(err) {
		t.Errorf("the JWT file outlived the case: %v", err)
	}
}

// Without an interval the file is written once; an unknown assertion is a
// harness error of the case.
func TestJWTFileOnceAndErrors(t *testing.T) {
	var seen *engine.Observations
	c := handCase(check("seen", engine.MUST, func(o *engine.Observations) bool { seen = o; return true }))
	c.JWTFile = &engine.JWTFileSpec{Assertion: "workload"}
	res := engine.RunCase(context.Background(), c, engine.Options{Command: `test "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")" = "$(printenv MCP_CONFORMANCE_CONTEXT | sed 's/.*"valid_jwt":"\([^"]*\)".*/\1/')"; exit $?; :`})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	if seen.Client.ExitCode != 0 || seen.JWTFile == nil || seen.JWTFile.VersionCount != 1 {
		t.Errorf("exit %d, observation %+v: want the file to hold valid_jwt, written once", seen.Client.ExitCode, seen.JWTFile)
	}
	c = handCase()
	c.JWTFile = &engine.JWTFileSpec{Assertion: "missing"}
	if res := engine.RunCase(context.Background(), c, engine.Options{Command: "true"}); !strings.Contains(res.Error, `no assertion "missing"`) {
		t.Errorf("error %q", res.Error)
	}
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
