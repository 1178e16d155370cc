package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/cobra"
	"github.com/wifdsl/wifdsl/dsl"
)

func newFmtCmd(stdout, stderr io.Writer) *cobra.Command {
	var check, showDiff bool
	cmd := &cobra.Command{
		Use:   "fmt [FILE|DIR ...]",
		Short: "Rewrite scenario files in canonical format",
		Long: `Fmt rewrites *.hcl files in the canonical HCL layout (hclwrite) and prints
the names of the files it changed. With -check it changes nothing and exits 1
when a file is not formatted; with -diff it prints the changes as a unified
diff. A file with syntax errors is left alone and reported (exit 2).
Files in the JSON form (*.hcl.json) are not touched.`,
		Example: "  wifdsl fmt .\n  wifdsl fmt -check -diff scenarios.hcl",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			files, err := hclFiles(args)
			if err != nil {
				return exitCode(ExitUsage, err)
			}
			p := dsl.NewParser()
			var diags hcl.Diagnostics
			unformatted := 0
			for _, name := range files {
				src, err := dsl.ReadFile(name)
				if err != nil {
					return exitCode(ExitUsage, fmt.Errorf("fmt: %w", err))
				}
				// Check the syntax first: formatting broken input could lose it.
				if _, ds := p.ParseSource(name, src); ds.HasErrors() {
					diags = append(diags, ds...)
					continue
				}
				out := hclwrite.Format(src)
				if bytes.Equal(src, out) {
					continue
				}
				unformatted++
				fmt.Fprintln(stdout, name)
				if showDiff {
					stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
				}
				if !check {
					if err := os.WriteFile(name, out, 0o644); err != nil {
						return exitCode(ExitUsage, fmt.Errorf("fmt: %w", err))
					}
				}
			}
			if diags.HasErrors() {
				writeDiags(stderr, p.Files(), diags)
				return exitCode(ExitUsage, fmt.Errorf("%d error(s): files with syntax errors were not formatted", countErrors(diags)))
			}
			if check && unformatted > 0 {
				return exitCode(ExitFailed, fmt.Errorf("%d file(s) not formatted", unformatted))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; exit 1 when a file is not formatted")
	cmd.Flags().BoolVar(&showDiff, "diff", false, "print the changes as a unified diff")
	return cmd
}

// hclFiles expands paths into the native-syntax scenario files below them.
func hclFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("fmt: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && q != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(q, ".hcl") {
				out = append(out, q)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fmt: %w", err)
		}
	}
	return out, nil
}
