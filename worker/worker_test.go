package worker_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testSecret is the cluster secret of the tests' workers and fake leaders.
var testSecret = []byte("redoflow-test-cluster-secret-0123456789")

func newAuth(t *testing.T, secret []byte) *wire.Auth {
	t.Helper()
	a, err := wire.NewAuth(secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fakeLeader serves h as a leader's internal protocol signed with auth, and returns
// its candidate.
func fakeLeader(t *testing.T, auth *wire.Auth, h http.HandlerFunc) ha.Candidate {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	addr := srv.Listener.Addr().String()
	srv.Config.Handler = auth.Handler(addr, nil, h)
	srv.Start()
	t.Cleanup(srv.Close)
	return ha.Candidate{ID: "c0", Address: addr, Internal: addr}
}

// endless hands over one change per transaction until cancelled.
type endless struct{}

func (endless) Run(ctx context.Context, _ change.Position, h change.Handler) error {
	tbl := &change.Table{Schema: "S", Name: "T", Columns: []change.Column{{Name: "ID", Type: "NUMBER"}}}
	ev := change.Event{Op: change.OpCreate, Table: tbl, Row: make([]change.Value, 1)}
	for i := 0; ; i++ {
		ev.Row[0] = change.Value{Text: "1"}
		if err := h.Change(ctx, &ev); err != nil {
			return err
		}
		if err := h.Boundary(ctx, []byte("1")); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// TestRefusesOlderEpochsAndPublishesNothingUnacknowledged: commands of an epoch older than
// the newest seen are refused; a task whose checkpoints the leader refuses (fenced)
// publishes no file and reports its failure.
func TestRefusesOlderEpochsAndPublishesNothingUnacknowledged(t *testing.T) {
	out := t.TempDir()
	n := ha.NewNone()
	defer n.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := worker.DefaultConfig()
	cfg.ID, cfg.Address, cfg.Listener, cfg.Slots = "w1", ln.Addr().String(), ln, 1
	auth := newAuth(t, testSecret)
	cfg.Leader, cfg.Registry, cfg.Auth = n, n, auth
	cfg.Tasks = worker.PipelineTasks{CheckpointInterval: 5 * time.Millisecond, New: func(spec worker.TaskSpec) (pipeline.Source, pipeline.Sink, error) {
		kc := csv.DefaultConfig()
		kc.Dir, kc.Task, kc.RollSize, kc.RollAge = out, spec.Task, 100, time.Millisecond
		s, err := csv.New(kc)
		return endless{}, csv.PipelineSink{S: s}, err
	}}
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	addr := ln.Addr().String()
	c := auth.Client(&http.Client{Timeout: 5 * time.Second})
	call := func(path string, in any) error {
		return wire.Call(context.Background(), c, addr, path, in, nil)
	}

	// A leader that has just been fenced: it has no checkpoint and refuses to store one.
	refused := make(chan wire.Checkpoint, 10)
	failed := make(chan wire.TaskEvent, 10)
	fake := fakeLeader(t, auth, func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathLatest:
			wire.WriteJSON(rw, 200, wire.Latest{})
		case wire.PathCheckpoint:
			var req wire.Checkpoint
			wire.Decode(rw, r, &req)
			refused <- req
			wire.WriteError(rw, 503, wire.CodeNotLeader, "fenced")
		case wire.PathTaskEvent:
			var ev wire.TaskEvent
			wire.Decode(rw, r, &ev)
			failed <- ev
			wire.WriteJSON(rw, 200, struct{}{})
		}
	})
	l, err := n.Campaign(ctx, fake)
	if err != nil {
		t.Fatal(err)
	}
	ep := l.Epoch()
	// A newer leader is elected and announces its epoch.
	l.Resign(ctx)
	if l, err = n.Campaign(ctx, fake); err != nil {
		t.Fatal(err)
	}
	if err := call(wire.PathEpoch, wire.EpochNotice{Epoch: l.Epoch()}); err != nil {
		t.Fatal(err)
	}
	err = call(wire.PathAssign, wire.Assign{Ref: wire.TaskRef{Job: "j", Task: "0", Epoch: ep, Attempt: 1}})
	if wire.CodeOf(err) != wire.CodeStaleEpoch {
		t.Fatalf("assign of epoch %d after %d: %v, want %s", ep, l.Epoch(), err, wire.CodeStaleEpoch)
	}
	// Resign and lead again: now the leader's epoch is the newest.
	l.Resign(ctx)
	if l, err = n.Campaign(ctx, fake); err != nil {
		t.Fatal(err)
	}
	ep = l.Epoch()
	if err := call(wire.PathAssign, wire.Assign{Ref: wire.TaskRef{Job: "j", Task: "0", Epoch: ep, Attempt: 1}}); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-refused:
		// endless's position is not a jobspec position: no progress to show.
		if req.Ref.Epoch != ep || req.Worker != "w1" || len(req.Metadata.Sinks["0"]) == 0 || req.Progress != nil {
			t.Errorf("checkpoint hand-off %+v", req)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no checkpoint handed to the leader")
	}
	select {
	case ev := <-failed:
		if ev.State != wire.TaskFailed || ev.Ref.Attempt != 1 {
			t.Errorf("task event %+v", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the task's failure was not reported")
	}
	// The refused checkpoint's output was written but not published.
	written, _ := filepath.Glob(filepath.Join(out, "*", ".part-*"))
	published, _ := filepath.Glob(filepath.Join(out, "*", "part-*.csv"))
	if len(published) > 0 || len(written) == 0 {
		t.Fatalf("published %v (want none), written %v (want some)", published, written)
	}
	var st wire.Status
	if err := wire.Call(context.Background(), c, addr, wire.PathStatus, nil, &st); err != nil || st.Epoch != ep || len(st.Tasks) != 0 {
		t.Fatalf("status %+v %v", st, err)
	}
}

// gated passes a LeaderWatcher's observations on only once open is closed.
type gated struct {
	w    worker.LeaderWatcher
	open chan struct{}
}

func (g gated) Observe(ctx context.Context) <-chan ha.LeaderInfo {
	out := make(chan ha.LeaderInfo)
	go func() {
		defer close(out)
		select {
		case <-g.open:
		case <-ctx.Done():
			return
		}
		for info := range g.w.Observe(ctx) {
			select {
			case out <- info:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// TestTaskAssignedBeforeItsLeaderIsObserved: the leader's assignment can reach the
// worker before the worker observes that leader (in HA_MODE=NONE both are in one
// process); the assignment waits for the observation instead of failing.
func TestTaskAssignedBeforeItsLeaderIsObserved(t *testing.T) {
	out := t.TempDir()
	n := ha.NewNone()
	defer n.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	checkpoints := make(chan wire.Checkpoint, 10)
	auth := newAuth(t, testSecret)
	fake := fakeLeader(t, auth, func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathLatest:
			wire.WriteJSON(rw, 200, wire.Latest{})
		case wire.PathCheckpoint:
			var req wire.Checkpoint
			wire.Decode(rw, r, &req)
			checkpoints <- req
			wire.WriteError(rw, 503, wire.CodeNotLeader, "enough")
		default:
			wire.WriteJSON(rw, 200, struct{}{})
		}
	})
	open := make(chan struct{})
	cfg := worker.DefaultConfig()
	cfg.ID, cfg.Address, cfg.Listener, cfg.Slots = "w1", ln.Addr().String(), ln, 1
	cfg.Leader, cfg.Registry, cfg.Auth = gated{w: n, open: open}, n, auth
	cfg.Tasks = worker.PipelineTasks{CheckpointInterval: 5 * time.Millisecond, New: func(spec worker.TaskSpec) (pipeline.Source, pipeline.Sink, error) {
		kc := csv.DefaultConfig()
		kc.Dir, kc.Task = out, spec.Task
		s, err := csv.New(kc)
		return endless{}, csv.PipelineSink{S: s}, err
	}}
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	l, err := n.Campaign(ctx, fake)
	if err != nil {
		t.Fatal(err)
	}
	c := auth.Client(&http.Client{Timeout: 10 * time.Second})
	ref := wire.TaskRef{Job: "j", Task: "0", Epoch: l.Epoch(), Attempt: 1}
	go func() {
		time.Sleep(300 * time.Millisecond) // the assignment has arrived, its leader not yet observed
		close(open)
	}()
	if err := wire.Call(ctx, c, ln.Addr().String(), wire.PathAssign, wire.Assign{Ref: ref}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-checkpoints:
		if req.Ref != ref {
			t.Errorf("checkpoint of %+v, want %+v", req.Ref, ref)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the task handed no checkpoint to its leader: it failed before observing it")
	}
}
