package cli

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// skeleton is the scenario file `wifdsl new` writes; %[1]s is the
// scenario name.
//
//go:embed skeleton.hcl
var skeleton string

// Skeleton returns the scenario file `wifdsl new` writes for a scenario
// called name.
func Skeleton(name string) string {
	q := strconv.Quote(name)
	return fmt.Sprintf(skeleton, q[1:len(q)-1])
}

func newNewCmd(stdout, stderr io.Writer) *cobra.Command {
	var name string
	var force bool
	cmd := &cobra.Command{
		Use:   "new [FILE]",
		Short: "Write a commented scenario file to start from",
		Long: `New writes a commented scenario skeleton: requirements, a scenario with an
assertion, a context and two cases, checks (one with named values over the
observations), and variants of the bundled client that trip each check. It
validates and proves as written, so an author starts from something that
runs. With no FILE, or "-", it writes to stdout; it never overwrites a file
unless --force.`,
		Example: `  wifdsl new my-scenario.hcl && wifdsl prove my-scenario.hcl
  wifdsl new --name examples/no-secret > no-secret.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return exitCode(ExitUsage, errors.New("--name must not be empty"))
			}
			src := Skeleton(name)
			if len(args) == 0 || args[0] == "-" {
				_, err := io.WriteString(stdout, src)
				return err
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(args[0], flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return exitCode(ExitUsage, fmt.Errorf("%s exists; give --force to overwrite it", args[0]))
			}
			if err != nil {
				return exitCode(ExitUsage, err)
			}
			if _, err := io.WriteString(f, src); err != nil {
				f.Close()
				return exitCode(ExitUsage, err)
			}
			if err := f.Close(); err != nil {
				return exitCode(ExitUsage, err)
			}
			fmt.Fprintf(stderr, "wrote %s; next: wifdsl validate %s && wifdsl prove %s\n", args[0], args[0], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "my/first-scenario", "the scenario name (MCP_CONFORMANCE_SCENARIO)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}
