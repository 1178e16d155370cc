package dsl

import (
	"bytes"
	"runtime"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Large files in the native syntax are parsed in pieces on every CPU:
// lexing and parsing were most of the time `wifdsl validate` took on a
// file of a thousand scenarios.
//
// The file is cut before lines that start a top-level block (a letter in
// the first column), each piece is parsed from its own start position,
// and the top-level blocks of the pieces make one body. A cut that is not
// between top-level blocks (inside a block, a heredoc, a comment or a
// multi-line expression) leaves the piece before it unfinished, which is
// a syntax error; so when any piece has a diagnostic, or a piece holds
// top-level attributes, the file is parsed again in one piece and that
// result stands. Either way the result is the one ParseConfig gives.

// chunkedParseMin is the size from which a file is parsed in pieces.
const chunkedParseMin = 256 << 10

// parseConfig parses a native-syntax file, in pieces when it is large.
func parseConfig(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	workers := runtime.GOMAXPROCS(0)
	if len(src) < chunkedParseMin || workers < 2 {
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	cuts := topLevelCuts(src, workers*4)
	if len(cuts) < 2 {
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	type piece struct {
		body  *hclsyntax.Body
		diags hcl.Diagnostics
	}
	pieces := make([]piece, len(cuts))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := cuts[i]
				end := len(src)
				if i+1 < len(cuts) {
					end = cuts[i+1]
				}
				pos := hcl.Pos{Line: 1 + bytes.Count(src[:start], []byte("\n")), Column: 1, Byte: start}
				f, diags := hclsyntax.ParseConfig(src[start:end], filename, pos)
				if f != nil {
					pieces[i].body, _ = f.Body.(*hclsyntax.Body)
				}
				pieces[i].diags = diags
			}
		}()
	}
	for i := range cuts {
		next <- i
	}
	close(next)
	wg.Wait()
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}}
	for _, p := range pieces {
		if len(p.diags) > 0 || p.body == nil || len(p.body.Attributes) > 0 {
			return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
		}
		body.Blocks = append(body.Blocks, p.body.Blocks...)
	}
	first, last := pieces[0].body, pieces[len(pieces)-1].body
	body.SrcRange = hcl.RangeBetween(first.SrcRange, last.SrcRange)
	body.EndRange = last.EndRange
	// The file's Nav (hcl's own block naming, used by hcl's diagnostic
	// writer) is left out: WriteDiagnostics names blocks from the body.
	return &hcl.File{Body: body, Bytes: src}, nil
}

// topLevelCuts returns up to n offsets, the first 0, at line starts that
// begin with a letter, spread evenly over src.
func topLevelCuts(src []byte, n int) []int {
	cuts := []int{0}
	for i := 1; i < n; i++ {
		from := max(len(src)*i/n, cuts[len(cuts)-1]+1)
		at := -1
		for j := from; j < len(src)-1; j++ {
			if src[j] == '\n' {
				c := src[j+1]
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
					at = j + 1
					break
				}
			}
		}
		if at < 0 {
			break
		}
		if at > cuts[len(cuts)-1] {
			cuts = append(cuts, at)
		}
	}
	return cuts
}
