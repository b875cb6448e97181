// Package checkpoint stores checkpoint and savepoint metadata on the shared
// storage (CHECKPOINT_DIR, SAVEPOINT_DIR) so that a job restarted anywhere
// resumes exactly where its last completed checkpoint left it.
//
// A checkpoint is a directory CHECKPOINT_DIR/<job-id>/chk-<n>/ holding one
// file, _metadata, written crash-safely: a temporary file is written and
// fsynced, renamed over _metadata, and the directory is fsynced. The file is
// a header line carrying the format version, the payload length and its
// CRC-32C, followed by the JSON payload; a torn or corrupted file fails its
// check and is skipped, never half-read. The newest Retain checkpoints are
// kept. A savepoint has the same layout under SAVEPOINT_DIR and is never
// pruned.
//
// The metadata does not interpret what the source and sinks store: each
// records its own state as JSON (source position, part files and their
// valid lengths, finished snapshot chunks).
package checkpoint
