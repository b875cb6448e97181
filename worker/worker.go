package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/metrics"
	"github.com/redoflow/redoflow/pipeline"
)

// LeaderWatcher reports the current leader; ha.Elector implementations satisfy it.
type LeaderWatcher interface {
	Observe(ctx context.Context) <-chan ha.LeaderInfo
}

// TaskSpec is the task attempt a leader assigns.
type TaskSpec struct {
	Job, Task string
	// Epoch and Attempt name the attempt: its files carry them, so that no
	// two attempts write one file.
	Epoch, Attempt int64
	// Fence fails (ErrFenced) once the worker's registration lease may have
	// run out, before the leader can have moved the task elsewhere: the task
	// asks it before every write of output and stops when it fails.
	Fence func() error
}

// Task is a built task; *pipeline.Job is one.
type Task interface {
	// Run runs the task until its source is done (nil), ctx ends, or it fails.
	Run(ctx context.Context) error
	// Savepoint takes a savepoint into dir at the next transaction boundary.
	Savepoint(ctx context.Context, dir string) (string, error)
}

// TaskBuilder builds a task from the job's configuration, with cp as its Checkpointer.
// close, when not nil, is called once the task has ended.
type TaskBuilder interface {
	BuildTask(ctx context.Context, spec TaskSpec, cp pipeline.Checkpointer) (t Task, close func() error, err error)
}

// PipelineTasks is a TaskBuilder for tasks that are a pipeline.Job over parts New returns.
type PipelineTasks struct {
	// New returns a fresh source and sink for spec.
	New                func(spec TaskSpec) (pipeline.Source, pipeline.Sink, error)
	CheckpointInterval time.Duration
	Logger             *slog.Logger
	Metrics            *metrics.Metrics
}

// BuildTask implements TaskBuilder.
func (p PipelineTasks) BuildTask(_ context.Context, spec TaskSpec, cp pipeline.Checkpointer) (Task, func() error, error) {
	src, sink, err := p.New(spec)
	if err != nil {
		return nil, nil, err
	}
	job, err := pipeline.New(pipeline.Config{JobID: spec.Job, Task: spec.Task, Source: src,
		Sink: countingSink{sink, p.Metrics}, Checkpointer: cp, CheckpointInterval: p.CheckpointInterval, Logger: p.Logger})
	return job, nil, err
}

// Config configures a Worker. Names in brackets are environment variables.
type Config struct {
	// ID names the worker in the registry [REDOFLOW_NODE_ID].
	ID string
	// Address is where the coordinators reach this worker's command API (host:port)
	// [REDOFLOW_ADVERTISED_HOST + REDOFLOW_WORKER_PORT].
	Address string
	// Listener serves the command API; nil listens on Listen.
	Listener net.Listener
	Listen   string
	// Slots is TASK_MANAGER_NUMBER_OF_TASK_SLOTS.
	Slots int
	// Leader reports the leader; Registry registers this worker.
	Leader   LeaderWatcher
	Registry ha.Registry
	// Tasks builds the tasks.
	Tasks TaskBuilder
	// CheckpointTimeout bounds a checkpoint hand-off to the leader (default 5 s): a leader
	// that does not answer in time fails the checkpoint, and nothing is published.
	CheckpointTimeout time.Duration
	// Auth checks the leader's commands and signs this worker's calls to the leader
	// [REDOFLOW_CLUSTER_SECRET]. Required: wire.Insecure() is the explicit development
	// mode.
	Auth    *wire.Auth
	Client  *http.Client
	Logger  *slog.Logger
	Metrics *metrics.Metrics
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Listen: ":6121", Slots: 4, CheckpointTimeout: 5 * time.Second}
}

