package coordinator

import (
	"context"
	"strconv"

	"github.com/redoflow/redoflow/rest"
)

// taskName names the job's one task as GET /jobs/{id} names its vertex, with Flink's
// subtask suffix.
const taskName = "LogMiner source -> CSV sink (1/1)"

// entry renders f as an exception history entry.
func (f jobFailure) entry() rest.RootExceptionInfo {
	e := rest.RootExceptionInfo{ExceptionName: f.Name, Stacktrace: f.stacktrace(), Timestamp: f.Time.UnixMilli(),
		FailureLabels: map[string]string{"class": string(f.Class)}, ConcurrentExceptions: []rest.RootExceptionInfo{}}
	if f.Attempt > 0 {
		e.FailureLabels["attempt"] = strconv.FormatInt(f.Attempt, 10)
	}
	if f.Worker != "" {
		name, worker := taskName, f.Worker
		e.TaskName, e.TaskManagerID = &name, &worker
	}
	if f.Address != "" {
		addr := f.Address
		e.Location, e.Endpoint = &addr, &addr
	}
	return e
}

// stacktrace is the text Flink puts in "stacktrace" and "root-exception": the exception's
// name and message.
func (f jobFailure) stacktrace() string { return f.Name + ": " + f.Message }

// Exceptions implements rest.Backend: the cause of a FAILED job as root exception, else
// the latest failure, and the history of failures newest first.
func (b backend) Exceptions(_ context.Context, id string) (rest.JobExceptions, error) {
	ld, err := b.job(id)
	if err != nil {
		return rest.JobExceptions{}, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	j := &ld.job
	out := rest.JobExceptions{AllExceptions: []rest.ExceptionInfo{},
		ExceptionHistory: rest.ExceptionHistory{Entries: []rest.RootExceptionInfo{}, Truncated: j.truncated}}
	root := j.cause
	if root == nil && len(j.history) > 0 {
		root = &j.history[0]
	}
	if root != nil {
		s, ts := root.stacktrace(), root.Time.UnixMilli()
		out.RootException, out.Timestamp = &s, &ts
		if root.Worker != "" {
			out.AllExceptions = append(out.AllExceptions, rest.ExceptionInfo{Exception: s, Task: taskName, Location: root.Address,
				Timestamp: ts, TaskManagerID: root.Worker})
		}
	}
	for _, f := range j.history {
		out.ExceptionHistory.Entries = append(out.ExceptionHistory.Entries, f.entry())
	}
	return out, nil
}
