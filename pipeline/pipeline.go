// Package pipeline runs a redoflow job: a source chained to a sink inside
// one task, with checkpoints taken at transaction boundaries, so that a job
// stopped at any instant resumes with no change lost or written twice.
//
// It is also the embedding API: a Go service implements Sink (four
// methods) and calls Run with a logminer.Reader as Source to receive
// Oracle changes with the same guarantees redoflow's CSV output has.
//
// # Checkpoints
//
// At a transaction boundary (change.Handler.Boundary), once the interval
// has passed or a savepoint was asked for, the task:
//
//  1. calls Sink.PreCommit, which makes everything written durable and
//     returns the sink's state;
//  2. writes the checkpoint metadata (source position + sink state)
//     crash-safely with checkpoint.Store;
//  3. calls Sink.Commit with that state, which publishes the output.
//
// On start the task loads the newest complete checkpoint (or the savepoint
// it was given), calls Sink.Restore with its state and resumes the source
// from its position. A crash between 2 and 3 is repaired by Restore, which
// commits what the checkpoint covered. Without a readable checkpoint the
// start is fresh (Restore with nil), which a sink holding committed output
// refuses: Run then fails, saying which checkpoints it found.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/internal/failpoint"
)

// Source produces committed changes from a position; logminer.Reader is one.
// Run returns nil when the source is finished (a bounded read), ctx.Err()
// when cancelled.
type Source interface {
	Run(ctx context.Context, from change.Position, h change.Handler) error
}

// Sink receives the changes of one task with exactly-once guarantees.
type Sink interface {
	// Restore is called once before the first Write, with the state of the
	// checkpoint the job resumes from, or nil on a fresh start. A sink that
	// holds committed output of an earlier run must refuse a fresh start
	// (an error, which Run returns): no checkpoint says where that run got
	// to, and starting over would deliver its changes a second time.
	Restore(ctx context.Context, state []byte) error
	// Write receives one change. The event is only valid during the call.
	Write(ctx context.Context, ev *change.Event) error
	// PreCommit makes every change written so far durable and returns the
	// state to record in the checkpoint.
	PreCommit(ctx context.Context) ([]byte, error)
	// Commit is called once the checkpoint holding state is durable. It
	// must be idempotent: after a crash Restore may repeat it.
	Commit(ctx context.Context, state []byte) error
}

// Finisher is implemented by sinks that hold output back until a later
// checkpoint (the CSV sink's open files): Finish is called when the source
// is done, before the final checkpoint, so that it publishes everything.
type Finisher interface {
	Finish(ctx context.Context) error
}

// Checkpointer records completed checkpoints. The default keeps them in
// CHECKPOINT_DIR (checkpoint.Store); in a cluster the worker's Checkpointer
// hands them to the leader coordinator, which stores them and records the
// pointer with a fenced write. Save returns nil only once the checkpoint is
// durable and acknowledged: only then does the sink publish its output, so
// a worker that cannot reach a current leader publishes nothing.
type Checkpointer interface {
	// Latest returns the newest completed checkpoint and its path, or
	// checkpoint.ErrNoCheckpoint.
	Latest(ctx context.Context) (checkpoint.Metadata, string, error)
	// Save records m as completed and returns its path.
	Save(ctx context.Context, m checkpoint.Metadata) (string, error)
}

// StoreCheckpointer is the standalone Checkpointer over a checkpoint.Store.
type StoreCheckpointer struct{ Store *checkpoint.Store }

// Latest implements Checkpointer.
func (s StoreCheckpointer) Latest(context.Context) (checkpoint.Metadata, string, error) {
	return s.Store.Latest()
}

// Save implements Checkpointer.
func (s StoreCheckpointer) Save(_ context.Context, m checkpoint.Metadata) (string, error) {
	return s.Store.Save(m)
}

// Config configures a job.
type Config struct {
	JobID  string
	Task   string // task id; "0" for a one-task job
	Source Source
	Sink   Sink
	// Checkpointer records checkpoints; nil uses CHECKPOINT_DIR.
	Checkpointer       Checkpointer
	CheckpointDir      string
	Retain             int // completed checkpoints kept (default 3)
	CheckpointInterval time.Duration
	// FromSavepoint, when set, is the savepoint directory to start from
	// instead of the newest checkpoint.
	FromSavepoint string
	Logger        *slog.Logger
	// OnCheckpoint, when set, is called after each completed checkpoint.
	OnCheckpoint func(checkpoint.Metadata, string)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Source == nil:
		return errors.New("pipeline: no source")
	case c.Sink == nil:
		return errors.New("pipeline: no sink")
	case c.CheckpointInterval <= 0:
		return fmt.Errorf("pipeline: CHECKPOINT_INTERVAL %s must be positive", c.CheckpointInterval)
	}
	return nil
}

// Job is a running job.
type Job struct {
	cfg   Config
	store Checkpointer
	log   *slog.Logger
	now   func() time.Time

	savepoints chan savepointReq
}

