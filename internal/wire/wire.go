// Package wire holds the HTTP/JSON messages between redoflow's coordinators and workers.
// Every command and report carries the leader epoch it was issued under: a worker refuses
// commands of an epoch older than the newest it has seen, and the leader refuses reports
// of another epoch or of a task attempt it no longer runs. Every request and answer is
// signed with the cluster secret (Auth, in auth.go): the protocol is served on ports of
// its own, never on the public REST port.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/failure"
)

// Worker command paths (served by workers).
const (
	PathEpoch     = "/v1/epoch"
	PathAssign    = "/v1/assign"
	PathCancel    = "/v1/cancel"
	PathSavepoint = "/v1/savepoint"
	PathStatus    = "/v1/status"
)

// Leader paths (served by the leading coordinator, refused by a standby).
const (
	PathCheckpoint = "/internal/v1/checkpoints"
	PathLatest     = "/internal/v1/checkpoints/latest"
	PathTaskEvent  = "/internal/v1/tasks/events"
)

// TaskRef names one attempt of a task. Attempts grow within an epoch; a checkpoint is
// accepted only from the attempt the leader currently runs.
type TaskRef struct {
	Job     string `json:"job"`
	Task    string `json:"task"`
	Epoch   int64  `json:"epoch"`
	Attempt int64  `json:"attempt"`
}

// EpochNotice tells a worker that a leader of Epoch leads: it stops every task of an older
// epoch and answers once they have stopped.
type EpochNotice struct {
	Epoch int64 `json:"epoch"`
}

// Assign starts a task attempt on a worker.
type Assign struct {
	Ref TaskRef `json:"ref"`
}

// Cancel stops a task attempt; the answer comes once it has stopped.
type Cancel struct {
	Ref TaskRef `json:"ref"`
}

// SavepointRequest asks a task for a savepoint in Dir.
type SavepointRequest struct {
	Ref TaskRef `json:"ref"`
	Dir string  `json:"dir"`
}

// SavepointResponse is the savepoint's path.
type SavepointResponse struct {
	Path string `json:"path"`
}

// Status is what a worker runs.
type Status struct {
	Worker string    `json:"worker"`
	Epoch  int64     `json:"epoch"` // newest epoch seen
	Slots  int       `json:"slots"`
	Tasks  []TaskRef `json:"tasks"`
}

// Checkpoint hands a completed checkpoint to the leader.
type Checkpoint struct {
	Ref      TaskRef             `json:"ref"`
	Worker   string              `json:"worker"`
	Metadata checkpoint.Metadata `json:"metadata"`
	// DurationMs is how long the checkpoint took on the worker up to this hand-off.
	DurationMs int64 `json:"duration_ms"`
	// Progress is what Metadata.Source says of the job's progress, decoded by the
	// worker, which knows the position's format; the leader shows it in
	// GET /jobs/{id}. Nil when the position does not decode as the job's (the
	// leader then keeps what it showed before).
	Progress *Progress `json:"progress,omitempty"`
}

// Progress is a job's phase ("snapshot" or "stream") as of a checkpoint and,
// during the snapshot, each table's chunks.
type Progress struct {
	Phase  string          `json:"phase"`
	Tables []TableProgress `json:"tables,omitempty"`
	// RestartSCN and CommitSCN are, in the stream phase, where mining resumes and the
	// highest commit covered. Within one task attempt neither goes back: the leader
	// refuses a checkpoint whose do.
	RestartSCN uint64 `json:"restart_scn,omitempty"`
	CommitSCN  uint64 `json:"commit_scn,omitempty"`
}

// TableProgress is one table's snapshot chunks done and in all.
type TableProgress struct {
	Table       string `json:"table"`
	ChunksDone  int    `json:"chunks_done"`
	ChunksTotal int    `json:"chunks_total"`
}

// CheckpointAck says the leader stored the checkpoint and recorded its pointer.
type CheckpointAck struct {
	Path string `json:"path"`
}

// Latest is the latest completed checkpoint; Path is empty when there is none.
type Latest struct {
	Path string `json:"path"`
	ID   int64  `json:"id"`
}

// Task event states.
const (
	TaskFailed   = "FAILED"
	TaskFinished = "FINISHED"
)

// TaskEvent reports that a task attempt ended on its own.
type TaskEvent struct {
	Ref    TaskRef `json:"ref"`
	Worker string  `json:"worker"`
	State  string  `json:"state"`
	Error  string  `json:"error,omitempty"`
	// Class is the error's class as the worker saw it (failure.ClassOf): a fatal error
	// fails the job, a retryable one goes to the restart strategy. Empty (a worker
	// that sends none) reads as retryable.
	Class failure.Class `json:"class,omitempty"`
}

// Error is the body of every error answer, of the REST API as of the internal one. Its
// shape is Flink's ({"errors": [...]}) plus a stable machine-readable code.
type Error struct {
	Errors []string `json:"errors"`
	Code   string   `json:"code"`
	// Class is the class of the failure an answer reports (CodeTaskFailed,
	// CodeJobFailed); a *RemoteError of class fatal matches failure.ErrFatal.
	Class failure.Class `json:"class,omitempty"`
}