// Validate reports the first setting that cannot work, as an error matching
// config.ErrInvalid.
func (c Config) Validate() error {
	bad := func(f string, a ...any) error { return config.Invalid("worker", f, a...) }
	switch {
	case c.ID == "":
		return bad("REDOFLOW_NODE_ID is empty")
	case c.Address == "":
		return bad("Address is empty: set REDOFLOW_ADVERTISED_HOST so that coordinators reach this worker")
	case c.Listener == nil && c.Listen == "":
		return bad("REDOFLOW_WORKER_PORT: no listen address")
	case c.Slots < 1:
		return bad("TASK_MANAGER_NUMBER_OF_TASK_SLOTS is %d: use at least 1", c.Slots)
	case c.Leader == nil || c.Registry == nil:
		return bad("no leader watcher or registry (HA_MODE)")
	case c.Tasks == nil:
		return bad("no task builder")
	case c.CheckpointTimeout <= 0:
		return bad("checkpoint timeout must be positive")
	case c.Auth == nil:
		return bad("no cluster authentication: set REDOFLOW_CLUSTER_SECRET (or REDOFLOW_INSECURE_CLUSTER=true for development)")
	}
	return nil
}

// Worker runs tasks for the leader.
type Worker struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client

	// mu guards the fields below; it is never held across a network call or while
	// waiting for a task to stop.
	mu     sync.Mutex
	leader ha.LeaderInfo
	// leaderEpoch is the newest epoch of a leader observed; observed is
	// closed, and replaced, at each observation.
	leaderEpoch int64
	observed    chan struct{}
	epoch       int64           // newest epoch seen
	reg         ha.Registration // the current registration; nil while unregistered
	tasks       map[string]*task
	closed      bool
	wg          sync.WaitGroup // task goroutines
}

type task struct {
	ref    wire.TaskRef
	job    Task
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg.
func New(cfg Config) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, client: cfg.Auth.Client(cfg.Client), tasks: map[string]*task{}, observed: make(chan struct{})}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("component", "worker", "id", cfg.ID)
	return w, nil
}

