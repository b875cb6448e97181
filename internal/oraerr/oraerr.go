// Package oraerr classifies the errors of an Oracle database as redoflow's readers meet
// them: the ORA code in an error (Code), the failures a new session can cure (Retryable),
// and what a failed connection means for the person who configured it (Connect): a name
// that does not resolve, a network that does not carry packets, no listener on the port,
// a service or SID the listener does not know, a login refused or an account locked.
// Missing grants are told only for the codes Oracle gives them (ORA-00942, ORA-01031).
package oraerr

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/sijms/go-ora/v2/network"
)

// The ORA and TNS codes this package names.
const (
	TableOrViewMissing  = 942   // ORA-00942: table or view does not exist (or no grant on it)
	InvalidLogon        = 1017  // ORA-01017: invalid username/password; logon denied
	InsufficientPrivs   = 1031  // ORA-01031: insufficient privileges
	SnapshotTooOld      = 1555  // ORA-01555: snapshot too old
	AccountLocked       = 28000 // ORA-28000: the account is locked
	UnknownSID          = 12505 // ORA-12505: listener does not currently know of SID given in connect descriptor
	UnknownService      = 12514 // ORA-12514: listener does not currently know of service requested
	PasswordExpired     = 28001 // ORA-28001: the password has expired
	ListenerNoHandler   = 12516 // ORA-12516: listener could not find available handler
	ListenerRefusedConn = 12564 // ORA-12564: TNS connection refused
)

// Code returns the ORA error number in err's chain, or 0. It knows go-ora's error type,
// any error with an OraCode method (the simulator's), and, as a last resort, "ORA-NNNNN"
// in the message.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var oe *network.OracleError
	if errors.As(err, &oe) {
		return oe.ErrCode
	}
	var coder interface{ OraCode() int }
	if errors.As(err, &coder) {
		return coder.OraCode()
	}
	msg := err.Error()
	if i := strings.Index(msg, "ORA-"); i >= 0 && len(msg) >= i+9 {
		if n, err := strconv.Atoi(msg[i+4 : i+9]); err == nil {
			return n
		}
	}
	return 0
}

// retryableORA are the codes of a lost or unusable connection, or of a database on its
// way up or down: reconnect and go on.
var retryableORA = map[int]bool{
	1012:  true, // not logged on
	1033:  true, // initialization or shutdown in progress
	1034:  true, // ORACLE not available
	1089:  true, // immediate shutdown in progress
	1092:  true, // ORACLE instance terminated
	3113:  true, // end-of-file on communication channel
	3114:  true, // not connected to ORACLE
	3135:  true, // connection lost contact
	12153: true, 12170: true, 12514: true, 12528: true, 12537: true, 12541: true, 12547: true, 12560: true,
	25408: true, // can not safely replay call
}

// Retryable reports whether err is a connection-level failure that a new session can
// cure: a dropped or reset connection, a network error, an ORA code of a lost connection
// or of a database starting or stopping (ORA-12514 included: a restarting instance
// registers its services with the listener late). Errors the database raises for what
// was asked (a missing table, a bad option, ORA-00942) are not, nor a cancelled context.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	if code := Code(err); code != 0 {
		return retryableORA[code]
	}
	// Not an answer of the database: a transport or driver failure ("sql: connection is
	// already closed" and the like). A new session is the cure.
	return true
}

// MissingGrant reports whether err is Oracle's answer to a statement on an object the
// user may not read: ORA-00942 (which Oracle also gives for an object without a grant)
// or ORA-01031.
func MissingGrant(err error) bool {
	c := Code(err)
	return c == TableOrViewMissing || c == InsufficientPrivs
}
