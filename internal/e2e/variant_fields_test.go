package e2e_test

import (
	"slices"
	"testing"

	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/internal/refclient"
)

// A variant block has exactly the deviations the reference client
// applies (the hostile ones aside, which test the runner, not a check):
// neither can gain a field the other does not know.
func TestVariantBlockMatchesClient(t *testing.T) {
	client := slices.DeleteFunc(refclient.VariantFields(), func(f string) bool { return f == "hostile" })
	block := dsl.VariantAttributes()
	slices.Sort(client)
	slices.Sort(block)
	if !slices.Equal(client, block) {
		t.Errorf("variant block attributes %q\nreference client fields %q", block, client)
	}
}
