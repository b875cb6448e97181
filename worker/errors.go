package worker

import "errors"

var (
	// ErrNoLeader fails a checkpoint when no leader of the task's epoch is known: nothing
	// is published. Retryable by the leader restarting the task.
	ErrNoLeader = errors.New("worker: no leader of the task's epoch")
	// ErrNoSlot refuses an assignment when every slot is busy.
	ErrNoSlot = errors.New("worker: no free slot")
	// ErrFenced stops a task's writes once the worker's registration lease may
	// have run out: the leader may already have moved the task.
	ErrFenced = errors.New("worker: fenced")
	// ErrBuildTask refuses an assignment whose task could not be built (its
	// configuration, the database); the answer carries the error's class, and the
	// leader counts it as a failure of the attempt.
	ErrBuildTask = errors.New("worker: build task")
)
