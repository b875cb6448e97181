package coordinator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/coordinator"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/scripted"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/rest"
	"github.com/redoflow/redoflow/restart"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/verify"
	"github.com/redoflow/redoflow/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds waits; not a performance assertion.
const waitLimit = 60 * time.Second

func writeTruth(t *testing.T, txns int) string {
	dir := t.TempDir()
	if err := scripted.WriteTruth(dir, txns); err != nil {
		t.Fatal(err)
	}
	return dir
}

type env struct {
	t                  *testing.T
	out, chk, sp       string
	txns               int
	log                *slog.Logger
	wg                 sync.WaitGroup
	mu                 sync.Mutex
	errs               []error
	checkpointInterval time.Duration
	// source, when set, makes the workers' sources; else scripted.Source over txns.
	source func() pipeline.Source
	// restart is the coordinators' restart strategy: by default fixed-delay, many
	// attempts 50 ms apart.
	restart restart.Config
	// auth is the cluster's, of testSecret.
	auth *wire.Auth
}

// testSecret is the cluster secret of the tests' clusters.
var testSecret = []byte("redoflow-test-cluster-secret-0123456789")

func newAuth(t *testing.T, secret []byte) *wire.Auth {
	t.Helper()
	a, err := wire.NewAuth(secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newEnv(t *testing.T, txns int) *env {
	d := t.TempDir()
	e := &env{t: t, out: filepath.Join(d, "out"), chk: filepath.Join(d, "chk"), sp: filepath.Join(d, "sp"), txns: txns,
		log: slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})), checkpointInterval: 30 * time.Millisecond,
		restart: restart.DefaultConfig(), auth: newAuth(t, testSecret)}
	e.restart.Strategy = restart.FixedDelay
	e.restart.FixedDelay = restart.FixedDelayConfig{Attempts: 1000, Delay: 50 * time.Millisecond}
	return e
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p[:len(p)-1])); return len(p), nil }

func (e *env) run(name string, f func(context.Context) error) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
			e.mu.Lock()
			e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
			e.mu.Unlock()
		}
	}()
	return cancel
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func (e *env) coordinator(name string, el ha.Elector, reg ha.Registry) (string, context.CancelFunc) {
	addr, _, cancel := e.coordinatorAt(name, el, reg)
	return addr, cancel
}

// coordinatorAt starts a coordinator and returns its REST and internal addresses.
func (e *env) coordinatorAt(name string, el ha.Elector, reg ha.Registry) (string, string, context.CancelFunc) {
	ln, iln := listen(e.t), listen(e.t)
	cfg := coordinator.DefaultConfig()
	cfg.ID, cfg.Address, cfg.Listener = name, ln.Addr().String(), ln
	cfg.InternalAddress, cfg.InternalListener, cfg.Auth = iln.Addr().String(), iln, e.auth
	cfg.CheckpointDir, cfg.SavepointDir, cfg.JobID = e.chk, e.sp, "job"
	cfg.Elector, cfg.Registry, cfg.Logger = el, reg, e.log.With("proc", name)
	cfg.Restart = e.restart
	c, err := coordinator.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg.Address, cfg.InternalAddress, e.run(name, c.Run)
}

func (e *env) worker(name string, lw worker.LeaderWatcher, reg ha.Registry) context.CancelFunc {
	_, cancel := e.workerAt(name, lw, reg)
	return cancel
}