// Run registers the worker, serves commands and runs tasks until ctx is done; it returns
// ctx.Err() once every task has stopped.
func (w *Worker) Run(ctx context.Context) error {
	ln := w.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", w.cfg.Listen); err != nil {
			return fmt.Errorf("worker: REDOFLOW_WORKER_PORT: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathEpoch, w.handleEpoch)
	mux.HandleFunc("POST "+wire.PathAssign, w.handleAssign)
	mux.HandleFunc("POST "+wire.PathCancel, w.handleCancel)
	mux.HandleFunc("POST "+wire.PathSavepoint, w.handleSavepoint)
	mux.HandleFunc("GET "+wire.PathStatus, w.handleStatus)
	srv := &http.Server{Handler: w.cfg.Auth.Handler(w.cfg.Address, w.log, mux), ReadHeaderTimeout: 10 * time.Second}
	w.cfg.Metrics.Slots(w.cfg.Slots, w.cfg.Slots)

	// Shutdown order: when ctx ends, (1) every task takes a last checkpoint (bounded by
	// CheckpointTimeout), then is cancelled and waited for, so its successor elsewhere
	// resumes where it stopped; (2) only then is the registration withdrawn, which lets
	// the leader move the task at once (withdrawing first would let two attempts write
	// the same files for a moment); (3) the observer and the command server stop.
	g, gctx := errgroup.WithContext(ctx)
	regCtx, stopRegistration := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRegistration()
	g.Go(func() error {
		if err := w.register(regCtx); regCtx.Err() == nil {
			return err
		}
		return nil
	})
	g.Go(func() error { return w.observe(gctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("worker: command server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.lastCheckpoints()
		w.stopTasks(func(*task) bool { return true })
		w.wg.Wait()
		stopRegistration()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// lastCheckpoints asks every task for a checkpoint before a graceful stop. pipeline.Job
// has no "checkpoint now" call; a savepoint is a checkpoint that also writes a copy of its
// metadata, here into a scratch directory removed afterwards.
func (w *Worker) lastCheckpoints() {
	w.mu.Lock()
	tasks := make([]*task, 0, len(w.tasks))
	for _, t := range w.tasks {
		tasks = append(tasks, t)
	}
	w.mu.Unlock()
	for _, t := range tasks {
		dir, err := os.MkdirTemp("", "redoflow-last-checkpoint-")
		if err != nil {
			w.log.Warn("no last checkpoint before stopping", "err", err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.CheckpointTimeout)
		_, err = t.job.Savepoint(ctx, dir)
		cancel()
		os.RemoveAll(dir)
		if err != nil {
			w.log.Warn("no last checkpoint before stopping; the task resumes from the previous one", "job", t.ref.Job, "err", err)
			continue
		}
		w.log.Info("last checkpoint taken before stopping", "job", t.ref.Job, "attempt", t.ref.Attempt)
	}
}

// register keeps the worker registered; a lost registration stops every task first.
func (w *Worker) register(ctx context.Context) error {
	me := ha.Worker{ID: w.cfg.ID, Address: w.cfg.Address, Slots: w.cfg.Slots}
	for {
		reg, err := w.cfg.Registry.Register(ctx, me)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ha.ErrClosed) {
				return fmt.Errorf("worker: %w", err)
			}
			w.log.Warn("registration failed, retrying", "err", err)
			if ctxsleep.For(ctx, time.Second) != nil {
				return ctx.Err()
			}
			continue
		}
		w.mu.Lock()
		w.reg = reg
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-reg.Done():
		}
		w.mu.Lock()
		w.reg = nil
		w.mu.Unlock()
		w.log.Warn("registration lost: stopping every task, the leader may move them", "reason", reg.Err())
		w.stopTasks(func(*task) bool { return true })
	}
}

// observe follows the leader; a newer epoch stops the tasks of older ones.
func (w *Worker) observe(ctx context.Context) error {
	for info := range w.cfg.Leader.Observe(ctx) {
		w.mu.Lock()
		changed := info != w.leader
		w.leader = info
		w.leaderEpoch = max(w.leaderEpoch, info.Epoch)
		close(w.observed)
		w.observed = make(chan struct{})
		newer := info.Epoch > w.epoch
		if newer {
			w.epoch = info.Epoch
		}
		w.mu.Unlock()
		if changed {
			w.log.Info("leader observed", "leader", info.String())
			w.cfg.Metrics.SetLeader(info.HasLeader(), false)
			w.cfg.Metrics.LeaderChanged()
		}
		if newer {
			w.stopTasks(func(t *task) bool { return t.ref.Epoch < info.Epoch })
		}
	}
	return ctx.Err()
}

// stopTasks cancels the tasks matching f and waits until they have stopped.
func (w *Worker) stopTasks(f func(*task) bool) {
	w.mu.Lock()
	var stopping []*task
	for _, t := range w.tasks {
		if f(t) {
			t.cancel()
			stopping = append(stopping, t)
		}
	}
	w.mu.Unlock()
	for _, t := range stopping {
		<-t.done
	}
}

// seeEpoch records epoch, refusing older ones and ones no leader was elected with, and
// stops the tasks of older epochs.
func (w *Worker) seeEpoch(ctx context.Context, epoch int64) error {
	if err := w.elected(ctx, epoch); err != nil {
		return err
	}
	w.mu.Lock()
	if epoch < w.epoch {
		cur := w.epoch
		w.mu.Unlock()
		return fmt.Errorf("%w: command of epoch %d, newest seen %d", wire.ErrStaleEpoch, epoch, cur)
	}
	w.epoch = epoch
	w.mu.Unlock()
	w.stopTasks(func(t *task) bool { return t.ref.Epoch < epoch })
	return nil
}

// elected returns once a leader of epoch or a newer one has been observed in the
// election, or ErrUnknownEpoch after CheckpointTimeout. Epochs come from the election:
// a command cannot raise the newest epoch this worker knows beyond any that was elected,
// which would make it refuse every real leader. A leader's first command may arrive
// before its election is observed here, hence the wait.
func (w *Worker) elected(ctx context.Context, epoch int64) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.CheckpointTimeout)
	defer cancel()
	for {
		w.mu.Lock()
		seen, observed := w.leaderEpoch, w.observed
		w.mu.Unlock()
		if epoch <= seen {
			return nil
		}
		select {
		case <-observed:
		case <-ctx.Done():
			return fmt.Errorf("%w: command of epoch %d, newest elected leader observed: epoch %d", wire.ErrUnknownEpoch, epoch, seen)
		}
	}
}

func (w *Worker) status() wire.Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := wire.Status{Worker: w.cfg.ID, Epoch: w.epoch, Slots: w.cfg.Slots, Tasks: []wire.TaskRef{}}
	for _, t := range w.tasks {
		st.Tasks = append(st.Tasks, t.ref)
	}
	return st
}

func refuse(rw http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, wire.ErrStaleEpoch):
		wire.WriteError(rw, http.StatusConflict, wire.CodeStaleEpoch, "%v", err)
	case errors.Is(err, wire.ErrUnknownEpoch):
		wire.WriteError(rw, http.StatusConflict, wire.CodeUnknownEpoch, "%v", err)
	case errors.Is(err, ErrNoSlot):
		wire.WriteError(rw, http.StatusConflict, wire.CodeNoSlot, "%v", err)
	case errors.Is(err, ErrBuildTask):
		// The leader counts it as a failure of the attempt, of the class it has.
		wire.WriteFailure(rw, http.StatusInternalServerError, wire.CodeTaskFailed, err)
	default:
		wire.WriteError(rw, http.StatusInternalServerError, wire.CodeInternal, "%v", err)
	}
}

