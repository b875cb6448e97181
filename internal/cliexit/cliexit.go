// Package cliexit maps a command's error to redoflow's exit codes: 0 done
// (or stopped by a signal), 1 failed, 2 bad flags or configuration.
package cliexit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// The exit codes.
const (
	OK      = 0
	Failure = 1
	Usage   = 2
)

// UsageError marks a bad flag or setting.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Code reports err on stderr, prefixed by name, and returns the exit code.
func Code(ctx context.Context, name string, err error, stderr io.Writer) int {
	var ue UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return OK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return OK // stopped by a signal
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return Usage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return Failure
	}
}
