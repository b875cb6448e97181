// Package snapshot copies tables as they are at one SCN, so that streaming
// can start from exactly that point: the initial snapshot of a new job.
//
// It takes s0 = V$DATABASE.CURRENT_SCN, splits each table into chunks of
// about ChunkSize rows (ranges of the primary key, or of ROWID for a table
// without one), and reads the chunks in parallel with
// SELECT ... AS OF SCN s0, each on its own connection. One writer hands the
// rows to the pipeline as change events with _op = r and _scn = s0, and
// after each finished chunk reports a boundary whose position lists the
// chunks done: after a crash only unfinished chunks are read again, and the
// sink's truncate-on-restore discards their partial output.
//
// ORA-01555 (snapshot too old) on a chunk is retried; if it persists the
// snapshot stops with an error telling to raise UNDO_RETENTION or lower the
// chunk size.
package snapshot
