package coordinator

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/restart"
)

// jobStatus is a job state, as Flink names them.
type jobStatus string

// The job states.
const (
	statusCreated    jobStatus = "CREATED"
	statusRunning    jobStatus = "RUNNING"
	statusRestarting jobStatus = "RESTARTING"
	statusFailed     jobStatus = "FAILED"
	statusCancelled  jobStatus = "CANCELED"
	statusFinished   jobStatus = "FINISHED"
)

// terminal reports whether s is globally terminal: nothing is scheduled until a resume.
func (s jobStatus) terminal() bool {
	return s == statusFailed || s == statusCancelled || s == statusFinished
}

// maxHistory is how many failures the exception history keeps (Flink's
// web.exception-history-size).
const maxHistory = 16

// The exception names of the failures the leader records.
const (
	excTaskFailure = "redoflow.TaskFailure" // the task failed with a retryable error
	excFatal       = "redoflow.FatalError"  // the task failed with a fatal error
	excWorkerLost  = "redoflow.WorkerLost"  // the worker running the task left the registry
	excTaskLost    = "redoflow.TaskLost"    // the worker no longer runs the task
	excJob         = "redoflow.JobException"
)

// jobFailure is one failure of the job: an entry of GET /jobs/{id}/exceptions.
type jobFailure struct {
	Name    string        `json:"name"`
	Message string        `json:"message"`
	Class   failure.Class `json:"class"`
	Time    time.Time     `json:"time"`
	Worker  string        `json:"worker,omitempty"`
	Address string        `json:"address,omitempty"`
	Attempt int64         `json:"attempt,omitempty"`
}

// taskFailure is the failure a worker reported for an attempt, named by its class.
func taskFailure(msg string, class failure.Class, worker, addr string, attempt int64, now time.Time) jobFailure {
	name := excTaskFailure
	if class == failure.Fatal {
		name = excFatal
	}
	return jobFailure{Name: name, Message: msg, Class: class, Time: now, Worker: worker, Address: addr, Attempt: attempt}
}

// jobState is the job's lifecycle on the leader: one value, changed only through its
// methods, which are the transitions:
//
//	CREATED ──assign──► RUNNING ──taskFailed (retryable, the strategy allows)──► RESTARTING ──assign──► RUNNING
//	                       │  └──taskFailed (fatal, or the strategy is exhausted)──► FAILED
//	                       ├──finished──► FINISHED
//	any non-terminal ──stop──► CANCELED or FINISHED (a command: cancel, stop)
//	FAILED, CANCELED, FINISHED ──resume──► CREATED (a fresh restart strategy)
//
// The leader holds its mu around every call. The terminal states are recorded in the
// fenced job state (persisted), so that the next leader keeps them.
type jobState struct {
	status          jobStatus
	worker          string // worker running the current attempt ("" none)
	attempt         int64
	missing         int // status polls in a row that did not find the attempt on its worker
	start, end, mod time.Time
	restarts        int       // restarts under this leadership (Flink's numRestarts)
	restartAt       time.Time // the restart strategy's pause: no assignment before
	strategy        restart.Config
	tracker         *restart.Tracker
	rand            func() float64
	history         []jobFailure // newest first, at most maxHistory
	truncated       bool         // older failures were dropped
	cause           *jobFailure  // why the job FAILED
}

func newJobState(strategy restart.Config, rand func() float64, now time.Time) jobState {
	return jobState{status: statusCreated, start: now, mod: now, strategy: strategy, rand: rand,
		tracker: restart.New(strategy, rand)}
}

func (j *jobState) set(s jobStatus, now time.Time) {
	if j.status == s {
		return
	}
	j.status, j.mod = s, now
	if s.terminal() {
		j.end = now
	}
}

// final reports whether the job is in a terminal state.
func (j *jobState) final() bool { return j.status.terminal() }

// schedulable reports whether an attempt may be assigned now: none runs, the job is not
// terminal, and the restart strategy's pause is over.
func (j *jobState) schedulable(now time.Time) bool {
	return !j.final() && j.worker == "" && !now.Before(j.restartAt)
}