func (w *Worker) handleEpoch(rw http.ResponseWriter, r *http.Request) {
	var n wire.EpochNotice
	if !wire.Decode(rw, r, &n) {
		return
	}
	if err := w.seeEpoch(r.Context(), n.Epoch); err != nil {
		refuse(rw, err)
		return
	}
	wire.WriteJSON(rw, http.StatusOK, w.status())
}

func (w *Worker) handleStatus(rw http.ResponseWriter, _ *http.Request) {
	wire.WriteJSON(rw, http.StatusOK, w.status())
}

func (w *Worker) handleAssign(rw http.ResponseWriter, r *http.Request) {
	var a wire.Assign
	if !wire.Decode(rw, r, &a) {
		return
	}
	if err := w.seeEpoch(r.Context(), a.Ref.Epoch); err != nil {
		refuse(rw, err)
		return
	}
	key := a.Ref.Job + "/" + a.Ref.Task
	// Another attempt of the same task stops first: two attempts never write at once.
	w.stopTasks(func(t *task) bool { return t.ref.Job == a.Ref.Job && t.ref.Task == a.Ref.Task && t.ref != a.Ref })
	w.mu.Lock()
	if t := w.tasks[key]; t != nil && t.ref == a.Ref {
		w.mu.Unlock()
		wire.WriteJSON(rw, http.StatusOK, w.status()) // a repeated command
		return
	}
	if len(w.tasks) >= w.cfg.Slots || w.closed {
		w.mu.Unlock()
		refuse(rw, fmt.Errorf("%w: %d of %d slots busy", ErrNoSlot, len(w.tasks), w.cfg.Slots))
		return
	}
	w.mu.Unlock()
	if err := w.start(a.Ref); err != nil {
		refuse(rw, err)
		return
	}
	wire.WriteJSON(rw, http.StatusOK, w.status())
}

func (w *Worker) handleCancel(rw http.ResponseWriter, r *http.Request) {
	var c wire.Cancel
	if !wire.Decode(rw, r, &c) {
		return
	}
	if err := w.seeEpoch(r.Context(), c.Ref.Epoch); err != nil {
		refuse(rw, err)
		return
	}
	w.stopTasks(func(t *task) bool { return t.ref == c.Ref })
	wire.WriteJSON(rw, http.StatusOK, w.status())
}

func (w *Worker) handleSavepoint(rw http.ResponseWriter, r *http.Request) {
	var req wire.SavepointRequest
	if !wire.Decode(rw, r, &req) {
		return
	}
	if err := w.seeEpoch(r.Context(), req.Ref.Epoch); err != nil {
		refuse(rw, err)
		return
	}
	w.mu.Lock()
	t := w.tasks[req.Ref.Job+"/"+req.Ref.Task]
	w.mu.Unlock()
	if t == nil || t.ref != req.Ref {
		wire.WriteError(rw, http.StatusNotFound, wire.CodeNotFound, "the task attempt of the savepoint does not run on this worker")
		return
	}
	path, err := t.job.Savepoint(r.Context(), req.Dir)
	if err != nil {
		wire.WriteError(rw, http.StatusInternalServerError, wire.CodeInternal, "savepoint: %v", err)
		return
	}
	wire.WriteJSON(rw, http.StatusOK, wire.SavepointResponse{Path: path})
}

