package coordinator_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/scripted"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/rest"
)

// failingSource fails every attempt at once with err.
type failingSource struct{ err error }

func (s failingSource) Run(context.Context, change.Position, change.Handler) error { return s.err }

// switchable makes the workers' sources: failing ones while fail is set, then the
// scripted source; it counts the attempts built.
type switchable struct {
	e        *env
	fail     atomic.Pointer[error]
	attempts atomic.Int64
}

func (s *switchable) source() pipeline.Source {
	s.attempts.Add(1)
	if err := s.fail.Load(); err != nil {
		return failingSource{*err}
	}
	return scripted.Source{Txns: s.e.txns, Pause: time.Millisecond}
}

type jobView struct {
	State    string `json:"state"`
	Restarts int    `json:"restarts"`
}

func jobOf(t *testing.T, addr string) jobView {
	t.Helper()
	var d jobView
	if _, err := getJSON(addr, "/jobs/job", &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func exceptionsOf(t *testing.T, addr string) rest.JobExceptions {
	t.Helper()
	var x rest.JobExceptions
	if _, err := getJSON(addr, "/jobs/job/exceptions", &x); err != nil {
		t.Fatal(err)
	}
	return x
}

func resume(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/jobs/job/resume", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("resume: %s", resp.Status)
	}
}

// checkFailed checks that the FAILED job shows in every view: /jobs/{id},
// /jobs/overview, /overview (jobs-failed) and /jobs/{id}/exceptions, whose root exception
// carries want.
func checkFailed(t *testing.T, addr, wantName, want string) rest.JobExceptions {
	t.Helper()
	var o rest.Overview
	var jo struct{ Jobs []rest.JobOverview }
	getJSON(addr, "/overview", &o)
	getJSON(addr, "/jobs/overview", &jo)
	if d := jobOf(t, addr); d.State != "FAILED" {
		t.Errorf("GET /jobs/job: state %s, want FAILED", d.State)
	}
	if o.JobsFailed != 1 || o.JobsRunning != 0 || len(jo.Jobs) != 1 || jo.Jobs[0].State != "FAILED" || jo.Jobs[0].Tasks["failed"] != 1 || jo.Jobs[0].EndTime <= 0 {
		t.Errorf("overview %+v, jobs overview %+v: want the job FAILED", o, jo.Jobs)
	}
	x := exceptionsOf(t, addr)
	if x.RootException == nil || !strings.HasPrefix(*x.RootException, wantName+": ") || !strings.Contains(*x.RootException, want) || x.Timestamp == nil {
		t.Fatalf("root exception %v, want %s: ...%s...", x.RootException, wantName, want)
	}
	return x
}

// TestFatalErrorFailsTheJob: a task that fails with a fatal error (a purged archive
// log) is not restarted: the job is FAILED at once with its cause, in Flink's views.
// Resumed once the cause is fixed, it runs from the latest checkpoint to the end, every
// change exactly once.
func TestFatalErrorFailsTheJob(t *testing.T) {
	e := newEnv(t, 800)
	sw := &switchable{e: e}
	fatal := failure.MarkFatal(errors.New("logminer: redo log missing: redo thread 1 sequence 42, needed to read from SCN 1234, is deleted or missing"))
	sw.fail.Store(&fatal)
	e.source = sw.source
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW := e.worker("w1", n, n)
	waitState(t, addr, "FAILED")
	if d := jobOf(t, addr); d.Restarts != 0 || sw.attempts.Load() != 1 {
		t.Errorf("restarts %d, attempts %d: a fatal error was retried", d.Restarts, sw.attempts.Load())
	}
	x := checkFailed(t, addr, "redoflow.FatalError", "sequence 42")
	if h := x.ExceptionHistory.Entries; len(h) != 1 || h[0].FailureLabels["class"] != "fatal" || h[0].TaskManagerID == nil || *h[0].TaskManagerID != "w1" {
		t.Errorf("history %+v: want the one fatal failure on w1", h)
	}

	sw.fail.Store(nil) // the archived log is restored
	resume(t, addr)
	waitState(t, addr, "FINISHED")
	e.stopAll(stopC, stopW)
	e.verify()
}

// TestRestartStrategyExhaustedFailsTheJob: retryable failures restart the task as the
// strategy allows (fixed-delay, 2 attempts): the third failure fails the job, its root
// exception saying the strategy suppressed the recovery, with every failure in the
// history. A resume gives the job a fresh strategy.
func TestRestartStrategyExhaustedFailsTheJob(t *testing.T) {
	e := newEnv(t, 600)
	e.restart.FixedDelay.Attempts = 2
	sw := &switchable{e: e}
	flaky := errors.New("logminer: database unavailable, retries exhausted: ORA-03113: end-of-file on communication channel")
	sw.fail.Store(&flaky)
	e.source = sw.source
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW := e.worker("w1", n, n)
	waitState(t, addr, "FAILED")
	if d := jobOf(t, addr); d.Restarts != 2 || sw.attempts.Load() != 3 {
		t.Errorf("restarts %d, attempts %d: want 2 restarts, 3 attempts", d.Restarts, sw.attempts.Load())
	}
	x := checkFailed(t, addr, "redoflow.JobException", "Recovery is suppressed by the restart strategy fixed-delay(attempts=2, delay=50ms)")
	if h := x.ExceptionHistory.Entries; len(h) != 3 || h[0].FailureLabels["class"] != "retryable" || !strings.Contains(h[2].Stacktrace, "ORA-03113") {
		t.Errorf("history %+v: want the 3 retryable failures", h)
	}

	sw.fail.Store(nil)
	resume(t, addr)
	waitState(t, addr, "FINISHED")
	e.stopAll(stopC, stopW)
	e.verify()
}

// waitCheckpoints waits until the leader acknowledged n checkpoints and returns the
// latest's path.
func waitCheckpoints(t *testing.T, addr string, n int) string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		var ck rest.Checkpoints
		if _, err := getJSON(addr, "/jobs/job/checkpoints", &ck); err == nil && ck.Counts.Completed >= n && ck.Latest.Completed != nil {
			return ck.Latest.Completed.ExternalPath
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d checkpoints within %v", n, waitLimit)
	return ""
}

// corrupt flips a byte of the checkpoint's metadata payload, which its CRC then refuses,
// and returns the original content.
func corrupt(t *testing.T, chk string) []byte {
	t.Helper()
	path := filepath.Join(chk, "_metadata")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), b...)
	bad[len(bad)-3] ^= 0x20
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorruptLatestCheckpointFallsBack: the checkpoint the pointer names is corrupt when
// the task restarts: it resumes from the previous completed checkpoint, and the job ends
// with every change exactly once.
func TestCorruptLatestCheckpointFallsBack(t *testing.T) {
	e := newEnv(t, 1200)
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW1 := e.worker("w1", n, n)
	waitCheckpoints(t, addr, 4)
	// The worker stops (after a last checkpoint): nothing checkpoints until w2 comes.
	stopW1()
	waitState(t, addr, "RESTARTING")
	latest := waitCheckpoints(t, addr, 4)
	corrupt(t, latest)
	stopW2 := e.worker("w2", n, n)
	waitState(t, addr, "FINISHED")
	var ck rest.Checkpoints
	getJSON(addr, "/jobs/job/checkpoints", &ck)
	if r := ck.Latest.Restored; r == nil || r.ExternalPath == latest || r.ExternalPath == "" {
		t.Errorf("restored %+v: want the checkpoint before %s", r, latest)
	}
	e.stopAll(stopC, stopW1, stopW2)
	e.verify()
}