type savepointReq struct {
	dir  string
	done chan<- savepointResult
}

type savepointResult struct {
	path string
	err  error
}

// New checks cfg and opens the checkpoint store.
func New(cfg Config) (*Job, error) {
	if cfg.Task == "" {
		cfg.Task = "0"
	}
	if cfg.Retain == 0 {
		cfg.Retain = 3
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store := cfg.Checkpointer
	if store == nil {
		sc := checkpoint.DefaultConfig()
		sc.Dir, sc.JobID, sc.Retain, sc.Logger = cfg.CheckpointDir, cfg.JobID, cfg.Retain, cfg.Logger
		st, err := checkpoint.NewStore(sc)
		if err != nil {
			return nil, err
		}
		store = StoreCheckpointer{st}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Job{cfg: cfg, store: store, log: log, now: now, savepoints: make(chan savepointReq)}, nil
}

// Run is New followed by Job.Run.
func Run(ctx context.Context, cfg Config) error {
	j, err := New(cfg)
	if err != nil {
		return err
	}
	return j.Run(ctx)
}

// Run restores the job and runs it until the source finishes (then a final
// checkpoint is taken and Run returns nil), the context ends (ctx.Err()),
// or an error stops it.
func (j *Job) Run(ctx context.Context) error {
	t, err := j.restore(ctx)
	if err != nil {
		return err
	}
	// A restored position is a boundary: idle checkpoints may start there.
	t.atBoundary = len(t.pos) > 0
	// The source runs in this goroutine; the ticker goroutine takes
	// checkpoints while the source is idle at a boundary and serves
	// savepoint requests. Shutdown order: when the source returns, cancel
	// stops the ticker, and g.Wait collects it before the final checkpoint.
	sctx, stopSource := context.WithCancel(ctx)
	defer stopSource()
	t.stopSource = stopSource
	tctx, cancel := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error { return t.idleLoop(tctx) })
	err = j.cfg.Source.Run(sctx, t.pos, t)
	cancel()
	g.Wait()
	t.mu.Lock()
	failed := t.failed
	t.mu.Unlock()
	if failed != nil {
		return failed // an idle checkpoint failed and stopped the source
	}
	switch {
	case err == nil:
		// The source is done: publish everything.
		if f, ok := j.cfg.Sink.(Finisher); ok {
			if err := f.Finish(ctx); err != nil {
				return fmt.Errorf("pipeline: finish sink: %w", err)
			}
		}
		if _, err := t.checkpoint(ctx, ""); err != nil {
			return err
		}
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return ctx.Err()
	}
	return err
}

// restore finds what the job resumes from (the savepoint it was given, else
// the newest readable checkpoint), restores the sink to it and returns the
// task ready to run. Without either the start is fresh, unless the sink
// refuses one (committed output that no checkpoint covers).
func (j *Job) restore(ctx context.Context) (*task, error) {
	latest, latestPath, latestErr := j.store.Latest(ctx)
	var from checkpoint.Metadata
	var fromPath string
	var none error // no readable checkpoint, and why
	if j.cfg.FromSavepoint != "" {
		fromPath = j.cfg.FromSavepoint
		var err error
		if from, err = checkpoint.Load(fromPath); err != nil {
			return nil, fmt.Errorf("pipeline: --from-savepoint %s: %w", fromPath, err)
		}
	} else {
		if latestErr != nil && !errors.Is(latestErr, checkpoint.ErrNoCheckpoint) {
			return nil, latestErr
		}
		from, fromPath, none = latest, latestPath, latestErr
	}
	t := &task{job: j, nextID: from.ID + 1, pos: change.Position(from.Source), last: j.now()}
	// Checkpoint ids keep growing past the savepoint's and the store's, and
	// past unreadable ones, which a new checkpoint must neither overwrite nor
	// be pruned before.
	var unreadable *checkpoint.UnreadableError
	switch {
	case latestErr == nil && latest.ID >= t.nextID:
		t.nextID = latest.ID + 1
	case errors.As(latestErr, &unreadable):
		t.nextID = max(t.nextID, unreadable.IDs[len(unreadable.IDs)-1]+1)
	}
	if err := j.cfg.Sink.Restore(ctx, from.Sinks[j.cfg.Task]); err != nil {
		if none != nil {
			return nil, fmt.Errorf("pipeline: job %s cannot start fresh: %v: %w", j.cfg.JobID, none, err)
		}
		return nil, fmt.Errorf("pipeline: restore sink: %w", err)
	}
	switch {
	case fromPath != "":
		j.log.Info("restoring", "from", fromPath, "checkpoint", from.ID)
	case unreadable != nil:
		j.log.Warn("starting fresh beside unreadable checkpoints: the sink holds no committed output", "reason", none)
	default:
		j.log.Info("starting fresh: no checkpoint yet")
	}
	return t, nil
}

// Savepoint asks the running job for a savepoint in dir, taken at once if
// the source is between transactions, else at its next boundary, and
// returns its path.
func (j *Job) Savepoint(ctx context.Context, dir string) (string, error) {
	done := make(chan savepointResult, 1)
	select {
	case j.savepoints <- savepointReq{dir: dir, done: done}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select {
	case r := <-done:
		return r.path, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// task is the source's handler: it forwards changes to the sink and takes
// checkpoints at boundaries. The source calls it from its goroutine; the
// idle loop from another, so mu serializes everything that touches the
// sink and the position.
type task struct {
	job    *Job
	nextID int64
	last   time.Time

	mu         sync.Mutex
	pos        change.Position
	atBoundary bool // no change handed over since the last boundary
	pending    *savepointReq
	failed     error  // an idle checkpoint's failure, reported to the source
	stopSource func() // stops the source after such a failure
}

func (t *task) Change(ctx context.Context, ev *change.Event) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed != nil {
		return t.failed
	}
	t.atBoundary = false
	return t.job.cfg.Sink.Write(ctx, ev)
}

func (t *task) Boundary(ctx context.Context, pos change.Position) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed != nil {
		return t.failed
	}
	t.pos = append(t.pos[:0:0], pos...)
	t.atBoundary = true
	if req := t.pending; req != nil {
		t.pending = nil
		path, err := t.checkpoint(ctx, req.dir)
		req.done <- savepointResult{path, err}
		return err
	}
	if t.job.now().Sub(t.last) < t.job.cfg.CheckpointInterval {
		return nil
	}
	_, err := t.checkpoint(ctx, "")
	return err
}

// idleLoop takes the checkpoints a quiet source does not trigger (no
// boundary comes while nothing happens, yet output waits for a checkpoint
// to be published), and serves savepoint requests: at once when the
// source stands at a boundary, else at its next boundary.
func (t *task) idleLoop(ctx context.Context) error {
	tick := time.NewTicker(max(t.job.cfg.CheckpointInterval/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			t.mu.Lock()
			if req := t.pending; req != nil {
				t.pending = nil
				req.done <- savepointResult{"", ctx.Err()}
			}
			t.mu.Unlock()
			return nil
		case req := <-t.job.savepoints:
			t.mu.Lock()
			if t.atBoundary && t.failed == nil {
				path, err := t.checkpoint(ctx, req.dir)
				req.done <- savepointResult{path, err}
				t.fail(err)
			} else {
				t.pending = &req
			}
			t.mu.Unlock()
		case <-tick.C:
			t.mu.Lock()
			if t.atBoundary && t.failed == nil && t.job.now().Sub(t.last) >= t.job.cfg.CheckpointInterval {
				_, err := t.checkpoint(ctx, "")
				t.fail(err)
			}
			t.mu.Unlock()
		}
	}
}

// fail records an idle checkpoint's error and stops the source: the job
// ends with it, as it would for a checkpoint taken at a boundary.
func (t *task) fail(err error) {
	if err != nil && t.failed == nil {
		t.failed = err
		t.stopSource()
	}
}

// checkpoint takes a checkpoint, or a savepoint into savepointDir.
func (t *task) checkpoint(ctx context.Context, savepointDir string) (string, error) {
	j := t.job
	start := j.now()
	failpoint.Hit("before-precommit")
	state, err := j.cfg.Sink.PreCommit(ctx)
	if err != nil {
		return "", fmt.Errorf("pipeline: checkpoint %d: sink: %w", t.nextID, err)
	}
	failpoint.Hit("after-precommit")
	m := checkpoint.Metadata{
		JobID:  j.cfg.JobID,
		ID:     t.nextID,
		Time:   start.UTC(),
		Source: json.RawMessage(t.pos),
		Sinks:  map[string]json.RawMessage{j.cfg.Task: json.RawMessage(state)},
	}
	if len(t.pos) == 0 {
		m.Source = json.RawMessage("null")
	}
	var path string
	if savepointDir != "" {
		// A savepoint is also a checkpoint: the sink commits its state, so
		// the job can go on from either.
		if path, err = checkpoint.SaveSavepoint(savepointDir, m); err == nil {
			_, err = j.store.Save(ctx, m)
		}
	} else {
		path, err = j.store.Save(ctx, m)
	}
	if err != nil {
		return "", fmt.Errorf("pipeline: checkpoint %d: %w", t.nextID, err)
	}
	failpoint.Hit("after-checkpoint-saved")
	if err := j.cfg.Sink.Commit(ctx, state); err != nil {
		return "", fmt.Errorf("pipeline: checkpoint %d: commit: %w", t.nextID, err)
	}
	failpoint.Hit("after-commit")
	t.nextID++
	t.last = j.now()
	j.log.Debug("checkpoint complete", "id", m.ID, "path", path, "took", t.last.Sub(start))
	if j.cfg.OnCheckpoint != nil {
		j.cfg.OnCheckpoint(m, path)
	}
	return path, nil
}
