package e2e_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wifdsl/wifdsl/internal/prove"
)

var update = flag.Bool("update", false, "rewrite docs/variants.md from the proof matrices")

const variantsDoc = "../../docs/variants.md"

// The generated sections of docs/variants.md, between these markers.
func markers(section string) (string, string) {
	return "<!-- generated: " + section + " -->\n", "<!-- end: " + section + " -->\n"
}

var docMu sync.Mutex

// checkVariantsDoc compares the section of docs/variants.md generated from
// a proof matrix with the matrix, or rewrites it with -update: the list of
// variants and what they trip stays true.
func checkVariantsDoc(t *testing.T, section string, res *prove.Result) {
	t.Helper()
	docMu.Lock()
	defer docMu.Unlock()
	b, err := os.ReadFile(variantsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	begin, end := markers(section)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", variantsDoc, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	var buf bytes.Buffer
	prove.WriteMarkdown(&buf, res)
	want := doc[:i+len(begin)] + buf.String() + doc[j:]
	if *update {
		if err := os.WriteFile(variantsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != doc {
		t.Errorf("%s section %q is stale; run go test ./internal/e2e -run 'Prove' -update and review the change\n--- generated ---\n%s", variantsDoc, section, buf.String())
	}
}
