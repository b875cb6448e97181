// Package change holds the types every part of redoflow passes around: a
// captured change, its table and its position in the redo stream. It is a
// leaf package (standard library only) so that embedding services can
// depend on it alone.
package change

import "time"

// Op is the kind of a change, as written to the _op column.
type Op byte

// The operations, with their CSV letters.
const (
	OpRead   Op = 'r' // a row read by the initial snapshot
	OpCreate Op = 'c' // INSERT
	OpUpdate Op = 'u' // UPDATE
	OpDelete Op = 'd' // DELETE
)

func (o Op) String() string { return string(o) }

// Column is a table column and its Oracle data type as ALL_TAB_COLUMNS
// spells it.
type Column struct {
	Name string
	Type string
}

// Table describes a captured table. Events point to a shared *Table.
type Table struct {
	Schema  string
	Name    string
	Columns []Column
}

// ID is SCHEMA.TABLE, the name of the table's output directory.
func (t *Table) ID() string { return t.Schema + "." + t.Name }

// Value is one column value in its canonical text form.
type Value struct {
	Text string
	Null bool
}

// Event is one committed change of one row.
type Event struct {
	Op        Op
	Table     *Table
	SCN       uint64    // SCN of the change itself (s0 for snapshot rows)
	CommitSCN uint64    // SCN of its transaction's commit (s0 for snapshot rows)
	CommitTS  time.Time // commit time as the database reports it
	XID       string    // transaction id, hex
	Seq       int       // index of the change in its transaction, from 0
	Thread    int       // redo thread of the commit
	// Row is the row image written: the after image for r, c and u (an
	// update's before image merged with its SET list), the before image
	// for d. It has one value per Table.Columns entry, in table order.
	Row []Value
}
