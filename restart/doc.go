// Package restart is Flink's restart strategies, as redoflow applies them to a job whose
// task failed with a retryable error (package failure): none, fixed-delay, failure-rate
// and exponential-delay, with Flink's option names, defaults and arithmetic (Flink 1.19
// and later). A fatal error fails the job whatever the strategy.
//
// A Tracker is one job's strategy state: Failure records a failure at a given instant and
// says when the task may start again, or that it may not (the job fails). The clock is
// the caller's, so the arithmetic is tested without waiting.
//
// Leaf package: standard library only.
package restart
