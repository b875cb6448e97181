package ha

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Register implements Registry in memory: the registration lasts until ctx is done, a later
// Register with the same ID replaces it, or Close.
func (n *None) Register(ctx context.Context, w Worker) (Registration, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if old := n.workers[w.ID]; old != nil {
		old.endLocked(fmt.Errorf("%w: replaced by a new registration of %s", ErrRegistrationLost, w.ID))
	}
	r := &noneRegistration{n: n, w: w, done: make(chan struct{})}
	n.workers[w.ID] = r
	n.notifyLocked()
	// AfterFunc runs no goroutine until ctx is done; stop releases it when the
	// registration ends first.
	r.stop = context.AfterFunc(ctx, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		r.endLocked(fmt.Errorf("%w: %w", ErrRegistrationLost, context.Cause(ctx)))
	})
	return r, nil
}

// Workers implements Registry. The channel is fed by a goroutine tracked in n.wg.
func (n *None) Workers(ctx context.Context) <-chan []Worker {
	out := make(chan []Worker, 1)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer close(out)
		var last []Worker
		first := true
		for {
			n.mu.Lock()
			ws, ch, closed := n.workersLocked(), n.changed, n.closed
			n.mu.Unlock()
			if closed {
				return
			}
			if first || !slices.Equal(ws, last) {
				first, last = false, ws
				select {
				case <-out:
				default:
				}
				out <- ws
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (n *None) workersLocked() []Worker {
	ws := make([]Worker, 0, len(n.workers))
	for _, r := range n.workers {
		ws = append(ws, r.w)
	}
	slices.SortFunc(ws, func(a, b Worker) int { return strings.Compare(a.ID, b.ID) })
	return ws
}

type noneRegistration struct {
	n    *None
	w    Worker
	done chan struct{}
	err  error // guarded by n.mu
	stop func() bool
}

func (r *noneRegistration) endLocked(err error) {
	if r.err != nil {
		return
	}
	r.err = err
	close(r.done)
	if r.n.workers[r.w.ID] == r {
		delete(r.n.workers, r.w.ID)
		r.n.notifyLocked()
	}
	if r.stop != nil {
		r.stop()
	}
}

func (r *noneRegistration) Done() <-chan struct{} { return r.done }

// ValidUntil implements Registration: the in-memory registry lives in the
// worker's own process, so a registration holds until it ends.
func (r *noneRegistration) ValidUntil() time.Time {
	select {
	case <-r.done:
		return time.Time{}
	default:
		return time.Now().Add(time.Hour)
	}
}

func (r *noneRegistration) Err() error {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.err
}