// start builds and starts a task attempt.
func (w *Worker) start(ref wire.TaskRef) error {
	ctx, cancel := context.WithCancel(context.Background())
	log := w.log.With("job", ref.Job, "task", ref.Task, "epoch", ref.Epoch, "attempt", ref.Attempt)
	cp := &leaderCheckpointer{w: w, ref: ref}
	w.mu.Lock()
	reg := w.reg
	w.mu.Unlock()
	if reg == nil {
		cancel()
		return fmt.Errorf("%w: not registered", ErrFenced)
	}
	spec := TaskSpec{Job: ref.Job, Task: ref.Task, Epoch: ref.Epoch, Attempt: ref.Attempt, Fence: leaseFence(reg)}
	job, closeFn, err := w.cfg.Tasks.BuildTask(ctx, spec, cp)
	if err != nil {
		cancel()
		if closeFn != nil {
			_ = closeFn()
		}
		return fmt.Errorf("%w: %w", ErrBuildTask, err)
	}
	t := &task{ref: ref, job: job, cancel: cancel, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		cancel()
		if closeFn != nil {
			_ = closeFn()
		}
		return errors.New("worker: shutting down")
	}
	w.tasks[ref.Job+"/"+ref.Task] = t
	n := len(w.tasks)
	w.wg.Add(1)
	w.mu.Unlock()
	w.cfg.Metrics.Tasks(n)
	w.cfg.Metrics.Slots(w.cfg.Slots, w.cfg.Slots-n)
	log.Info("task started")
	go func() { // tracked by w.wg; Run waits for it
		defer w.wg.Done()
		err := job.Run(ctx)
		if closeFn != nil {
			if cerr := closeFn(); cerr != nil && err == nil {
				err = cerr
			}
		}
		w.mu.Lock()
		if w.tasks[ref.Job+"/"+ref.Task] == t {
			delete(w.tasks, ref.Job+"/"+ref.Task)
		}
		n := len(w.tasks)
		w.mu.Unlock()
		w.cfg.Metrics.Tasks(n)
		w.cfg.Metrics.Slots(w.cfg.Slots, w.cfg.Slots-n)
		cancelled := ctx.Err() != nil
		close(t.done)
		switch {
		case cancelled:
			log.Info("task stopped")
		case err == nil:
			log.Info("task finished")
			w.report(ref, wire.TaskFinished, nil)
		default:
			log.Warn("task failed", "err", err, "class", failure.ClassOf(err))
			w.report(ref, wire.TaskFailed, err)
		}
	}()
	return nil
}

// leaseFence fails once reg's lease has run out: the attempt stops writing
// at the latest then, whether or not the news of a lost registration has
// reached this process (a paused process learns it late).
func leaseFence(reg ha.Registration) func() error {
	return func() error {
		until := reg.ValidUntil()
		if now := time.Now(); !now.Before(until) {
			if until.IsZero() {
				return fmt.Errorf("%w: the registration ended", ErrFenced)
			}
			return fmt.Errorf("%w: the registration lease ran out %s ago", ErrFenced, now.Sub(until).Round(time.Millisecond))
		}
		return nil
	}
}

// report tells the task's leader that it ended, with the error and its class when it
// failed; a leader of another epoch does not care.
func (w *Worker) report(ref wire.TaskRef, state string, cause error) {
	ev := wire.TaskEvent{Ref: ref, Worker: w.cfg.ID, State: state}
	if cause != nil {
		ev.Error, ev.Class = cause.Error(), failure.ClassOf(cause)
	}
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.CheckpointTimeout)
		addr, err := w.leaderOf(ctx, ref.Epoch)
		if err != nil {
			cancel()
			return
		}
		err = wire.Call(ctx, w.client, addr, wire.PathTaskEvent, ev, nil)
		cancel()
		if err == nil || errors.Is(err, wire.ErrStaleAttempt) || errors.Is(err, wire.ErrStaleEpoch) {
			return
		}
		w.log.Warn("reporting the task's end to the leader failed", "err", err)
		time.Sleep(200 * time.Millisecond)
	}
}

