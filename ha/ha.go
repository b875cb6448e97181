package ha

import (
	"context"
	"fmt"
)

// Candidate describes a process that campaigns for leadership. What it says is published
// to every observer while it leads.
type Candidate struct {
	// ID names the process, unique within the cluster (e.g. host:pid).
	ID string `json:"id"`
	// Address is where the leader serves its REST API (host:port); standbys forward there.
	Address string `json:"address"`
	// Internal is where the leader serves the internal protocol (host:port), which
	// workers call: checkpoints and task events.
	Internal string `json:"internal,omitempty"`
}

// LeaderInfo is the current leader as observers see it. The zero value means no leader.
type LeaderInfo struct {
	Candidate
	// Epoch of the leadership, > 0 when there is a leader.
	Epoch int64 `json:"epoch"`
}

// HasLeader reports whether the info names a leader.
func (i LeaderInfo) HasLeader() bool { return i.Epoch > 0 }

func (i LeaderInfo) String() string {
	if !i.HasLeader() {
		return "no leader"
	}
	return fmt.Sprintf("leader %s at %s, epoch %d", i.ID, i.Address, i.Epoch)
}

// Elector elects one leader among the candidates of a cluster.
type Elector interface {
	// Campaign blocks until candidate leads, ctx is done (ctx.Err()) or the elector stops
	// (ErrClosed). Cancelling ctx withdraws the candidate.
	Campaign(ctx context.Context, candidate Candidate) (Leadership, error)

	// Observe returns a channel that receives the current LeaderInfo at once and then every
	// change of leader (a zero LeaderInfo while there is none). A slow reader misses
	// intermediate values but always receives the latest. The channel is closed when ctx is
	// done or the elector stops.
	Observe(ctx context.Context) <-chan LeaderInfo
}

// Leadership is held by the elected candidate until Done closes.
type Leadership interface {
	// Done is closed when the leadership is lost or resigned. From then on the holder must
	// stop acting as leader; FencedSet fails.
	Done() <-chan struct{}

	// Err is nil while leading and says why the leadership ended afterwards; it wraps
	// ErrNotLeader.
	Err() error

	// Epoch is strictly larger than that of every earlier leadership of the cluster.
	Epoch() int64

	// Info is what observers see while this leadership holds.
	Info() LeaderInfo

	// FencedSet stores value under key (a relative path such as "checkpoints/latest") only
	// if this leadership still holds in the store, atomically with that check. It returns
	// ErrNotLeader when the leadership has ended locally, ErrFenced when the store refused
	// it, and another (retryable) error when the store could not be reached.
	FencedSet(ctx context.Context, key string, value []byte) error

	// Get reads a value written by FencedSet, under any leadership; ErrNoKey if there is none.
	Get(ctx context.Context, key string) ([]byte, error)

	// Resign gives up leadership at once so that a standby takes over without waiting for
	// a session timeout. Done is closed when it returns, also on error.
	Resign(ctx context.Context) error
}
