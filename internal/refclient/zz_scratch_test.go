package refclient

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestScratchBinary(t *testing.T) {
	for _, c := range []struct{ bug, te string }{{"crash", "invalid_grant"}, {"hammer", ""}, {"hammer", "invalid_grant"}, {"fork", ""}, {"flood", ""}, {"hang-start", ""}, {"", ""}, {"exit-zero", "invalid_grant"}} {
		f := newFake(t, func(f *fake) { f.tokenError = c.te })
		cj, _ := json.Marshal(map[string]string{"valid_jwt": testJWT(t, "aud"), "client_id": "c"})
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		args := []string{f.mcpURL()}
		if c.bug != "" {
			args = []string{"-bug", c.bug, f.mcpURL()}
		}
		cmd := exec.CommandContext(ctx, "/tmp/wifclient", args...)
		if c.bug == "hang-start" {
			ctx2, cancel2 := context.WithTimeout(ctx, 2*time.Second)
			defer cancel2()
			cmd = exec.CommandContext(ctx2, "/tmp/wifclient", args...)
		}
		cmd.Env = append(os.Environ(), "MCP_CONFORMANCE_CONTEXT="+string(cj))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if len(out) > 400 {
			t.Logf("output len %d, tail %q", len(out), out[len(out)-400:])
		} else {
			t.Logf("output %q", out)
		}
		t.Logf("== %s/%s: err=%v state=%v elapsed=%v tokens=%d", c.bug, c.te, err, cmd.ProcessState, time.Since(start), len(f.tokenRequests()))
		cancel()
	}
}
