package redo

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The messages of these errors start with "logminer:", the prefix of the
// reader, which reports them in its logs and dead-letter files.

// ErrSyntax is matched (errors.Is) by every error Parse returns for a
// statement it cannot parse. Such a row is not retryable: the pipeline sends
// it to the dead-letter file or stops, as configured.
var ErrSyntax = errors.New("logminer: SQL_REDO syntax error")

// ErrDecode is matched by every error DecodeLiteral returns for a value it
// cannot turn into its canonical form.
var ErrDecode = errors.New("logminer: cannot decode value")

// SyntaxError reports where Parse stopped understanding a statement.
type SyntaxError struct {
	Pos  int    // byte offset into the statement
	Msg  string // what was expected
	Near string // the statement text from Pos, cut to a few dozen bytes
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("logminer: SQL_REDO syntax error at byte %d: %s, near %q", e.Pos, e.Msg, e.Near)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// DecodeError reports a value DecodeLiteral could not decode.
type DecodeError struct {
	Type    string // the Oracle data type as given
	Literal string // the raw literal, cut to a few hundred bytes
	Reason  string
	Err     error // the cause, if any (an *oracletype.UnsupportedError)
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("logminer: cannot decode %s value %q: %s", e.Type, e.Literal, e.Reason)
}

// Is makes errors.Is(err, ErrDecode) true.
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

func decodeErr(typ, lit, reason string) error {
	return &DecodeError{Type: typ, Literal: cut(lit, 200), Reason: reason}
}

// cut returns at most n bytes of s, not splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