// Error codes.
const (
	CodeStaleEpoch   = "stale_epoch"
	CodeStaleAttempt = "stale_attempt"
	CodeNotLeader    = "not_leader"
	CodeNoLeader     = "no_leader"
	CodeNoSlot       = "no_free_slot"
	CodeNotFound     = "not_found"
	CodeBadRequest   = "bad_request"
	CodeConflict     = "conflict"
	CodeInternal     = "internal"
	CodeUnavailable  = "unavailable"
	// CodeTaskFailed: a worker could not start the task it was assigned (its
	// configuration, the database); the answer's Class says whether a restart helps.
	CodeTaskFailed = "task_failed"
	// CodeJobFailed: the leader failed the job (no readable checkpoint to resume from).
	CodeJobFailed = "job_failed"
	// CodeBadCheckpoint refuses a checkpoint that cannot follow the latest one.
	CodeBadCheckpoint = "bad_checkpoint"
	// CodeUnknownEpoch refuses a command of an epoch the worker has not seen elected.
	CodeUnknownEpoch = "unknown_epoch"
	// CodeUnauthorized answers a REST operation without the REST token (HTTP 401).
	CodeUnauthorized = "unauthorized"
)

// The refusals of the protocol, the same on both sides of it: the side that refuses wraps
// one and answers with its code; on the side that called, the *RemoteError of that answer
// matches it with errors.Is.
var (
	// ErrStaleEpoch refuses a command or report of another leader epoch: a worker, a
	// command older than the newest epoch it has seen; the leader, a report not of its own
	// epoch. Code CodeStaleEpoch.
	ErrStaleEpoch = errors.New("stale leader epoch")
	// ErrStaleAttempt refuses a report from a task attempt the leader no longer runs. Code
	// CodeStaleAttempt.
	ErrStaleAttempt = errors.New("stale task attempt")
	// ErrBadCheckpoint refuses a checkpoint of the current attempt that cannot follow the
	// latest one: of another job, without the task's sink state, not numbered above the
	// latest, or whose position goes back within the attempt. Code CodeBadCheckpoint.
	ErrBadCheckpoint = errors.New("checkpoint refused")
	// ErrUnknownEpoch refuses a command of an epoch newer than any leader the worker has
	// observed in the election: epochs come from the election, not from the commands.
	// Code CodeUnknownEpoch.
	ErrUnknownEpoch = errors.New("unknown leader epoch")
)

// sentinels maps the codes of the protocol's refusals to their errors.
var sentinels = map[string]error{
	CodeStaleEpoch:    ErrStaleEpoch,
	CodeStaleAttempt:  ErrStaleAttempt,
	CodeBadCheckpoint: ErrBadCheckpoint,
	CodeUnknownEpoch:  ErrUnknownEpoch,
}

// RemoteError is an error answer. errors.Is matches it with the sentinel of its code.
type RemoteError struct {
	Status int
	Body   Error
}

// Is reports whether target is the sentinel of e's code (ErrStaleEpoch, ErrStaleAttempt,
// ErrBadCheckpoint, ErrUnknownEpoch), or failure.ErrFatal for an answer of class fatal.
func (e *RemoteError) Is(target error) bool {
	if target == failure.ErrFatal {
		return e.Body.Class == failure.Fatal
	}
	s, ok := sentinels[e.Body.Code]
	return ok && s == target
}

func (e *RemoteError) Error() string {
	msg := "no message"
	if len(e.Body.Errors) > 0 {
		msg = e.Body.Errors[0]
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Body.Code, msg)
}

// CodeOf returns the code of a RemoteError in err's chain, "" if there is none.
func CodeOf(err error) string {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Body.Code
	}
	return ""
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes an Error.
func WriteError(w http.ResponseWriter, status int, code string, format string, args ...any) {
	WriteJSON(w, status, Error{Errors: []string{fmt.Sprintf(format, args...)}, Code: code})
}

// WriteFailure writes err as an error answer with code and err's class.
func WriteFailure(w http.ResponseWriter, status int, code string, err error) {
	WriteJSON(w, status, Error{Errors: []string{err.Error()}, Code: code, Class: failure.ClassOf(err)})
}

// Call POSTs (or GETs, when in is nil) JSON to http://addr+path and decodes the answer
// into out (may be nil). An error answer is a *RemoteError.
func Call(ctx context.Context, c *http.Client, addr, path string, in, out any) error {
	method, body := http.MethodGet, io.Reader(nil)
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		method, body = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		re := &RemoteError{Status: resp.StatusCode}
		if json.Unmarshal(b, &re.Body) != nil || re.Body.Code == "" {
			re.Body = Error{Errors: []string{string(bytes.TrimSpace(b))}, Code: CodeInternal}
		}
		return re
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Decode reads a JSON request body into v, answering 400 itself on failure.
func Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(v); err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "request body: %v", err)
		return false
	}
	return true
}
