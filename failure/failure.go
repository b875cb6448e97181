package failure

import "errors"

// ErrFatal is matched (errors.Is) by every error that restarting cannot fix.
var ErrFatal = errors.New("fatal")

// Class is an error's class as it travels between processes.
type Class string

// The classes.
const (
	// Retryable: a restart from the latest checkpoint may succeed (a dropped connection,
	// a lost worker). The restart strategy decides.
	Retryable Class = "retryable"
	// Fatal: restarting fails the same way; the job fails at once.
	Fatal Class = "fatal"
)

// fatalError marks an error fatal while keeping its message and chain.
type fatalError struct{ err error }

func (e *fatalError) Error() string        { return e.err.Error() }
func (e *fatalError) Unwrap() error        { return e.err }
func (e *fatalError) Is(target error) bool { return target == ErrFatal }

// MarkFatal marks err fatal; nil stays nil, and an error already fatal is returned as is.
func MarkFatal(err error) error {
	if err == nil || errors.Is(err, ErrFatal) {
		return err
	}
	return &fatalError{err}
}

// IsFatal reports whether err is fatal (errors.Is(err, ErrFatal)).
func IsFatal(err error) bool { return errors.Is(err, ErrFatal) }

// ClassOf returns err's class: Fatal when it is fatal, else Retryable.
func ClassOf(err error) Class {
	if IsFatal(err) {
		return Fatal
	}
	return Retryable
}

// ParseClass reads a class from the wire: "fatal" is Fatal; anything else, the empty
// string of a sender that sends no class included, is Retryable.
func ParseClass(s string) Class {
	if Class(s) == Fatal {
		return Fatal
	}
	return Retryable
}

// RemoteError is an error another process reported: its message and its class.
type RemoteError struct {
	Msg   string
	Class Class
}

// Remote returns the error another process reported as msg with class c.
func Remote(msg string, c Class) error { return &RemoteError{Msg: msg, Class: ParseClass(string(c))} }

func (e *RemoteError) Error() string { return e.Msg }

// Is matches ErrFatal when the remote side classed the error fatal.
func (e *RemoteError) Is(target error) bool { return target == ErrFatal && e.Class == Fatal }
