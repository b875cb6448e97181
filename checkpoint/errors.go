package checkpoint

import (
	"errors"
	"fmt"
)

// ErrNoCheckpoint is returned by Latest when no completed checkpoint exists.
var ErrNoCheckpoint = errors.New("checkpoint: no completed checkpoint")

// ErrCorrupt is matched by errors for metadata that fails its header,
// length or CRC check.
var ErrCorrupt = errors.New("checkpoint: corrupt metadata")

// UnreadableError is Latest's error when checkpoints exist but none checks
// out (all torn or damaged). It matches ErrNoCheckpoint.
type UnreadableError struct {
	Dir string
	IDs []int64 // the checkpoints found, ascending
	Err error   // why the newest one is unreadable
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("checkpoint: none of the %d checkpoints in %s is readable (the newest, chk-%d: %v)",
		len(e.IDs), e.Dir, e.IDs[len(e.IDs)-1], e.Err)
}

// Is makes an UnreadableError match ErrNoCheckpoint.
func (e *UnreadableError) Is(target error) bool { return target == ErrNoCheckpoint }

// Unwrap returns why the newest checkpoint is unreadable.
func (e *UnreadableError) Unwrap() error { return e.Err }
