package engine

import "sync"

// memo keeps values computed once per key: what front ends derive from
// the observations (Observations.Memo) or from an environment snapshot
// (Env.View).
type memo struct{ m sync.Map }

// get returns the value stored under key, computing it with build the
// first time.
func (m *memo) get(key any, build func() any) any {
	if v, ok := m.m.Load(key); ok {
		return v
	}
	v, _ := m.m.LoadOrStore(key, build())
	return v
}

// forgetDerived drops what front ends derived from the observations
// through Memo (an evaluation context holds every observation again, as
// cty values): once the checks are judged nothing reads it, and a run keeps
// every case's result until its reports are written.
func (o *Observations) forgetDerived() {
	o.memo.m.Clear()
}
