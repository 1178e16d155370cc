package engine

// forgetDerived drops what front ends derived from the observations
// through Memo (an evaluation context holds every observation again, as
// cty values): once the checks are judged nothing reads it, and a run keeps
// every case's result until its reports are written.
func (o *Observations) forgetDerived() {
	o.memo.Clear()
}
