package worker

import "errors"

var (
	// ErrInvalidConfig wraps every error of Config.Validate. Fatal.
	ErrInvalidConfig = errors.New("worker: invalid configuration")
	// ErrStaleEpoch refuses a command of an epoch older than the newest seen.
	ErrStaleEpoch = errors.New("worker: command from an older leader epoch")
	// ErrNoLeader fails a checkpoint when no leader of the task's epoch is known: nothing
	// is published. Retryable by the leader restarting the task.
	ErrNoLeader = errors.New("worker: no leader of the task's epoch")
	// ErrNoSlot refuses an assignment when every slot is busy.
	ErrNoSlot = errors.New("worker: no free slot")
)
