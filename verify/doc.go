// Package verify checks a CSV change log that redoflow wrote against the
// truth about the source, in two ways.
//
// # Per-change
//
// The truth's _changes/<SCHEMA>.<TABLE>.csv holds every committed change
// of the table in commit order: a header
// _op,_commit_scn,_xid,_seq,<every column in table order>, then one row per
// change, c and u with the after image, d with the before image, _seq the
// change's index in its transaction over all tables, values in the
// canonical forms of the output. redoflow sim --truth and demo --truth
// write it; rolled back changes, whole or to a savepoint, are not in it.
//
// The check groups the output's change rows (c, u, d) and the truth's rows
// by transaction (commit SCN and XID) and table, and requires every
// transaction committed after the job's start to appear exactly once, with
// the same changes (same _seq, op and values), written in _seq order, and
// nothing else. It reports, per table, the transactions missing, extra (in
// the output only: a rolled back change that leaked, or one committed before
// the start), duplicated and wrong, with the first few of each and the rows
// involved.
//
// It also requires the output to be in commit order. A table's committed
// files part-<task>-<n>.csv are read per task in write order: by n as a
// number (part-0-10 after part-0-9). A task's sink numbers its files in
// the order it opens them, and after a restart or a failover goes on from
// the numbers its checkpoint recorded, removing what it wrote after it, so
// this order holds across restarts. In each task's rows the commit SCN
// never decreases, the rows of each transaction (commit SCN and XID) are
// contiguous, and snapshot rows (_op r) come before any change; tasks are
// not ordered against each other. Each place where this breaks counts as
// out of order, with examples (the rows, by file and line).
//
// Options.Tables (verify --tables) limits the check to the tables a job
// captures. A transaction's _seq in the truth counts its changes over all
// tables, in the output only over the captured ones (LogMiner's query is
// filtered by table), so the truth's _seq is counted again, per
// transaction, over the tables checked, in its order. Without it every
// table of the truth is checked, and of the output: a table the truth
// does not have is all extra.
//
// The start is Options.FromSCN when given (a job started with
// latest-offset, or specific-offset; note that such a job delivers only the
// part after its start of a transaction open at it), else the SCN of the
// output's snapshot rows (_op r, whose _commit_scn is the snapshot SCN s0:
// transactions committed at or before s0 are in the snapshot and must not
// appear as changes), else the truth's beginning. With snapshot rows the
// snapshot is checked too: the truth's changes up to s0, replayed by the
// key of _keys.json (as a multiset of rows for a table without one), give
// the table at s0, which the snapshot rows must equal, each row once. A
// table without a key that the log updates before s0 cannot be replayed:
// the report says so, and the check fails unless
// Options.AllowUncheckedSnapshot (--allow-unchecked-snapshot).
//
// The output is read once into compact entries (a hash of each row, its
// transaction, _seq and place) and sorted; the truth's logs stream past
// them together, one commit SCN at a time, so a few million changes take
// seconds and a few hundred MB; the rows an example cites are read again.
//
// NULL and the empty string are different values. The sink and the truth
// writers write NULL as an empty field and an empty value (an empty LOB)
// as "", and both checks read the files with a scanner that keeps that
// difference, which encoding/csv drops.
//
// # Final state
//
// The truth's <SCHEMA>.<TABLE>.csv (a header, then one row per table row,
// in canonical forms) and optionally _keys.json, mapping SCHEMA.TABLE to
// its key columns, hold the tables' final contents. The check rebuilds each
// table's final state from the committed part files and compares it, row
// by row: a table with a key by key, a table without one as a multiset of
// whole rows (inserts add a row, deletes remove an equal one; an update of
// such a table cannot be placed and is reported). It misses a change lost
// but later overwritten, which the per-change check finds.
//
// Run with ModeAuto makes the per-change check when _changes/ exists and
// the final-state check when table dumps exist. A truth with _final_scn,
// which sim and demo write last, but no _changes/ is an error rather than
// a final-state check alone: its change log was lost, or never written;
// ModeFinalState still checks it.
package verify
