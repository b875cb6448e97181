// Package ctxsleep is the pause of redoflow's retry loops: it ends early, with the
// context's error, when the context ends.
package ctxsleep

import (
	"context"
	"time"
)

// For waits d, or less if ctx ends first. It returns ctx.Err(): nil after a full pause,
// the context's error when ctx ended. A d of zero or less does not wait.
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