// TestNoReadableCheckpointFailsTheJob: when neither the latest checkpoint nor any earlier
// completed one reads, the job FAILED (starting over beside the committed output would
// write it twice), saying what to do; once CHECKPOINT_DIR is restored, a resume finishes
// the job exactly once.
func TestNoReadableCheckpointFailsTheJob(t *testing.T) {
	e := newEnv(t, 1200)
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW1 := e.worker("w1", n, n)
	waitCheckpoints(t, addr, 4)
	stopW1()
	waitState(t, addr, "RESTARTING")
	latest := waitCheckpoints(t, addr, 4)
	chks, _ := filepath.Glob(filepath.Join(filepath.Dir(latest), "chk-*"))
	saved := map[string][]byte{}
	for _, c := range chks {
		saved[c] = corrupt(t, c)
	}
	stopW2 := e.worker("w2", n, n)
	waitState(t, addr, "FAILED")
	checkFailed(t, addr, "redoflow.FatalError", "no earlier completed checkpoint is readable: restore CHECKPOINT_DIR")

	for c, b := range saved { // the backup comes back
		if err := os.WriteFile(filepath.Join(c, "_metadata"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resume(t, addr)
	waitState(t, addr, "FINISHED")
	e.stopAll(stopC, stopW1, stopW2)
	e.verify()
}
