package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// changedFlags lists the flags given on the command line.
func changedFlags(cmd *cobra.Command) map[string]bool {
	set := map[string]bool{}
	cmd.Flags().Visit(func(fl *pflag.Flag) { set[fl.Name] = true })
	return set
}

// checkRunFlags refuses flag values that would silently mean something
// else: an empty --client or --command (an unset variable in a CI script
// would otherwise run the bundled conformant client and pass), and a zero
// or negative budget (which would otherwise mean the default).
func checkRunFlags(f *runFlags) error {
	for _, name := range []string{"client", "command"} {
		v := f.client
		if name == "command" {
			v = f.command
		}
		if f.set[name] && strings.TrimSpace(v) == "" {
			return fmt.Errorf("--%s is empty: give the client command (to run the bundled reference client, leave out --%s)", name, name)
		}
	}
	for _, b := range []struct {
		name string
		set  bool
		zero bool
		neg  bool
	}{
		{"timeout", f.set["timeout"], f.timeout == 0, f.timeout < 0},
		{"fail-fast", f.set["fail-fast"], f.failFast == 0, f.failFast < 0},
	} {
		if b.neg || (b.set && b.zero) {
			return fmt.Errorf("--%s must be a positive duration such as 30s", b.name)
		}
	}
	return nil
}
