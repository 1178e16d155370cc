package engine

import (
	"sync"
	"sync/atomic"
)

// DefaultRetryBudget is how many more error responses of the token endpoint
// a client may provoke after the first before the fail-fast budget is over,
// however little time has passed. The fail-fast budget is otherwise wall
// time, so a client that hammers the token endpoint would be killed or not
// depending on how fast the machine answers it; with a count, its verdicts
// are the same on every run.
const DefaultRetryBudget = 100

// errorStorm counts the token endpoint's error responses and closes over
// when there are more than the budget allows after the first.
type errorStorm struct {
	n    atomic.Int64
	once sync.Once
	ch   chan struct{}
	init sync.Once
}

func (s *errorStorm) over() chan struct{} {
	s.init.Do(func() { s.ch = make(chan struct{}) })
	return s.ch
}

// note counts one error response; budget < 0 means no budget.
func (s *errorStorm) note(budget int) {
	if budget == 0 {
		budget = DefaultRetryBudget
	}
	if budget < 0 {
		return
	}
	if s.n.Add(1) > int64(budget)+1 {
		ch := s.over()
		s.once.Do(func() { close(ch) })
	}
}

// stormPhase is what a client killed for exceeding the retry budget was
// doing.
func stormPhase(budget int) string {
	if budget == 0 {
		budget = DefaultRetryBudget
	}
	return "after the token endpoint's error response, still sending token requests: more than " + itoa(budget) + " further error responses"
}
