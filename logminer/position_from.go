package logminer

import "github.com/redoflow/redoflow/change"

// PositionFrom returns the Position that mines from restart but counts
// every transaction committed at or before floor as delivered: the stream
// after a snapshot read AS OF SCN floor, with restart the START_SCN of the
// oldest transaction open at that moment (V$TRANSACTION). Transactions open
// at floor then arrive whole, their changes before floor included, which
// the snapshot could not see.
func PositionFrom(restart, floor uint64) change.Position {
	p := position{restart: min(restart, floor), floor: floor}
	return p.encode()
}
