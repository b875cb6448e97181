package ha

import "errors"

var (
	// ErrNotLeader is returned by a Leadership's operations once its leadership has ended
	// (Done is closed): resigned, session lost, or elector stopped. Errors a Leadership
	// reports through Err wrap it. Not retryable with the same Leadership: campaign again.
	ErrNotLeader = errors.New("ha: not the leader")

	// ErrFenced is returned by FencedSet when the store refused the write because the
	// writer's leadership no longer holds there (a newer leader exists or is being elected),
	// even though the writer had not noticed yet. The write did not happen. Not retryable.
	ErrFenced = errors.New("ha: write fenced, leadership no longer holds")

	// ErrClosed is returned by an elector that has been stopped.
	ErrClosed = errors.New("ha: elector stopped")

	// ErrNoKey is returned by Get for a key that has never been written.
	ErrNoKey = errors.New("ha: no such key")
)

// ErrRegistrationLost ends a worker's Registration that the store may have dropped.
var ErrRegistrationLost = errors.New("ha: worker registration lost")
