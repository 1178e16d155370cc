package engine

import "testing"

// A snapshot is shared until the environment changes, and what a front end
// derives from it (View) is built once per snapshot; an Env that is not a
// snapshot builds it each time.
func TestEnvSnapshotViews(t *testing.T) {
	st := &runState{env: &Env{Scenario: "s", Keys: map[string]*KeyInfo{}}}
	builds := 0
	view := func(e *Env) any {
		return e.View("k", func() any { builds++; return e.Scenario + "/" + e.Case })
	}
	a := st.envSnapshot()
	if b := st.envSnapshot(); b != a {
		t.Fatal("two snapshots of an unchanged environment differ")
	}
	if v := view(a); v != "s/" || builds != 1 {
		t.Fatalf("view %v after %d builds", v, builds)
	}
	if v := view(st.envSnapshot()); v != "s/" || builds != 1 {
		t.Errorf("view %v after %d builds, want 1: not kept", v, builds)
	}

	st.setEnv(func(e *Env) { e.Case = "c" })
	c := st.envSnapshot()
	if c == a {
		t.Fatal("the snapshot was kept after the environment changed")
	}
	if a.Case != "" {
		t.Error("a snapshot changed with the environment")
	}
	if v := view(c); v != "s/c" || builds != 2 {
		t.Errorf("view %v after %d builds, want s/c after 2", v, builds)
	}

	live := st.env
	view(live)
	view(live)
	if builds != 4 {
		t.Errorf("%d builds, want 4: a view of the live environment was kept", builds)
	}
}