// leaderOf returns the address of the leader of epoch, or ErrNoLeader. The command
// that starts a task comes from its leader, and may arrive before this worker has
// observed that leader (ZooKeeper's notification, or in HA_MODE=NONE the in-process
// one, can come later): while no leader of epoch or newer has been observed, it waits
// for the observation until ctx ends. A leader of epoch observed and lost since, or a
// newer one, fails at once.
func (w *Worker) leaderOf(ctx context.Context, epoch int64) (string, error) {
	for {
		w.mu.Lock()
		info, seen, observed := w.leader, w.leaderEpoch, w.observed
		w.mu.Unlock()
		if info.HasLeader() && info.Epoch == epoch {
			if info.Internal == "" {
				return "", fmt.Errorf("%w: epoch %d: %s advertises no internal address (REDOFLOW_INTERNAL_PORT; a coordinator of an older version?)", ErrNoLeader, epoch, info)
			}
			return info.Internal, nil
		}
		if seen >= epoch {
			return "", fmt.Errorf("%w: epoch %d, current leader: %s", ErrNoLeader, epoch, info)
		}
		select {
		case <-observed:
		case <-ctx.Done():
			return "", fmt.Errorf("%w: epoch %d, current leader: %s (%v)", ErrNoLeader, epoch, info, context.Cause(ctx))
		}
	}
}

// leaderCheckpointer hands a task's checkpoints to the leader of the task's epoch.
type leaderCheckpointer struct {
	w   *Worker
	ref wire.TaskRef
}

// Latest implements pipeline.Checkpointer: the leader's latest completed checkpoint.
func (c *leaderCheckpointer) Latest(ctx context.Context) (checkpoint.Metadata, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.w.cfg.CheckpointTimeout)
	defer cancel()
	addr, err := c.w.leaderOf(ctx, c.ref.Epoch)
	if err != nil {
		return checkpoint.Metadata{}, "", err
	}
	var l wire.Latest
	if err := wire.Call(ctx, c.w.client, addr, wire.PathLatest+"?job="+c.ref.Job, nil, &l); err != nil {
		return checkpoint.Metadata{}, "", fmt.Errorf("worker: latest checkpoint from the leader: %w", err)
	}
	if l.Path == "" {
		return checkpoint.Metadata{}, "", checkpoint.ErrNoCheckpoint
	}
	m, err := checkpoint.Load(l.Path)
	return m, l.Path, err
}

// Save implements pipeline.Checkpointer: it returns only once the leader of the task's
// epoch stored the checkpoint and recorded its pointer with a fenced write.
func (c *leaderCheckpointer) Save(ctx context.Context, m checkpoint.Metadata) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.w.cfg.CheckpointTimeout)
	defer cancel()
	addr, err := c.w.leaderOf(ctx, c.ref.Epoch)
	if err != nil {
		c.w.cfg.Metrics.Checkpoint(false, 0)
		return "", err
	}
	var ack wire.CheckpointAck
	err = wire.Call(ctx, c.w.client, addr, wire.PathCheckpoint,
		wire.Checkpoint{Ref: c.ref, Worker: c.w.cfg.ID, Metadata: m, DurationMs: time.Since(m.Time).Milliseconds(),
			Progress: progressOf(m.Source)}, &ack)
	if err != nil {
		c.w.cfg.Metrics.Checkpoint(false, 0)
		return "", fmt.Errorf("worker: checkpoint %d not acknowledged by the leader: %w", m.ID, err)
	}
	c.w.cfg.Metrics.Checkpoint(true, time.Since(m.Time).Seconds())
	return ack.Path, nil
}

// countingSink counts records out per table.
type countingSink struct {
	pipeline.Sink
	m *metrics.Metrics
}

func (s countingSink) Write(ctx context.Context, ev *change.Event) error {
	if err := s.Sink.Write(ctx, ev); err != nil {
		return err
	}
	if s.m != nil && ev.Table != nil {
		s.m.Record(ev.Table.Schema + "." + ev.Table.Name)
	}
	return nil
}

// Finish forwards pipeline.Finisher.
func (s countingSink) Finish(ctx context.Context) error {
	if f, ok := s.Sink.(pipeline.Finisher); ok {
		return f.Finish(ctx)
	}
	return nil
}
