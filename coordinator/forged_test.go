package coordinator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/scripted"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/pipeline"
)

// streamShaped runs a scripted source and hands over its positions shaped as a
// jobspec stream position, restart SCN 10 per transaction, so that the worker reports
// the SCNs with each checkpoint as it does for the real job.
type streamShaped struct{ scripted.Source }

type shapedPos struct {
	Phase  string `json:"phase"`
	Stream struct {
		V       int    `json:"v"`
		Restart uint64 `json:"restart_scn"`
		Floor   uint64 `json:"floor_scn"`
	} `json:"stream"`
	Next int `json:"next"`
}

func (s streamShaped) Run(ctx context.Context, from change.Position, h change.Handler) error {
	var inner change.Position
	if len(from) > 0 {
		var p shapedPos
		if err := json.Unmarshal(from, &p); err != nil {
			return err
		}
		inner, _ = json.Marshal(p.Next)
	}
	return s.Source.Run(ctx, inner, shapingHandler{h})
}

type shapingHandler struct{ change.Handler }

func (h shapingHandler) Boundary(ctx context.Context, pos change.Position) error {
	var p shapedPos
	if err := json.Unmarshal(pos, &p.Next); err != nil {
		return err
	}
	p.Phase, p.Stream.V = "stream", 1
	p.Stream.Restart, p.Stream.Floor = uint64(p.Next)*10+1, uint64(p.Next)*10
	b, _ := json.Marshal(p)
	return h.Handler.Boundary(ctx, b)
}

// TestLeaderRefusesForgedReports: on the internal port, a report without the cluster
// secret or with another is refused (401), and the REST port does not serve the
// protocol (404). With the secret, the leader still refuses a checkpoint that does not
// follow the latest: of another job, without the task's sink state, not numbered above
// the latest, of another worker, or whose position goes back within the attempt; and a
// task event of no known state. The job runs on and finishes exactly once.
func TestLeaderRefusesForgedReports(t *testing.T) {
	e := newEnv(t, 2500)
	e.source = func() pipeline.Source {
		return streamShaped{scripted.Source{Txns: e.txns, Pause: 2 * time.Millisecond}}
	}
	n := ha.NewNone()
	defer n.Close()
	addr, internal, stopC := e.coordinatorAt("c1", n, n)
	waddr, stopW := e.workerAt("w1", n, n)
	waitState(t, addr, "RUNNING")
	member := e.auth.Client(&http.Client{Timeout: 10 * time.Second})
	ctx := context.Background()

	// The running attempt, once it has a few checkpoints.
	var ck struct {
		Counts struct{ Completed int } `json:"counts"`
		Latest struct {
			Completed *struct {
				ID   int64  `json:"id"`
				Path string `json:"external_path"`
			} `json:"completed"`
		} `json:"latest"`
	}
	var st wire.Status
	deadline := time.Now().Add(waitLimit)
	for (ck.Counts.Completed < 3 || len(st.Tasks) != 1) && time.Now().Before(deadline) {
		getJSON(addr, "/jobs/job/checkpoints", &ck)
		wire.Call(ctx, member, waddr, wire.PathStatus, nil, &st)
		time.Sleep(10 * time.Millisecond)
	}
	if ck.Latest.Completed == nil || len(st.Tasks) != 1 {
		t.Fatalf("no running attempt with checkpoints: %+v %+v", ck, st)
	}
	ref := st.Tasks[0]
	latest, err := checkpoint.Load(ck.Latest.Completed.Path)
	if err != nil {
		t.Fatal(err)
	}
	good := wire.Checkpoint{Ref: ref, Worker: "w1", Metadata: latest}
	good.Metadata.ID += 1 << 20

	// Without the secret, or with another one; and on the REST port.
	stranger := newAuth(t, []byte("another-cluster-secret-0123456789abcdef")).Client(nil)
	for _, c := range []*http.Client{{}, stranger} {
		for _, call := range []struct {
			path string
			in   any
		}{{wire.PathCheckpoint, good}, {wire.PathTaskEvent, wire.TaskEvent{Ref: ref, Worker: "w1", State: wire.TaskFinished}}} {
			err := wire.Call(ctx, c, internal, call.path, call.in, nil)
			var ua *wire.UnverifiedAnswerError
			var re *wire.RemoteError
			if !(errors.As(err, &ua) && ua.Status == 401) && !(errors.As(err, &re) && re.Status == 401 && re.Body.Code == wire.CodeUnauthenticated) {
				t.Errorf("unsigned %s: %v, want 401", call.path, err)
			}
			err = wire.Call(ctx, c, addr, call.path, call.in, nil)
			if !(errors.As(err, &ua) && ua.Status == 404) && wire.CodeOf(err) != wire.CodeNotFound {
				t.Errorf("%s on the REST port: %v, want 404", call.path, err)
			}
		}
	}

	// With the secret: checkpoints that do not follow the latest.
	bad := map[string]func(*wire.Checkpoint){
		"another job":        func(c *wire.Checkpoint) { c.Metadata.JobID = "other" },
		"no sink state":      func(c *wire.Checkpoint) { c.Metadata.Sinks = nil },
		"no position":        func(c *wire.Checkpoint) { c.Metadata.Source = nil },
		"not above latest":   func(c *wire.Checkpoint) { c.Metadata.ID = latest.ID },
		"position goes back": func(c *wire.Checkpoint) { c.Progress = &wire.Progress{Phase: "stream", RestartSCN: 1, CommitSCN: 1} },
		"back to snapshot":   func(c *wire.Checkpoint) { c.Progress = &wire.Progress{Phase: "snapshot"} },
	}
	for name, f := range bad {
		req := good
		f(&req)
		if err := wire.Call(ctx, member, internal, wire.PathCheckpoint, req, nil); !errors.Is(err, wire.ErrBadCheckpoint) {
			t.Errorf("%s: %v, want %v", name, err, wire.ErrBadCheckpoint)
		}
	}
	other := good
	other.Worker = "w2"
	if err := wire.Call(ctx, member, internal, wire.PathCheckpoint, other, nil); !errors.Is(err, wire.ErrStaleAttempt) {
		t.Errorf("of another worker: %v, want %v", err, wire.ErrStaleAttempt)
	}
	err = wire.Call(ctx, member, internal, wire.PathTaskEvent, wire.TaskEvent{Ref: ref, Worker: "w1", State: "RUNNING"}, nil)
	if wire.CodeOf(err) != wire.CodeBadRequest || !strings.Contains(fmt.Sprint(err), "RUNNING") {
		t.Errorf("task event RUNNING: %v, want %s", err, wire.CodeBadRequest)
	}

	waitState(t, addr, "FINISHED")
	var d struct {
		Restarts int `json:"restarts"`
	}
	getJSON(addr, "/jobs/job", &d)
	if d.Restarts != 0 {
		t.Errorf("restarts = %d after the forged reports, want 0", d.Restarts)
	}
	e.stopAll(stopC, stopW)
	e.verify()
}