// nextAttempt numbers the attempt about to be assigned.
func (j *jobState) nextAttempt() int64 {
	j.attempt++
	return j.attempt
}

// running records that worker accepted the current attempt.
func (j *jobState) running(worker string, now time.Time) {
	j.worker, j.missing = worker, 0
	j.set(statusRunning, now)
}

// record adds f to the exception history.
func (j *jobState) record(f jobFailure) {
	j.history = append([]jobFailure{f}, j.history...)
	if len(j.history) > maxHistory {
		j.history, j.truncated = j.history[:maxHistory], true
	}
}

// taskFailed records a failure of the current attempt (reported by its worker, or
// found: a lost worker, a task gone) and applies the restart strategy: RESTARTING after
// the strategy's pause, or FAILED for a fatal error or an exhausted strategy. It
// reports whether the job FAILED.
func (j *jobState) taskFailed(f jobFailure, now time.Time) bool {
	j.worker = ""
	j.record(f)
	if f.Class == failure.Fatal {
		j.fail(f, now)
		return true
	}
	at, ok := j.tracker.Failure(now)
	if !ok {
		j.fail(jobFailure{Name: excJob, Class: failure.Fatal, Time: now, Worker: f.Worker, Address: f.Address, Attempt: f.Attempt,
			Message: "Recovery is suppressed by the restart strategy " + j.strategy.String() + "\nCaused by: " + f.Name + ": " + f.Message}, now)
		return true
	}
	j.restartAt = at
	j.restarts++
	j.set(statusRestarting, now)
	return false
}

// fail moves the job to FAILED with cause.
func (j *jobState) fail(cause jobFailure, now time.Time) {
	j.worker, j.cause = "", &cause
	j.set(statusFailed, now)
}

// finished records that the task finished on its own (its source is done).
func (j *jobState) finished(now time.Time) {
	j.worker = ""
	j.set(statusFinished, now)
}

// stopped ends the job by command (CANCELED, or FINISHED after a stop-with-savepoint)
// and returns the worker the attempt ran on ("" none).
func (j *jobState) stopped(s jobStatus, now time.Time) string {
	w := j.worker
	j.worker = ""
	j.set(s, now)
	return w
}

// resumed runs a terminal job again: CREATED, with a fresh restart strategy; its
// failures stay in the history.
func (j *jobState) resumed(now time.Time) {
	j.cause, j.end, j.start, j.restartAt = nil, time.Time{}, now, time.Time{}
	j.tracker = restart.New(j.strategy, j.rand)
	j.set(statusCreated, now)
}

// persistedState is the fenced job state (key jobs/<job>/state). Older leaders wrote
// the bare state name, which recover still reads.
type persistedState struct {
	State   jobStatus    `json:"state"`
	Time    int64        `json:"time,omitempty"` // unix ms of the change
	Cause   *jobFailure  `json:"cause,omitempty"`
	History []jobFailure `json:"history,omitempty"`
}

// persisted is what the leader records for a terminal state s.
func (j *jobState) persisted(s jobStatus) []byte {
	p := persistedState{State: s, Time: j.mod.UnixMilli()}
	if s == statusFailed {
		p.Cause, p.History = j.cause, j.history
	}
	b, _ := json.Marshal(p)
	return b
}

// parsePersisted reads a fenced job state in either format.
func parsePersisted(b []byte) (persistedState, error) {
	if s := strings.TrimSpace(string(b)); !strings.HasPrefix(s, "{") {
		return persistedState{State: jobStatus(s)}, nil
	}
	var p persistedState
	err := json.Unmarshal(b, &p)
	return p, err
}

// recovered takes a terminal state recorded by an earlier leader.
func (j *jobState) recovered(p persistedState) {
	if !p.State.terminal() {
		return
	}
	now := time.Now()
	if p.Time > 0 {
		now = time.UnixMilli(p.Time)
	}
	j.history = p.History
	j.set(p.State, now)
	if p.State == statusFailed {
		if p.Cause == nil {
			p.Cause = &jobFailure{Name: excJob, Class: failure.Fatal, Time: now, Message: "the job failed under an earlier leader"}
		}
		j.cause = p.Cause
	}
}
