package logminer

import (
	"errors"

	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/oraerr"
)

// Errors of the Reader. Fatal ones match ErrFatal as well (errors.Is): the
// pipeline must stop the job rather than restart it, because restarting
// would fail the same way or, worse, skip data. Every other error the
// Reader returns (besides the context's and the handler's own) is worth a
// restart from the last checkpoint.
var (
	// ErrFatal is matched by every error that restarting cannot fix. It is
	// failure.ErrFatal, the one class of fatal errors of every package.
	ErrFatal = failure.ErrFatal

	// ErrInvalidConfig: a ReaderConfig setting cannot work (fatal).
	ErrInvalidConfig = errors.New("logminer: invalid reader configuration")

	// ErrPrerequisite: the database is not set up for LogMiner capture:
	// not in ARCHIVELOG mode, or without full (ALL COLUMNS) supplemental
	// logging (fatal).
	ErrPrerequisite = errors.New("logminer: database prerequisite not met")

	// ErrTableNotFound: a configured table is not in ALL_TAB_COLUMNS (fatal).
	ErrTableNotFound = errors.New("logminer: table not found")

	// ErrMissingLog: redo the reader needs is gone: an archived log was
	// deleted, or a sequence is missing (ORA-01291 or a gap). Fatal: the
	// changes in it cannot be read, and skipping them would lose data.
	ErrMissingLog = errors.New("logminer: redo log missing")

	// ErrBadPosition: a Position that this reader did not write, or that
	// is damaged (fatal).
	ErrBadPosition = errors.New("logminer: bad position")

	// ErrUnparsable: a committed row could not be parsed or decoded and the
	// dead-letter policy is "fail" (fatal).
	ErrUnparsable = errors.New("logminer: unparsable row")

	// ErrInterrupted: reading failed after some changes of a transaction
	// were handed over and before its Boundary, so the Reader cannot start
	// over by itself without repeating them. Not fatal: restart from the
	// last checkpoint (whose position precedes those changes).
	ErrInterrupted = errors.New("logminer: transaction delivery interrupted")

	// ErrRetriesExhausted: the database kept failing with retryable errors
	// (dropped connections, ORA-03113) more times in a row than
	// ReaderConfig.RetryMax allows. Not fatal: restart from a checkpoint.
	ErrRetriesExhausted = errors.New("logminer: database unavailable, retries exhausted")
)

// fatal marks err fatal (failure.MarkFatal); nil stays nil.
func fatal(err error) error { return failure.MarkFatal(err) }

// IsFatal reports whether err must stop the job (errors.Is(err, ErrFatal)).
func IsFatal(err error) bool { return failure.IsFatal(err) }

// handlerError carries an error returned by the change.Handler so that Run
// hands it back unchanged instead of retrying.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// oraCode returns the ORA error number in err's chain, or 0 (internal/oraerr.Code).
func oraCode(err error) int { return oraerr.Code(err) }

// isRetryable reports whether err is a connection-level failure that a new
// session can cure (internal/oraerr.Retryable) and not marked fatal. Errors
// the database raises for what we asked (a missing table, a bad option) are
// not.
func isRetryable(err error) bool { return !IsFatal(err) && oraerr.Retryable(err) }
