// Package logminer reads changes from Oracle LogMiner: the SQL it sends, the
// LogMiner session, the logs it mines, the transaction buffer and the stream
// position. SQL_REDO statements are parsed and their values decoded into the
// canonical text redoflow writes by package logminer/redo, whose
// documentation lists the grammar and the canonical forms.
//
// # Reader
//
// Reader (reader.go) streams committed changes to a change.Handler. It
// owns one pinned connection per LogMiner session (LogMiner state belongs
// to the database session), sets the NLS formats package redo reads first
// (YYYY-MM-DD HH24:MI:SS[.FF] [TZH:TZM]), checks ARCHIVELOG mode and ALL
// supplemental logging, and reads column types from ALL_TAB_COLUMNS. Per
// SCN window it selects the logs of every redo thread (logs.go: archived
// copies preferred, the current online log last, gaps and deleted logs
// fatal), calls START_LOGMNR with DICT_FROM_ONLINE_CATALOG and reads
// V$LOGMNR_CONTENTS: transaction control rows of every transaction and DML
// rows of the captured tables. CSF pieces are joined, statements parsed
// with a reused redo.Parser and decoded with the column's redo.Type and
// the quoted flag. Changes wait in a buffer per XID (txbuf.go) until
// COMMIT hands them over in order; ROLLBACK drops them; a ROLLBACK=1 row
// cancels the newest change of its ROW_ID; a LOB INSERT and the UPDATE
// that writes its values become one INSERT; above ReaderConfig's
// threshold the largest transactions spill to disk.
//
// The Position (position.go) is a restart SCN plus, per redo thread, the
// last commit SCN handed over and the XIDs committed at it: resuming mines
// again from the restart SCN and skips the transactions already delivered.
package logminer
