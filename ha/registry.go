package ha

import (
	"context"
	"time"
)

// Worker describes a registered worker process.
type Worker struct {
	// ID names the worker, unique within the cluster.
	ID string `json:"id"`
	// Address is where the worker serves the coordinator's commands (host:port).
	Address string `json:"address"`
	// Slots is how many tasks it runs at once (TASK_MANAGER_NUMBER_OF_TASK_SLOTS).
	Slots int `json:"slots"`
}

// Registration is held by a registered worker until Done closes.
type Registration interface {
	// Done is closed when the registration is gone: ctx of Register ended, or the store
	// may have dropped it (session expired or changed, or out of touch for 2/3 of the
	// session timeout). A worker whose registration is gone must stop its tasks: the leader
	// may already have moved them.
	Done() <-chan struct{}
	// Err says why Done closed; nil before.
	Err() error
	// ValidUntil is the instant before which the store cannot have dropped
	// the registration yet, by the worker's own monotonic clock; the zero
	// time once Done is closed. Unlike Done, it needs no notification to
	// arrive: a process resuming after a pause longer than its lease finds
	// the instant passed and stops writing at once (self-fencing).
	ValidUntil() time.Time
}

// Registry is the set of live workers.
type Registry interface {
	// Register adds w until ctx is done or the registration is lost (see Registration).
	// A registration left behind by an earlier process with the same ID is replaced.
	Register(ctx context.Context, w Worker) (Registration, error)
	// Workers returns a channel that receives the live workers, sorted by ID, at once and
	// after every change. A slow reader misses intermediate values but always receives the
	// latest. The channel is closed when ctx is done or the registry stops.
	Workers(ctx context.Context) <-chan []Worker
}
