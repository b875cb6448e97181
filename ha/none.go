package ha

import (
	"context"
	"fmt"
	"sync"
)

// None is the elector of HA_MODE=NONE: a single coordinator without ZooKeeper. The first
// Campaign leads at once with epoch 1; a later Campaign waits until the current leadership
// is resigned and then leads with the next epoch. Values written by FencedSet live in memory
// for the life of the None value: without HA the coordinator finds its latest checkpoint in
// CHECKPOINT_DIR.
type None struct {
	mu      sync.Mutex
	epoch   int64
	leader  *noneLeadership // nil when nobody leads
	changed chan struct{}   // closed and replaced on every change of leader
	closed  bool
	values  map[string][]byte
	workers map[string]*noneRegistration // by worker ID
	wg      sync.WaitGroup               // Observe and Workers goroutines; Close waits for them
}

// NewNone returns an elector for a single coordinator.
func NewNone() *None {
	return &None{changed: make(chan struct{}), values: map[string][]byte{}, workers: map[string]*noneRegistration{}}
}

var (
	_ Elector  = (*None)(nil)
	_ Registry = (*None)(nil)
)

// Campaign implements Elector.
func (n *None) Campaign(ctx context.Context, candidate Candidate) (Leadership, error) {
	for {
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return nil, ErrClosed
		}
		if n.leader == nil {
			if err := ctx.Err(); err != nil {
				n.mu.Unlock()
				return nil, err
			}
			n.epoch++
			l := &noneLeadership{n: n, info: LeaderInfo{Candidate: candidate, Epoch: n.epoch}, done: make(chan struct{})}
			n.leader = l
			n.notifyLocked()
			n.mu.Unlock()
			return l, nil
		}
		ch := n.changed
		n.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Observe implements Elector. The channel is fed by a goroutine tracked in n.wg that ends
// when ctx is done or Close is called.
func (n *None) Observe(ctx context.Context) <-chan LeaderInfo {
	out := make(chan LeaderInfo, 1)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer close(out)
		var last LeaderInfo
		first := true
		for {
			n.mu.Lock()
			info, ch, closed := n.infoLocked(), n.changed, n.closed
			n.mu.Unlock()
			if closed {
				return
			}
			if first || info != last {
				first, last = false, info
				select {
				case <-out: // drop the unread older value: latest wins
				default:
				}
				out <- info
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

// Close ends the current leadership (ErrClosed), stops every Campaign and Observe, and
// waits for the Observe goroutines to end.
func (n *None) Close() error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for _, r := range n.workers {
			r.endLocked(ErrClosed)
		}
		if n.leader != nil {
			n.leader.endLocked(fmt.Errorf("%w: %w", ErrNotLeader, ErrClosed))
		}
		n.notifyLocked()
	}
	n.mu.Unlock()
	n.wg.Wait()
	return nil
}

func (n *None) infoLocked() LeaderInfo {
	if n.leader == nil {
		return LeaderInfo{}
	}
	return n.leader.info
}

func (n *None) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

type noneLeadership struct {
	n    *None
	info LeaderInfo
	done chan struct{}
	err  error // guarded by n.mu
}

func (l *noneLeadership) endLocked(err error) {
	if l.err != nil {
		return
	}
	l.err = err
	close(l.done)
	if l.n.leader == l {
		l.n.leader = nil
		l.n.notifyLocked()
	}
}

func (l *noneLeadership) Done() <-chan struct{} { return l.done }
func (l *noneLeadership) Epoch() int64          { return l.info.Epoch }
func (l *noneLeadership) Info() LeaderInfo      { return l.info }

func (l *noneLeadership) Err() error {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	return l.err
}

func (l *noneLeadership) FencedSet(_ context.Context, key string, value []byte) error {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	l.n.values[key] = append([]byte(nil), value...)
	return nil
}

func (l *noneLeadership) Get(_ context.Context, key string) ([]byte, error) {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	v, ok := l.n.values[key]
	if !ok {
		return nil, ErrNoKey
	}
	return append([]byte(nil), v...), nil
}

func (l *noneLeadership) Resign(context.Context) error {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	l.endLocked(fmt.Errorf("%w: resigned", ErrNotLeader))
	return nil
}
