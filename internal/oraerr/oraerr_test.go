package oraerr_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/sijms/go-ora/v2/network"

	"github.com/redoflow/redoflow/internal/oraerr"
)

type coded struct{ code int }

func (e coded) Error() string { return fmt.Sprintf("ORA-%05d: simulated", e.code) }
func (e coded) OraCode() int  { return e.code }

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{network.NewOracleError(1017), 1017},
		{fmt.Errorf("wrapped: %w", network.NewOracleError(12514)), 12514},
		{coded{3113}, 3113},
		{errors.New("ORA-01291: missing logfile"), 1291},
		{errors.New("no code"), 0},
	} {
		if got := oraerr.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, false},
		{driver.ErrBadConn, true},
		{io.EOF, true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{os.ErrDeadlineExceeded, true},
		{&net.OpError{Op: "read", Err: errors.New("i/o timeout")}, true},
		{coded{3113}, true},
		{network.NewOracleError(12514), true}, // an instance starting registers its service late
		{coded{942}, false},                   // a missing table or grant
		{coded{1031}, false},
		{network.NewOracleError(1017), false},
		{errors.New("sql: connection is already closed"), true},
	} {
		if got := oraerr.Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if !oraerr.MissingGrant(coded{942}) || !oraerr.MissingGrant(coded{1031}) || oraerr.MissingGrant(io.EOF) || oraerr.MissingGrant(coded{1017}) {
		t.Error("MissingGrant is true for ORA-00942 and ORA-01031 only")
	}
}

// What each failure to connect is told as; the test of each against the simulator over
// go-ora is jobspec.TestConnectFailuresSayWhatFailed.
func TestConnect(t *testing.T) {
	target := oraerr.Target{Host: "db1", Port: 1521, Service: "ORCLPDB1", User: "cdc"}
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	for _, tc := range []struct {
		name      string
		err       error
		want      string
		permanent bool
	}{
		{"no such host", dial(&net.DNSError{Err: "no such host", Name: "db1", IsNotFound: true}), `DATABASE_HOST="db1" does not resolve`, true},
		{"dns down", dial(&net.DNSError{Err: "server misbehaving", Name: "db1", IsTemporary: true}), "could not be resolved", false},
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "nothing listens on db1:1521 (connection refused)", false},
		{"unreachable", dial(os.NewSyscallError("connect", syscall.ENETUNREACH)), "db1:1521 cannot be reached", false},
		{"no route", dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "db1:1521 cannot be reached", false},
		{"timeout", dial(os.ErrDeadlineExceeded), "db1:1521 did not answer in time", false},
		{"not a listener", io.EOF, "closed the connection before the login", false},
		{"unknown service", network.NewOracleError(12514), `does not know service "ORCLPDB1" (ORA-12514)`, false},
		{"unknown SID", network.NewOracleError(12505), `does not know SID "ORCLPDB1" (ORA-12505)`, true},
		{"bad login", network.NewOracleError(1017), `refused the login of "cdc" (ORA-01017`, true},
		{"locked", network.NewOracleError(28000), `the account "cdc" is locked (ORA-28000)`, true},
		{"expired", network.NewOracleError(28001), "has expired (ORA-28001)", true},
		{"no handler", network.NewOracleError(12516), "no free handler (ORA-12516)", false},
	} {
		err := oraerr.Connect(tc.err, target)
		var ce *oraerr.ConnectError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || ce.Permanent != tc.permanent || !errors.Is(err, tc.err) {
			t.Errorf("%s: Connect = %v (permanent %v), want %q (permanent %v) wrapping the cause", tc.name, err, ce != nil && ce.Permanent, tc.want, tc.permanent)
		}
	}
	// Not a failure to connect: the error as it is.
	for _, err := range []error{nil, coded{942}, context.Canceled} {
		if got := oraerr.Connect(err, target); got != err {
			t.Errorf("Connect(%v) = %v, want it unchanged", err, got)
		}
	}
}