func (e *env) workerAt(name string, lw worker.LeaderWatcher, reg ha.Registry) (string, context.CancelFunc) {
	ln := listen(e.t)
	cfg := worker.DefaultConfig()
	cfg.ID, cfg.Address, cfg.Listener, cfg.Slots = name, ln.Addr().String(), ln, 2
	cfg.Leader, cfg.Registry, cfg.Logger, cfg.Auth = lw, reg, e.log.With("proc", name), e.auth
	cfg.Tasks = worker.PipelineTasks{CheckpointInterval: e.checkpointInterval, Logger: cfg.Logger,
		New: func(spec worker.TaskSpec) (pipeline.Source, pipeline.Sink, error) {
			kc := csv.DefaultConfig()
			kc.Dir, kc.Task, kc.RollSize, kc.RollAge = e.out, spec.Task, 2000, 50*time.Millisecond
			s, err := csv.New(kc)
			if err != nil {
				return nil, nil, err
			}
			if e.source != nil {
				return e.source(), csv.PipelineSink{S: s}, nil
			}
			return scripted.Source{Txns: e.txns, Pause: time.Millisecond}, csv.PipelineSink{S: s}, nil
		}}
	w, err := worker.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg.Address, e.run(name, w.Run)
}

func (e *env) stopAll(cancels ...context.CancelFunc) {
	for _, c := range cancels {
		c()
	}
	e.wg.Wait()
	for _, err := range e.errs {
		e.t.Error(err)
	}
}

// getJSON GETs http://addr/path into v.
func getJSON(addr, path string, v any) (http.Header, error) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.Header, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return resp.Header, json.NewDecoder(resp.Body).Decode(v)
}

