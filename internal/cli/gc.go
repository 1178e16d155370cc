package cli

import (
	"os"
	"runtime/debug"
)

// authoringGCPercent is the garbage collector's target for the commands
// that only read scenario files (validate, plan, list, fmt): short-lived
// processes whose time on a large file is mostly HCL's parser, which
// allocates about 170 bytes per byte of source. A larger target collects
// less often; measured on 1,000 scenarios of 4 cases it saves about a
// quarter of the CPU for about twice the peak memory (BENCHMARKS.md).
const authoringGCPercent = 300

// tuneGC sets the garbage collector's target for an authoring command,
// unless GOGC says otherwise, and returns what restores the previous one.
func tuneGC(args []string) (restore func()) {
	if len(args) == 0 || os.Getenv("GOGC") != "" {
		return func() {}
	}
	switch args[0] {
	case "validate", "plan", "list", "fmt":
		prev := debug.SetGCPercent(authoringGCPercent)
		return func() { debug.SetGCPercent(prev) }
	}
	return func() {}
}
