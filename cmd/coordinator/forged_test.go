package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/rest"
)

// TestForgedControlPlaneCalls replays issue 14, finding 2, against the deployment of the
// manual (ZooKeeper, a leader and a standby coordinator, two workers, the simulator):
// while the job runs, a client without the cluster secret sends every call of the
// report, with the real task attempt and worker in them, to every port it can reach: a
// checkpoint acknowledgement with a restart_scn 20,000 ahead, a FAILED and a FINISHED
// task event (to the REST ports and the internal ports), an epoch of 999999, an
// assignment of a second attempt, a cancel and a savepoint (to the workers' ports).
// Each is refused, and its refusal names no attempt and no worker. A member of the
// cluster cannot push a worker's epoch past the election nor store a checkpoint that
// does not follow the latest. The job keeps its leader, worker and restart count,
// finishes, and verify finds every change exactly once.
func TestForgedControlPlaneCalls(t *testing.T) {
	// A 50 s workload: the task must still run while every forged call is tried.
	c := newCluster(t, 1, 20000, 400)
	defer c.dumpLogs()
	c.startCoordinator(0)
	c.startCoordinator(1)
	for i := range 2 {
		c.startWorker(i)
	}
	l, epoch := c.leader(nil)
	d0 := c.waitJob(l, "RUNNING")
	c.waitRows(0, "first rows")
	member, stranger := signingClient(t, clusterSecret), signingClient(t, "another-cluster-secret-0123456789abcdef")
	ctx := context.Background()

	// The running attempt, as the forger of the report had learnt it from error messages.
	running := c.workerNamed(d0.Vertices[0].TM)
	var st wire.Status
	if err := wire.Call(ctx, member, fmt.Sprintf("127.0.0.1:%d", running.port), wire.PathStatus, nil, &st); err != nil || len(st.Tasks) != 1 {
		t.Fatalf("status of %s: %+v %v", running.name, st, err)
	}
	ref := st.Tasks[0]
	ahead := c.latestRestartSCN(l) + 20000
	forgedCkpt := wire.Checkpoint{Ref: ref, Worker: st.Worker, Metadata: checkpoint.Metadata{
		JobID: "redoflow", ID: 1 << 40, Time: time.Now(),
		Source: json.RawMessage(fmt.Sprintf(`{"phase":"stream","stream":{"v":1,"restart_scn":%d,"floor_scn":%d}}`, ahead, ahead)),
		Sinks:  map[string]json.RawMessage{ref.Task: json.RawMessage(`{"tables":[]}`)},
	}}
	leaderCalls := []forgedCall{
		{http.MethodPost, wire.PathCheckpoint, forgedCkpt},
		{http.MethodPost, wire.PathTaskEvent, wire.TaskEvent{Ref: ref, Worker: st.Worker, State: wire.TaskFailed, Error: "forged"}},
		{http.MethodPost, wire.PathTaskEvent, wire.TaskEvent{Ref: ref, Worker: st.Worker, State: wire.TaskFinished}},
		{http.MethodGet, wire.PathLatest + "?job=redoflow", nil},
	}
	next := ref
	next.Attempt++
	other := ref
	other.Task = "1"
	workerCalls := []forgedCall{
		{http.MethodPost, wire.PathEpoch, wire.EpochNotice{Epoch: 999999}},
		{http.MethodPost, wire.PathAssign, wire.Assign{Ref: next}},
		{http.MethodPost, wire.PathAssign, wire.Assign{Ref: other}},
		{http.MethodPost, wire.PathCancel, wire.Cancel{Ref: ref}},
		{http.MethodPost, wire.PathSavepoint, wire.SavepointRequest{Ref: ref, Dir: c.dir}},
		{http.MethodGet, wire.PathStatus, nil},
	}
	leaks := []string{st.Worker, `"attempt"`, `"tasks"`}
	for _, p := range c.coords {
		for _, call := range leaderCalls {
			// The REST port does not serve the internal protocol at all.
			c.refused(&http.Client{}, fmt.Sprintf("127.0.0.1:%d", p.port), call, http.StatusNotFound, leaks)
			for _, cl := range []*http.Client{{}, stranger} {
				c.refused(cl, fmt.Sprintf("127.0.0.1:%d", p.internal), call, http.StatusUnauthorized, leaks)
			}
		}
	}
	for _, w := range c.workers {
		for _, call := range workerCalls {
			for _, cl := range []*http.Client{{}, stranger} {
				c.refused(cl, fmt.Sprintf("127.0.0.1:%d", w.port), call, http.StatusUnauthorized, leaks)
			}
		}
		// Epochs come from the election, also for a member of the cluster.
		err := wire.Call(ctx, member, fmt.Sprintf("127.0.0.1:%d", w.port), wire.PathEpoch, wire.EpochNotice{Epoch: 999999}, nil)
		if !errors.Is(err, wire.ErrUnknownEpoch) {
			t.Errorf("%s: signed epoch 999999: %v, want %v", w.name, err, wire.ErrUnknownEpoch)
		}
	}
	// A checkpoint of the running attempt that does not follow the latest is refused.
	stale := forgedCkpt
	stale.Metadata.ID = 1
	if err := wire.Call(ctx, member, fmt.Sprintf("127.0.0.1:%d", l.internal), wire.PathCheckpoint, stale, nil); !errors.Is(err, wire.ErrBadCheckpoint) {
		t.Errorf("checkpoint 1 of the running attempt: %v, want %v", err, wire.ErrBadCheckpoint)
	}

	// Nothing moved: same leader and epoch, same worker and attempt, no restart, every
	// worker at the leader's epoch; rows keep coming.
	for _, w := range c.workers {
		var ws wire.Status
		if err := wire.Call(ctx, member, fmt.Sprintf("127.0.0.1:%d", w.port), wire.PathStatus, nil, &ws); err != nil || ws.Epoch != epoch {
			t.Errorf("%s after the forged calls: %+v %v, want epoch %d", w.name, ws, err, epoch)
		}
		if w == running && (len(ws.Tasks) != 1 || ws.Tasks[0] != ref) {
			t.Errorf("%s runs %+v after the forged calls, want %+v", w.name, ws.Tasks, ref)
		}
	}
	if nl, nepoch := c.leader(nil); nl != l || nepoch != epoch {
		t.Errorf("leader %s epoch %d after the forged calls, want %s epoch %d", nl.name, nepoch, l.name, epoch)
	}
	if d := c.waitJob(l, "RUNNING"); d.Restarts != d0.Restarts || d.Vertices[0].TM != d0.Vertices[0].TM {
		t.Errorf("after the forged calls: restarts %d on %s, want %d on %s", d.Restarts, d.Vertices[0].TM, d0.Restarts, d0.Vertices[0].TM)
	}
	c.waitRows(c.rows(), "after the forged calls")
	c.finish(l)
	if d, err := c.job(l); err != nil || d.Restarts != d0.Restarts {
		t.Errorf("finished with %d restarts (%v), want %d", d.Restarts, err, d0.Restarts)
	}
	c.noSecret()
}

