package wifdsl_test

import (
	"context"
	"testing"
	"time"
	"os"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/testclient"
)

func TestZZExp(t *testing.T) {
	plan := &engine.Plan{}
	for range 5 {
		plan.Scenarios = append(plan.Scenarios, builtinPlan(t).Scenarios...)
	}
	cmd := testclient.Command(os.Getenv("ZZBUG"))
	if c := os.Getenv("ZZCMD"); c != "" { cmd = c }
	start := time.Now()
	res, err := engine.Run(context.Background(), plan, engine.Options{Command: cmd, Parallel: 8, Timeout: 8 * time.Second, FailFast: time.Second})
	if err != nil { t.Fatal(err) }
	t.Logf("%d cases in %v ok=%v", len(res.Cases), time.Since(start), res.OK())
}
