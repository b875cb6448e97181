// Package csv is redoflow's transactional CSV sink: one directory per table,
// <OUTPUT_PATH>/<SCHEMA>.<TABLE>/, holding committed part files
// part-<task>-<n>.csv that are never modified again, and hidden in-progress
// files .part-<task>-<n>.csv.<attempt>.inprogress, one per table and task
// attempt. <attempt> (e<epoch>a<n>, see Attempt) names the task attempt that
// writes the file: two attempts never write one file, so an attempt that
// resumes after a pause, deposed meanwhile, cannot damage its successor's
// output; its files are never committed and are removed by its successor.
//
// Each file starts with a header row, then one row per change:
//
//	_op,_scn,_commit_scn,_commit_ts,_xid,_seq,<table columns in table order>
//
// _op is r (snapshot read), c, u or d; _commit_ts is ISO 8601; values are in
// the canonical forms of logminer/redo; quoting follows RFC 4180 (as
// encoding/csv writes it); NULL is an empty field and an empty string is "".
//
// Exactly-once is a two-phase protocol driven by the pipeline's checkpoints:
//
//  1. PreCommit flushes and fsyncs every in-progress file, finishes (rolls)
//     files past their size or age, and returns the State to record in the
//     checkpoint: per table, the finished files awaiting commit and the
//     in-progress file's valid length.
//  2. Once the checkpoint is durable, Commit renames the finished files of
//     that State to their final names and fsyncs the directories.
//  3. After a crash, Restore with the State of the latest completed
//     checkpoint commits what that checkpoint had finished (renames are
//     idempotent), continues the in-progress file from its recorded length
//     (in a copy of its own when another attempt wrote it) and deletes
//     whatever this and older attempts wrote after the checkpoint. A newer
//     attempt's files are never touched.
//
// The State records, per table, the attempt that wrote its files (Owner),
// so a checkpoint names exactly the files it commits. A Fence, when
// configured, is asked before every file operation: a worker's fails once
// its lease may have expired, before the leader can have moved the task.
//
// A Sink belongs to one task and is not safe for concurrent use.
package csv
