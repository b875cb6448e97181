package oraclesim

import (
	"errors"
	"fmt"
)

// OraError is an Oracle error as a client sees it: an ORA code and its
// message. Error() renders it the way Oracle does ("ORA-01291: missing
// logfile"). The TNS listener recognises it through the OraCode method, so
// any error in a chain that has OraCode() reaches go-ora with its code.
//
// errors.Is(err, target) matches two OraErrors by code alone, so the
// sentinels below can be used with errors.Is whatever the message details.
type OraError struct {
	Code    int
	Message string
}

// Error renders "ORA-NNNNN: message".
func (e *OraError) Error() string { return fmt.Sprintf("ORA-%05d: %s", e.Code, e.Message) }

// OraCode returns the ORA error number.
func (e *OraError) OraCode() int { return e.Code }

// Is matches any *OraError with the same code.
func (e *OraError) Is(target error) bool {
	t, ok := target.(*OraError)
	return ok && t.Code == e.Code
}

// oraErr builds an *OraError with a formatted message.
func oraErr(code int, format string, args ...any) *OraError {
	return &OraError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels, one per ORA code the simulator raises. Match with errors.Is; the
// returned errors carry the same code with a message naming the object.
var (
	// ErrUniqueConstraint: a primary key value already exists (ORA-00001).
	ErrUniqueConstraint = &OraError{Code: 1, Message: "unique constraint violated"}
	// ErrResourceBusy: the row is locked by another open transaction
	// (ORA-00054). Real Oracle would wait; the simulator answers NOWAIT.
	ErrResourceBusy = &OraError{Code: 54, Message: "resource busy and acquire with NOWAIT specified or timeout expired"}
	// ErrInvalidSQL: a statement the recognizer does not understand
	// (ORA-00900); the message quotes the statement.
	ErrInvalidSQL = &OraError{Code: 900, Message: "invalid SQL statement"}
	// ErrInvalidIdentifier: an unknown column (ORA-00904).
	ErrInvalidIdentifier = &OraError{Code: 904, Message: "invalid identifier"}
	// ErrTableNotFound: an unknown table or view (ORA-00942).
	ErrTableNotFound = &OraError{Code: 942, Message: "table or view does not exist"}
	// ErrNotNull: NULL into a NOT NULL column (ORA-01400).
	ErrNotNull = &OraError{Code: 1400, Message: "cannot insert NULL"}
	// ErrValueTooLarge: a value longer than its column (ORA-12899).
	ErrValueTooLarge = &OraError{Code: 12899, Message: "value too large for column"}
	// ErrNumberPrecision: a number wider than NUMBER(p,s) allows (ORA-01438).
	ErrNumberPrecision = &OraError{Code: 1438, Message: "value larger than specified precision allowed for this column"}
	// ErrInvalidNumber: text that is not a number (ORA-01722).
	ErrInvalidNumber = &OraError{Code: 1722, Message: "invalid number"}
	// ErrDateFormat: an NLS date format the simulator cannot interpret
	// (ORA-01821).
	ErrDateFormat = &OraError{Code: 1821, Message: "date format not recognized"}
	// ErrFileNotOpened: ADD_LOGFILE of a file that does not exist (ORA-01284).
	ErrFileNotOpened = &OraError{Code: 1284, Message: "file cannot be opened"}
	// ErrDuplicateLogfile: ADD_LOGFILE of a file already in the session
	// (ORA-01289).
	ErrDuplicateLogfile = &OraError{Code: 1289, Message: "cannot add duplicate logfile"}
	// ErrMissingLogfile: the added logs do not cover the requested SCN range,
	// have a sequence gap, or a file was purged or overwritten since it was
	// added (ORA-01291). Fatal for a reader: the redo is gone.
	ErrMissingLogfile = &OraError{Code: 1291, Message: "missing logfile"}
	// ErrNoLogfile: START_LOGMNR without any ADD_LOGFILE (ORA-01292).
	ErrNoLogfile = &OraError{Code: 1292, Message: "no log file has been specified for the current LogMiner session"}
	// ErrNoLogMinerSession: V$LOGMNR_CONTENTS before START_LOGMNR (ORA-01306).
	ErrNoLogMinerSession = &OraError{Code: 1306, Message: "dbms_logmnr.start_logmnr() must be invoked before selecting from v$logmnr_contents"}
	// ErrNoActiveLogMiner: END_LOGMNR without a session (ORA-01307).
	ErrNoActiveLogMiner = &OraError{Code: 1307, Message: "no LogMiner session is currently active"}
	// ErrSnapshotTooOld: AS OF SCN older than the undo retention (ORA-01555).
	ErrSnapshotTooOld = &OraError{Code: 1555, Message: "snapshot too old: rollback segment number  with name \"\" too small"}
	// ErrInvalidSCN: AS OF SCN beyond the current SCN (ORA-08181).
	ErrInvalidSCN = &OraError{Code: 8181, Message: "specified number is not a valid system change number"}
	// ErrSavepointNeverEstablished: ROLLBACK TO an unknown savepoint
	// (ORA-01086).
	ErrSavepointNeverEstablished = &OraError{Code: 1086, Message: "savepoint never established in this session or is invalid"}
	// ErrInvalidAlterSession: ALTER SESSION of an unsupported option
	// (ORA-02248).
	ErrInvalidAlterSession = &OraError{Code: 2248, Message: "invalid option for ALTER SESSION"}
	// ErrContinuousMine: the CONTINUOUS_MINE option, desupported since 19c
	// (ORA-44609).
	ErrContinuousMine = &OraError{Code: 44609, Message: "CONTINIOUS_MINE is desupported for use with DBMS_LOGMNR.START_LOGMNR."}
	// ErrUnimplemented: a feature real Oracle has that the simulator does not
	// (ORA-03001).
	ErrUnimplemented = &OraError{Code: 3001, Message: "unimplemented feature"}
	// ErrInjected: the error returned by FailNext when none is given
	// (ORA-03113, a dropped connection as Oracle reports it).
	ErrInjected = &OraError{Code: 3113, Message: "end-of-file on communication channel"}
	// ErrNotLoggedOn: the connection was dropped by DropConnections
	// (ORA-03114).
	ErrNotLoggedOn = &OraError{Code: 3114, Message: "not connected to ORACLE"}
)

// Non-ORA errors of the Go API.
var (
	// ErrClosed: the DB or transaction was already closed or finished.
	ErrClosed = errors.New("oraclesim: closed")
	// ErrInvalidConfig wraps every Config.Validate failure.
	ErrInvalidConfig = errors.New("oraclesim: invalid config")
)
