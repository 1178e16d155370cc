package dsl

import (
	"sync"
	"sync/atomic"
)

// forEach calls f(0) … f(n-1), on up to workers goroutines that take the
// indexes in order; with one worker or fewer, on the calling goroutine. It
// returns when every call has.
func forEach(n, workers int, f func(i int)) {
	if workers = min(workers, n); workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}
