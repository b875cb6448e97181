package tns

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned by the listener itself. Errors that reach a
// client travel as ORA errors (see oraError) and are never returned by Run.
var (
	// ErrInvalidConfig wraps every configuration problem reported by Validate.
	ErrInvalidConfig = errors.New("tns: invalid configuration")
	// ErrProtocol reports a client that sent bytes the listener does not
	// understand. The connection is closed; other sessions are unaffected.
	ErrProtocol = errors.New("tns: protocol error")
	// ErrClientClosed reports that the client ended the session (logoff and
	// final packet, or a closed socket). It is the normal end of a session.
	ErrClientClosed = errors.New("tns: client closed the connection")
)

// Oracle error codes the listener produces itself.
const (
	oraNoDataFound       = 1403  // end of fetch
	oraInvalidLogon      = 1017  // wrong password
	oraUserCancel        = 1013  // break received during a call
	oraInvalidCursor     = 1001  // cursor id unknown to this session
	oraFetchOutOfSeq     = 1002  // fetch on a cursor that has no open result
	oraMaxCursors        = 1000  // too many open cursors in one session
	oraInternal          = 600   // any backend error without an ORA code
	oraUnsupported       = 3115  // unsupported network datatype or representation
	oraInconsistentTypes = 932   // a value does not fit its described column type
	oraUnknownService    = 12514 // listener does not know the requested service
	oraUnknownSID        = 12505 // listener does not know the SID in the connect descriptor
)

// OraCoder is implemented by backend errors that carry an Oracle error code.
// Their Error() text is sent to the client as the message, e.g.
// "ORA-01291: missing logfile".
type OraCoder interface {
	OraCode() int
}

// oraError is an error as it travels to the client: a code and a message.
type oraError struct {
	code int
	msg  string
}

func (e *oraError) Error() string { return e.msg }
func (e *oraError) OraCode() int  { return e.code }

func newOraError(code int, format string, args ...any) *oraError {
	return &oraError{code: code, msg: fmt.Sprintf("ORA-%05d: ", code) + fmt.Sprintf(format, args...)}
}

// toOraError maps any error from the backend driver to what the client sees.
func toOraError(err error) *oraError {
	var oe *oraError
	if errors.As(err, &oe) {
		return oe
	}
	var oc OraCoder
	if errors.As(err, &oc) {
		code := oc.OraCode()
		msg := err.Error()
		if !strings.HasPrefix(msg, "ORA-") {
			msg = fmt.Sprintf("ORA-%05d: %s", code, msg)
		}
		return &oraError{code: code, msg: msg}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return newOraError(oraUserCancel, "user requested cancel of current operation")
	}
	return newOraError(oraInternal, "internal error code, arguments: [oraclesim], [%s]", err.Error())
}

// isBadConn reports errors after which the backend connection is unusable;
// the listener then drops the client's TCP connection so that the client sees
// a broken connection, as it would with a real database.
func isBadConn(err error) bool {
	return errors.Is(err, driver.ErrBadConn)
}
