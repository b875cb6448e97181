package coordinator

import "errors"

var (
	// ErrInvalidConfig wraps every error of Config.Validate. Fatal.
	ErrInvalidConfig = errors.New("coordinator: invalid configuration")
	// ErrStaleEpoch refuses a report made under another leader's epoch.
	ErrStaleEpoch = errors.New("coordinator: report from another leader epoch")
	// ErrStaleAttempt refuses a report from a task attempt the leader no longer runs.
	ErrStaleAttempt = errors.New("coordinator: report from a task attempt that is no longer current")
)
