package redo

import "strconv"

// Op is a LogMiner operation: the OPERATION_CODE of a V$LOGMNR_CONTENTS
// row, and the kind of a parsed Statement (OpInsert, OpUpdate or OpDelete).
type Op uint8

// The OPERATION_CODE values Oracle documents for V$LOGMNR_CONTENTS that
// redoflow names. The reader mines the transaction control rows (OpStart,
// OpCommit, OpRollback) and the DML rows (OpInsert, OpDelete, OpUpdate) and
// skips every other code.
const (
	OpInsert           Op = 1
	OpDelete           Op = 2
	OpUpdate           Op = 3
	OpDDL              Op = 5
	OpStart            Op = 6
	OpCommit           Op = 7
	OpSelectLOBLocator Op = 9
	OpLOBWrite         Op = 10
	OpLOBTrim          Op = 11
	OpSelectForUpdate  Op = 25
	OpMissingSCN       Op = 34
	OpRollback         Op = 36
	OpUnsupported      Op = 255
)

// String returns the text of V$LOGMNR_CONTENTS.OPERATION for op ("INSERT",
// "COMMIT", "SEL_LOB_LOCATOR", ...), or "Op(n)" for a code not named above.
func (op Op) String() string {
	switch op {
	case OpInsert:
		return "INSERT"
	case OpDelete:
		return "DELETE"
	case OpUpdate:
		return "UPDATE"
	case OpDDL:
		return "DDL"
	case OpStart:
		return "START"
	case OpCommit:
		return "COMMIT"
	case OpSelectLOBLocator:
		return "SEL_LOB_LOCATOR"
	case OpLOBWrite:
		return "LOB_WRITE"
	case OpLOBTrim:
		return "LOB_TRIM"
	case OpSelectForUpdate:
		return "SELECT_FOR_UPDATE"
	case OpMissingSCN:
		return "MISSING_SCN"
	case OpRollback:
		return "ROLLBACK"
	case OpUnsupported:
		return "UNSUPPORTED"
	}
	return "Op(" + strconv.Itoa(int(op)) + ")"
}
