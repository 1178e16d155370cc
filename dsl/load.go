package dsl

import (
	"io/fs"
	"path"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/engine"
)

// Source says where scenario files come from.
type Source struct {
	// Paths are files and directories on disk; a directory contributes
	// every scenario file below it, in lexical order.
	Paths []string
	// Inline are files held in memory, such as the embedded built-in
	// suite, parsed after Paths.
	Inline []InlineFile
}

// InlineFile is a scenario file held in memory.
type InlineFile struct {
	Name  string // the file name diagnostics use; ".json" selects the JSON form
	Bytes []byte
}

// SourceFS reads the scenario files of dir in fsys (such as an embedded
// folder), in lexical order, as inline files named dir/<file>.
func SourceFS(fsys fs.FS, dir string) (Source, error) {
	var src Source
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return src, err
	}
	for _, e := range entries {
		if e.IsDir() || !IsScenarioFile(e.Name()) {
			continue
		}
		name := path.Join(dir, e.Name())
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return src, err
		}
		src.Inline = append(src.Inline, InlineFile{Name: name, Bytes: b})
	}
	return src, nil
}

// Loaded is what Load made of its sources, whatever it found.
type Loaded struct {
	// Plan is the compiled plan; nil when there is any error.
	Plan *engine.Plan
	// Config holds the decoded definitions, also after errors; nil when
	// the sources could not be parsed.
	Config *Config
	// Files are the parsed sources by name, for rendering diagnostics.
	Files map[string]*hcl.File
}

// Load is the front door of the package: it parses, decodes and compiles
// the sources into a plan. After decoding errors it still compiles, so
// that one pass reports as much as it can; the plan is kept only when no
// stage found an error.
func Load(src Source, opts Options) (*Loaded, hcl.Diagnostics) {
	p := NewParser()
	l := &Loaded{}
	var files []*hcl.File
	var diags hcl.Diagnostics
	if len(src.Paths) > 0 {
		files, diags = p.ParsePaths(src.Paths)
	}
	if len(src.Inline) > 0 {
		fs, ds := p.ParseSources(src.Inline)
		files, diags = append(files, fs...), append(diags, ds...)
	}
	l.Files = p.Files()
	if diags.HasErrors() {
		return l, diags
	}
	cfg, ds := DecodeWith(files, opts)
	diags = append(diags, ds...)
	l.Config = cfg
	plan, ds := cfg.Compile()
	diags = append(diags, ds...)
	if !diags.HasErrors() {
		l.Plan = plan
	}
	return l, diags
}

// Release drops what only compiling and inspecting needed, so that running
// the plan holds no more memory than the plan itself: the definitions of
// Config (requirements, check sets, scenarios, variables, variants,
// suites) and the syntax trees of Files, whose sources stay for rendering
// diagnostics. The plan keeps the expressions it evaluates late, the
// functions they call and the sources its messages quote. On the embedded
// catalogue the syntax trees are about half of a run's live heap, so half
// of its peak (BENCHMARKS.md, "The official catalogue"). After Release,
// Config is nil.
func (l *Loaded) Release() {
	if l.Config != nil {
		l.Config.release()
		l.Config = nil
	}
	files := make(map[string]*hcl.File, len(l.Files))
	for name, f := range l.Files {
		files[name] = &hcl.File{Bytes: f.Bytes}
	}
	l.Files = files
}

// release drops the definitions. What late evaluation uses stays: the
// evaluation context (the variables' values, the functions) and the
// sources.
func (cfg *Config) release() {
	cfg.Requirements, cfg.RequirementOrder, cfg.CheckSets, cfg.Scenarios = nil, nil, nil, nil
	cfg.Variables, cfg.Variants, cfg.Suites = nil, nil, nil
}
