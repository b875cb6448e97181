// Package failure is redoflow's error classes: whether restarting a task can cure an
// error or not.
//
// A fatal error (a purged archive log, a bad setting, a table that is not there, a row
// that cannot be decoded under REDOFLOW_DEAD_LETTER=fail, no readable checkpoint to resume
// from) fails the job at once: restarting would fail the same way, or skip data. Every
// other error is retryable: the restart strategy (package restart) decides whether and
// when the task starts again.
//
// Packages mark their fatal errors with Fatal; errors.Is(err, ErrFatal) (IsFatal) finds
// the mark anywhere in a chain. The class crosses process boundaries as a Class string
// (a worker's task event, an error answer of the internal protocol), and Remote turns it
// back into an error that keeps the class, so the coordinator decides on the class the
// worker saw, not on a message.
//
// Leaf package: standard library only.
package failure
