package dsl

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// MaxFileSize bounds one scenario file.
const MaxFileSize = 16 << 20

// Parser reads scenario files in HCL native syntax (*.hcl) and in HCL's
// JSON form (*.hcl.json), and keeps their sources for rendering
// diagnostics with snippets.
type Parser struct {
	p *hclparse.Parser
}

// NewParser returns an empty Parser.
func NewParser() *Parser { return &Parser{p: hclparse.NewParser()} }

// Files returns the sources parsed so far, by file name, as
// hcl.NewDiagnosticTextWriter wants them.
func (p *Parser) Files() map[string]*hcl.File { return p.p.Files() }

// IsScenarioFile reports whether name has a scenario file extension.
func IsScenarioFile(name string) bool {
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")
}

// ParseSource parses src as the file name; the syntax follows the name's
// extension (.json means the JSON form).
func (p *Parser) ParseSource(name string, src []byte) (*hcl.File, hcl.Diagnostics) {
	if strings.HasSuffix(name, ".json") {
		return p.p.ParseJSON(src, name)
	}
	return p.p.ParseHCL(src, name)
}

// ParsePaths parses files and directories; a directory contributes every
// scenario file below it, in lexical order.
func (p *Parser) ParsePaths(paths []string) ([]*hcl.File, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read scenario file",
				Detail:   fmt.Sprintf("The path %q cannot be read: %s.", path, osReason(err)),
			})
			continue
		}
		if !fi.IsDir() {
			names = append(names, path)
			continue
		}
		var found []string
		_ = filepath.WalkDir(path, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cannot read scenario directory",
					Detail:   fmt.Sprintf("The path %q cannot be read: %s.", q, osReason(err)),
				})
				return nil
			}
			if !d.IsDir() && IsScenarioFile(d.Name()) {
				found = append(found, q)
			}
			return nil
		})
		if len(found) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No scenario files",
				Detail:   fmt.Sprintf("The directory %q holds no *.hcl or *.hcl.json files.", path),
			})
		}
		sort.Strings(found)
		names = append(names, found...)
	}
	var files []*hcl.File
	for _, name := range names {
		f, ds := p.ParseFile(name)
		diags = append(diags, ds...)
		if f != nil {
			files = append(files, f)
		}
	}
	return files, diags
}

// ParseFile parses one file from disk.
func (p *Parser) ParseFile(name string) (*hcl.File, hcl.Diagnostics) {
	fi, err := os.Stat(name)
	if err == nil && fi.Size() > MaxFileSize {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Scenario file too large",
			Detail:   fmt.Sprintf("The file %q is %d bytes; scenario files are limited to %d bytes.", name, fi.Size(), MaxFileSize),
		}}
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read scenario file",
			Detail:   fmt.Sprintf("The file %q cannot be read: %s.", name, osReason(err)),
		}}
	}
	return p.ParseSource(name, src)
}

func osReason(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