// waitState waits until GET /jobs on addr reports state.
func waitState(t *testing.T, addr, state string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	last := ""
	for time.Now().Before(deadline) {
		var jobs struct {
			Jobs []struct{ ID, Status string } `json:"jobs"`
		}
		if _, err := getJSON(addr, "/jobs", &jobs); err == nil && len(jobs.Jobs) == 1 {
			last = jobs.Jobs[0].Status
			if last == state {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job not %s within %v (last %q)", state, waitLimit, last)
}

func (e *env) verify() {
	e.t.Helper()
	rep, err := verify.Run(e.out, writeTruth(e.t, e.txns))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("verify:\n%s", rep)
	if !rep.Ran(verify.ModePerChange) {
		e.t.Fatal("verify did not run the per-change check")
	}
	if !rep.OK() {
		e.t.Fatal("output does not match the truth")
	}
}

// TestNoneModeRunsTheJobExactlyOnce runs one coordinator and two workers without
// ZooKeeper, stops the worker running the task midway (its registration goes, the task
// moves) and checks that the job finishes with every change exactly once.
func TestNoneModeRunsTheJobExactlyOnce(t *testing.T) {
	e := newEnv(t, 1500)
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW1 := e.worker("w1", n, n)
	waitState(t, addr, "RUNNING")
	stopW2 := e.worker("w2", n, n)

	// Stop the worker running the task once a checkpoint was acknowledged.
	var running string
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		var d struct {
			Vertices []struct {
				TM string `json:"taskmanager-id"`
			} `json:"vertices"`
		}
		var ck struct {
			Counts struct{ Completed int } `json:"counts"`
		}
		getJSON(addr, "/jobs/job", &d)
		getJSON(addr, "/jobs/job/checkpoints", &ck)
		if len(d.Vertices) == 1 && d.Vertices[0].TM != "" && ck.Counts.Completed >= 3 {
			running = d.Vertices[0].TM
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if running == "" {
		t.Fatal("no acknowledged checkpoints")
	}
	if running == "w1" {
		stopW1()
	} else {
		stopW2()
	}
	t.Logf("stopped %s, which ran the task", running)
	waitState(t, addr, "FINISHED")
	var d struct {
		Restarts int `json:"restarts"`
	}
	getJSON(addr, "/jobs/job", &d)
	if d.Restarts < 1 {
		t.Errorf("restarts = %d, want the task restarted after its worker stopped", d.Restarts)
	}
	e.stopAll(stopC, stopW1, stopW2)
	e.verify()
}

// TestTaskGoneFromItsWorkerRestarts: a worker that stops a task without losing its
// registration (a lease that lapsed for a moment) no longer runs it; the leader notices
// from the worker's status and restarts the task from the latest checkpoint.
func TestTaskGoneFromItsWorkerRestarts(t *testing.T) {
	e := newEnv(t, 1200)
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	waddr, stopW := e.workerAt("w1", n, n)
	waitState(t, addr, "RUNNING")
	var st wire.Status
	deadline := time.Now().Add(waitLimit)
	for len(st.Tasks) == 0 && time.Now().Before(deadline) {
		wire.Call(context.Background(), e.auth.Client(nil), waddr, wire.PathStatus, nil, &st)
		time.Sleep(10 * time.Millisecond)
	}
	if len(st.Tasks) != 1 {
		t.Fatalf("worker status %+v", st)
	}
	time.Sleep(200 * time.Millisecond) // a few checkpoints
	if err := wire.Call(context.Background(), e.auth.Client(nil), waddr, wire.PathCancel, wire.Cancel{Ref: st.Tasks[0]}, nil); err != nil {
		t.Fatal(err)
	}
	waitState(t, addr, "FINISHED")
	var d struct {
		Restarts int `json:"restarts"`
	}
	getJSON(addr, "/jobs/job", &d)
	if d.Restarts < 1 {
		t.Errorf("restarts = %d, want the silently stopped task restarted", d.Restarts)
	}
	e.stopAll(stopC, stopW)
	e.verify()
}

// phasedSource hands over one snapshot row at a snapshot position (2 of the 3
// chunks of S.T done, as jobspec encodes it), waits for next to close, then
// ends at a stream position.
type phasedSource struct{ next <-chan struct{} }

func (s phasedSource) Run(ctx context.Context, _ change.Position, h change.Handler) error {
	tbl := &change.Table{Schema: "S", Name: "T", Columns: []change.Column{{Name: "ID", Type: "NUMBER"}}}
	ev := change.Event{Op: change.OpRead, Table: tbl, Row: []change.Value{{Text: "1"}}}
	if err := h.Change(ctx, &ev); err != nil {
		return err
	}
	snap := `{"phase":"snapshot","snapshot":{"scn":10,"oldest_open_scn":10,"tables":[{"table":"S.T","key":["ID"],"bounds":[["5"],["9"]],"done":[0,2]}]}}`
	if err := h.Boundary(ctx, []byte(snap)); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.next:
	}
	return h.Boundary(ctx, []byte(`{"phase":"stream","stream":{"v":1}}`))
}

// TestJobDetailShowsTheWorkersProgress: the phase and snapshot chunks of GET /jobs/{id}
// are those the worker decoded from the position of the latest acknowledged checkpoint.
func TestJobDetailShowsTheWorkersProgress(t *testing.T) {
	e := newEnv(t, 0)
	next := make(chan struct{})
	e.source = func() pipeline.Source { return phasedSource{next: next} }
	n := ha.NewNone()
	defer n.Close()
	addr, stopC := e.coordinator("c1", n, n)
	stopW := e.worker("w1", n, n)
	type detail struct {
		Phase    string               `json:"phase"`
		Snapshot []rest.SnapshotTable `json:"snapshot"`
	}
	var d detail
	deadline := time.Now().Add(waitLimit)
	for d.Phase == "" && time.Now().Before(deadline) {
		getJSON(addr, "/jobs/job", &d)
		time.Sleep(10 * time.Millisecond)
	}
	want := []rest.SnapshotTable{{Table: "S.T", ChunksDone: 2, ChunksTotal: 3}}
	if d.Phase != "snapshot" || !slices.Equal(d.Snapshot, want) {
		t.Fatalf("during the snapshot: phase %q, snapshot %+v; want snapshot, %+v", d.Phase, d.Snapshot, want)
	}
	close(next)
	waitState(t, addr, "FINISHED")
	d = detail{}
	if _, err := getJSON(addr, "/jobs/job", &d); err != nil || d.Phase != "stream" || d.Snapshot != nil {
		t.Fatalf("after the snapshot: phase %q, snapshot %+v, %v; want stream and no snapshot", d.Phase, d.Snapshot, err)
	}
	e.stopAll(stopC, stopW)
}
