package cli

import (
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// DefaultCompileMemory bounds how much the heap may grow while the scenario
// files are compiled. Compiling evaluates expressions (locals, variables,
// generated cases, the checks against placeholders); one that builds a huge
// value without calling a function, such as a for expression nested over
// large lists, is out of reach of the evaluation budgets of the dsl
// package. WIFDSL_COMPILE_MEMORY_MIB replaces the bound.
const DefaultCompileMemory = 2 << 30

// compileGuarded runs compile under a heap watchdog: when the heap grows by
// more than the bound, it returns a diagnostic saying so instead of letting
// the process run out of memory and die in a runtime fatal error. The
// compilation cannot be stopped from outside: it is abandoned, and the
// command exits with status 2 at once, which ends it.
func compileGuarded(compile func() *compiled) *compiled {
	limit := int64(DefaultCompileMemory)
	if v, err := strconv.ParseInt(os.Getenv("WIFDSL_COMPILE_MEMORY_MIB"), 10, 64); err == nil && v > 0 {
		limit = v << 20
	}
	done := make(chan *compiled, 1)
	go func() { done <- compile() }()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() int64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(sample[0].Value.Uint64())
	}
	base := heap()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case c := <-done:
			return c
		case <-tick.C:
			if grown := heap() - base; grown > limit {
				return &compiled{files: map[string]*hcl.File{}, origin: "the scenario files", diags: hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Scenario evaluation out of budget",
					Detail: fmt.Sprintf("Compiling the scenario files made the heap grow by %d MiB, more than the %d MiB allowed (WIFDSL_COMPILE_MEMORY_MIB): an expression builds a value far too large, such as a for expression nested over large lists. Compilation was stopped.",
						grown>>20, limit>>20),
				}}}
			}
		}
	}
}