type forgedCall struct {
	method, path string
	body         any
}

// refused sends call to addr through cl and requires the answer status want, with a
// body that contains none of leaks.
func (c *cluster) refused(cl *http.Client, addr string, call forgedCall, want int, leaks []string) {
	c.t.Helper()
	var body io.Reader
	if call.body != nil {
		b, _ := json.Marshal(call.body)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(call.method, "http://"+addr+call.path, body)
	req.Header.Set("Content-Type", "application/json")
	status, text := 0, ""
	resp, err := cl.Do(req)
	var ua *wire.UnverifiedAnswerError
	switch {
	case errors.As(err, &ua):
		status, text = ua.Status, ua.Text
	case err != nil:
		c.t.Errorf("%s %s%s: %v", call.method, addr, call.path, err)
		return
	default:
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, text = resp.StatusCode, string(b)
	}
	if status != want {
		c.t.Errorf("%s %s%s: HTTP %d %s, want %d", call.method, addr, call.path, status, text, want)
	}
	for _, l := range leaks {
		if strings.Contains(text, l) {
			c.t.Errorf("%s %s%s: the refusal shows %s: %s", call.method, addr, call.path, l, text)
		}
	}
}

func signingClient(t *testing.T, secret string) *http.Client {
	t.Helper()
	a, err := wire.NewAuth([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return a.Client(&http.Client{Timeout: 30 * time.Second})
}

// latestRestartSCN returns the restart SCN of the latest completed checkpoint p
// reports, 0 before the stream phase.
func (c *cluster) latestRestartSCN(p *proc) uint64 {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		var ck rest.Checkpoints
		if _, err := get(p.port, "/jobs/redoflow/checkpoints", &ck); err == nil && ck.Latest.Completed != nil {
			m, err := checkpoint.Load(ck.Latest.Completed.ExternalPath)
			if err != nil {
				c.t.Fatal(err)
			}
			var pos struct {
				Stream struct {
					Restart uint64 `json:"restart_scn"`
				} `json:"stream"`
			}
			_ = json.Unmarshal(m.Source, &pos)
			return pos.Stream.Restart
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no completed checkpoint within %v", waitLimit)
	return 0
}
