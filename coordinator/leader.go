package coordinator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/rest"
)

// Keys of fenced values.
func pointerKey(job string) string { return "jobs/" + job + "/checkpoint" }
func stateKey(job string) string   { return "jobs/" + job + "/state" }

// pointer is the fenced record of the latest completed checkpoint, and of the ones
// completed before it that retention keeps (Previous, newest first): a latest
// checkpoint that turns out unreadable falls back to them (see resolveLatest).
type pointer struct {
	Path     string       `json:"path"`
	ID       int64        `json:"id"`
	Epoch    int64        `json:"epoch"`
	Previous []pointerRef `json:"previous,omitempty"`
}

// pointerRef is a completed checkpoint a pointer names.
type pointerRef struct {
	Path  string `json:"path"`
	ID    int64  `json:"id"`
	Epoch int64  `json:"epoch"`
}

// leader is the state of one leadership. Lock order: ckptMu before mu. mu is never held
// across a network call or a call into ha; ckptMu is, on purpose: it makes the check that
// a checkpoint comes from the current attempt atomic with storing it, so the attempt
// cannot change (a lost worker, a failed task) between the check and the fenced write.
type leader struct {
	c     *Coordinator
	l     ha.Leadership
	epoch int64
	log   *slog.Logger
	store *checkpoint.Store
	wake  chan struct{}

	// ctx ends with the leadership; bg tracks the goroutines of savepoints and state
	// writes, which run wait for before it returns.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup

	ckptMu sync.Mutex

	mu         sync.Mutex
	workers    []ha.Worker
	acked      map[string]bool // worker ID -> has stopped every task of older epochs
	job        jobState        // the job's lifecycle: state, attempt, worker, failures
	latest     pointer
	phase      string               // of the latest checkpoint's position, as its worker decoded it
	progress   *wire.Progress       // of the current attempt's latest checkpoint; nil before its first
	snapshot   []rest.SnapshotTable // its snapshot chunks, while the snapshot runs
	stats      ckptStats
	savepoints map[string]*savepointOp
}

type ckptStats struct {
	completed, failed int
	history           []rest.CheckpointInfo // newest first, at most 10
	lastFailed        *rest.CheckpointInfo
	restored          *rest.RestoredInfo
}

type savepointOp struct {
	done     bool
	location string
	err      string
}

func newLeader(c *Coordinator, l ha.Leadership) (*leader, error) {
	scfg := checkpoint.DefaultConfig()
	scfg.Dir = epochDir(c.cfg.CheckpointDir, c.cfg.JobID, l.Epoch())
	scfg.JobID, scfg.Retain, scfg.Logger = c.cfg.JobID, c.cfg.Retain, c.log
	store, err := checkpoint.NewStore(scfg)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	return &leader{
		c: c, l: l, epoch: l.Epoch(), store: store, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
		log:   c.log.With("epoch", l.Epoch()),
		acked: map[string]bool{}, job: newJobState(c.cfg.Restart, c.cfg.Rand, now),
		savepoints: map[string]*savepointOp{},
	}, nil
}

// goFunc runs f on a goroutine that run waits for.
func (ld *leader) goFunc(f func()) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if ld.ctx.Err() != nil {
		return // the leadership ended: run may already wait
	}
	ld.bg.Add(1)
	go func() {
		defer ld.bg.Done()
		f()
	}()
}

func (ld *leader) poke() {
	select {
	case ld.wake <- struct{}{}:
	default:
	}
}

// run leads until ctx ends or the leadership is lost.
func (ld *leader) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer ld.bg.Wait()
	defer func() {
		ld.mu.Lock()
		ld.cancel()
		ld.mu.Unlock()
	}()
	if err := ld.recover(ctx); err != nil {
		return err
	}
	// Shutdown order: the leadership's end (or ctx) cancels gctx; the registry watch and
	// the scheduling loop return; then (deferred above) ld.cancel ends the savepoint and
	// state-write goroutines, and bg.Wait waits for them.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		select {
		case <-ld.l.Done():
			return ld.l.Err()
		case <-gctx.Done():
			return nil
		}
	})
	g.Go(func() error {
		for ws := range ld.c.cfg.Registry.Workers(gctx) {
			ld.mu.Lock()
			ld.workers = ws
			for id := range ld.acked {
				if !slices.ContainsFunc(ws, func(w ha.Worker) bool { return w.ID == id }) {
					delete(ld.acked, id) // a worker that registers again must acknowledge again
				}
			}
			ld.mu.Unlock()
			ld.poke()
		}
		return nil
	})
	g.Go(func() error { return ld.schedule(gctx, g) })
	err := g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// recover reads the job's fenced state and latest checkpoint pointer.
func (ld *leader) recover(ctx context.Context) error {
	job := ld.c.cfg.JobID
	var state persistedState
	if v, err := ld.l.Get(ctx, stateKey(job)); err == nil {
		if state, err = parsePersisted(v); err != nil {
			return fmt.Errorf("coordinator: job state %q: %w", v, err)
		}
	} else if !errors.Is(err, ha.ErrNoKey) {
		return fmt.Errorf("coordinator: read job state: %w", err)
	}
	var latest pointer
	v, err := ld.l.Get(ctx, pointerKey(job))
	switch {
	case err == nil:
		if err := json.Unmarshal(v, &latest); err != nil {
			return fmt.Errorf("coordinator: checkpoint pointer %q: %w", v, err)
		}
	case errors.Is(err, ha.ErrNoKey):
		// No pointer (first start, or HA_MODE=NONE after a restart): the newest checkpoint
		// on disk of any epoch.
		latest = ld.scan()
	default:
		return fmt.Errorf("coordinator: read checkpoint pointer: %w", err)
	}
	if err := writeDiskPointer(epochDir(ld.c.cfg.CheckpointDir, job, ld.epoch), latest); err != nil {
		return fmt.Errorf("coordinator: checkpoint storage: %w", err)
	}
	// The REST API may already ask (this leader serves it from its start).
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.job.recovered(state)
	ld.latest = latest
	if latest.Path != "" {
		ld.stats.restored = &rest.RestoredInfo{ID: latest.ID, RestoreTimestamp: time.Now().UnixMilli(), ExternalPath: latest.Path}
	}
	ld.log.Info("leader recovered the job", "job", job, "state", ld.job.status, "checkpoint", latest.Path)
	ld.c.cfg.Metrics.JobState(job, ld.job.status == statusFailed, ld.job.restarts)
	return nil
}

// HighestEpoch is the highest leader epoch with a checkpoint directory of job
// (CHECKPOINT_DIR/<job>/epoch-<N>; 0: none). A leader creates its directory as it takes
// office, before it commands any worker, so no worker has seen a higher epoch.
func HighestEpoch(checkpointDir, job string) int64 {
	var top int64
	dirs, _ := filepath.Glob(filepath.Join(checkpointDir, job, "epoch-*"))
	for _, d := range dirs {
		if e, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(d), "epoch-"), 10, 64); err == nil {
			top = max(top, e)
		}
	}
	return top
}

func (ld *leader) scan() pointer {
	var best pointer
	dirs, _ := filepath.Glob(filepath.Join(ld.c.cfg.CheckpointDir, ld.c.cfg.JobID, "epoch-*"))
	for _, d := range dirs {
		e, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(d), "epoch-"), 10, 64)
		if err != nil {
			continue
		}
		if p := ld.latestIn(d, e); p.ID > best.ID {
			best = p
		}
	}
	return best
}

// schedule is the leader's control loop: it acknowledges the epoch with every worker,
// notices lost workers, and (re)assigns the task.
func (ld *leader) schedule(ctx context.Context, g *errgroup.Group) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		ld.reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ld.wake:
		case <-tick.C:
		}
	}
}

func (ld *leader) reconcile(ctx context.Context) {
	ld.ackEpoch(ctx)

	ld.ckptMu.Lock()
	defer ld.ckptMu.Unlock()
	ld.mu.Lock()
	defer ld.mu.Unlock()
	total, free := 0, 0
	for _, w := range ld.workers {
		total += w.Slots
		free += w.Slots
		if w.ID == ld.job.worker {
			free--
		}
	}
	ld.c.cfg.Metrics.Slots(total, free)

	// 2. A lost worker's task restarts elsewhere, as the restart strategy allows.
	if w := ld.job.worker; w != "" && !slices.ContainsFunc(ld.workers, func(x ha.Worker) bool { return x.ID == w }) {
		ld.log.Warn("worker lost, its task restarts from the latest checkpoint", "worker", w, "checkpoint", ld.latest.Path)
		ld.failedLocked(jobFailure{Name: excWorkerLost, Class: failure.Retryable, Time: time.Now(), Worker: w, Attempt: ld.job.attempt,
			Message: fmt.Sprintf("worker %s, which ran attempt %d, left the registry (it stopped, or its ZooKeeper session ended)", w, ld.job.attempt)})
	}
	ld.checkTaskRuns(ctx)
	if !ld.job.schedulable(time.Now()) {
		return
	}
	// 3. Assign once every registered worker acknowledged the epoch.
	for _, w := range ld.workers {
		if !ld.acked[w.ID] {
			return
		}
	}
	ld.assignLocked(ctx)
}

// ackEpoch is step 1 of reconcile: every registered worker stops the tasks of older
// epochs before anything is assigned.
func (ld *leader) ackEpoch(ctx context.Context) {
	ld.mu.Lock()
	var unacked []ha.Worker
	for _, w := range ld.workers {
		if !ld.acked[w.ID] {
			unacked = append(unacked, w)
		}
	}
	ld.mu.Unlock()
	for _, w := range unacked {
		cctx, cancel := context.WithTimeout(ctx, ld.c.cfg.CommandTimeout)
		var st wire.Status
		err := wire.Call(cctx, ld.c.client, w.Address, wire.PathEpoch, wire.EpochNotice{Epoch: ld.epoch}, &st)
		cancel()
		if err != nil {
			ld.log.Warn("worker did not acknowledge the epoch yet", "worker", w.ID, "err", err)
			continue
		}
		ld.mu.Lock()
		ld.acked[w.ID] = true
		ld.mu.Unlock()
	}
}

// checkTaskRuns is step 2b of reconcile: a task its worker no longer runs (stopped when
// the worker lost its registration for a moment, without its session expiring) restarts
// too. Two misses in a row: a task that ended on its own reports so at once, and that
// report wins. Called with ckptMu and mu held; mu is released during the status call.
func (ld *leader) checkTaskRuns(ctx context.Context) {
	if ld.job.worker == "" {
		return
	}
	ref := wire.TaskRef{Job: ld.c.cfg.JobID, Task: "0", Epoch: ld.epoch, Attempt: ld.job.attempt}
	id, addr := ld.job.worker, ld.workerAddr(ld.job.worker)
	ld.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	var st wire.Status
	err := wire.Call(cctx, ld.c.client, addr, wire.PathStatus, nil, &st)
	cancel()
	ld.mu.Lock()
	if err != nil || ld.job.worker != id || ld.job.attempt != ref.Attempt {
		return
	}
	if slices.Contains(st.Tasks, ref) {
		ld.job.missing = 0
	} else if ld.job.missing++; ld.job.missing >= 2 {
		ld.log.Warn("the task no longer runs on its worker, restarting it from the latest checkpoint", "worker", id, "attempt", ref.Attempt)
		ld.failedLocked(jobFailure{Name: excTaskLost, Class: failure.Retryable, Time: time.Now(), Worker: id, Address: addr, Attempt: ref.Attempt,
			Message: fmt.Sprintf("worker %s no longer runs attempt %d (it stopped the task without reporting why)", id, ref.Attempt)})
	}
}

// assignLocked is step 3 of reconcile: the next attempt goes to the first worker with a
// free slot that takes it. A worker that cannot build the task (CodeTaskFailed) fails
// the attempt with the error's class. Called with ckptMu and mu held; mu is released
// during each call to a worker.
func (ld *leader) assignLocked(ctx context.Context) {
	for _, w := range ld.candidates() {
		ref := wire.TaskRef{Job: ld.c.cfg.JobID, Task: "0", Epoch: ld.epoch, Attempt: ld.job.nextAttempt()}
		ld.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, ld.c.cfg.CommandTimeout)
		err := wire.Call(cctx, ld.c.client, w.Address, wire.PathAssign, wire.Assign{Ref: ref}, nil)
		cancel()
		ld.mu.Lock()
		var re *wire.RemoteError
		if errors.As(err, &re) && re.Body.Code == wire.CodeTaskFailed {
			msg := strings.Join(re.Body.Errors, "; ")
			ld.log.Warn("the worker could not start the task", "worker", w.ID, "attempt", ref.Attempt, "class", re.Body.Class, "err", msg)
			ld.failedLocked(taskFailure(msg, failure.ParseClass(string(re.Body.Class)), w.ID, w.Address, ref.Attempt, time.Now()))
			return
		}
		if err != nil {
			ld.log.Warn("assigning the task failed", "worker", w.ID, "attempt", ref.Attempt, "err", err)
			continue
		}
		if ld.job.final() || ld.job.attempt != ref.Attempt {
			return // cancelled meanwhile: the next round cancels the assignment
		}
		ld.job.running(w.ID, time.Now())
		ld.progress = nil
		ld.log.Info("task assigned", "worker", w.ID, "attempt", ref.Attempt, "from", ld.latest.Path)
		return
	}
}

// failedLocked records a failure of the current attempt in the job's state, which
// applies the restart strategy; a job that FAILED is recorded with a fenced write.
// Called with ckptMu and mu held (ckptMu orders the write before a later resume's); mu
// is released during the write.
func (ld *leader) failedLocked(f jobFailure) {
	if !ld.job.taskFailed(f, time.Now()) {
		ld.c.cfg.Metrics.Restart()
		ld.c.cfg.Metrics.JobState(ld.c.cfg.JobID, false, ld.job.restarts)
		ld.log.Info("the task restarts as the restart strategy allows", "cause", f.Name, "class", f.Class,
			"after", time.Until(ld.job.restartAt).Round(time.Millisecond), "restarts", ld.job.restarts, "strategy", ld.job.strategy.String())
		ld.poke()
		return
	}
	ld.failJobLocked()
}

// failJobLocked records that the job FAILED (its cause is in ld.job.cause) with a fenced
// write, so that the next leader does not start it again. Called with ckptMu and mu
// held; mu is released during the write.
func (ld *leader) failJobLocked() {
	cause := ld.job.cause
	ld.c.cfg.Metrics.JobState(ld.c.cfg.JobID, true, ld.job.restarts)
	ld.log.Error("job FAILED: it is not restarted; fix the cause, then resume it (POST /jobs/{id}/resume)",
		"cause", cause.Name, "class", cause.Class, "err", cause.Message, "restarts", ld.job.restarts)
	b := ld.job.persisted(statusFailed)
	ld.mu.Unlock()
	ld.persistState(statusFailed, b)
	ld.mu.Lock()
}

// candidates are the workers with a free slot, the least loaded first (one task: any).
func (ld *leader) candidates() []ha.Worker {
	var out []ha.Worker
	for _, w := range ld.workers {
		if w.Slots > 0 {
			out = append(out, w)
		}
	}
	return out
}

func (ld *leader) workerAddr(id string) string {
	for _, w := range ld.workers {
		if w.ID == id {
			return w.Address
		}
	}
	return ""
}

// current checks that a report comes from the attempt the leader runs.
func (ld *leader) currentLocked(ref wire.TaskRef, worker string) error {
	switch {
	case ref.Epoch != ld.epoch:
		return fmt.Errorf("%w: report of epoch %d, leader epoch %d", wire.ErrStaleEpoch, ref.Epoch, ld.epoch)
	case ref.Job != ld.c.cfg.JobID || ref.Attempt != ld.job.attempt || worker != ld.job.worker:
		return fmt.Errorf("%w: attempt %d on %s, current attempt %d on %q", wire.ErrStaleAttempt, ref.Attempt, worker, ld.job.attempt, ld.job.worker)
	}
	return nil
}

// serveInternal serves the worker protocol on the internal port; Run's Auth.Handler lets
// only requests signed with the cluster secret reach it.
func (c *Coordinator) serveInternal(w http.ResponseWriter, r *http.Request) {
	ld := c.current()
	if ld == nil {
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNotLeader, "coordinator %s does not lead", c.cfg.ID)
		return
	}
	switch r.URL.Path {
	case wire.PathCheckpoint:
		ld.handleCheckpoint(w, r)
	case wire.PathLatest:
		ld.handleLatest(w, r)
	case wire.PathTaskEvent:
		ld.handleTaskEvent(w, r)
	default:
		wire.WriteError(w, http.StatusNotFound, wire.CodeNotFound, "no internal API at %s", r.URL.Path)
	}
}

// followsLocked refuses a checkpoint of the current attempt that cannot follow the latest
// completed one. The leader cannot read the database: it cannot tell how far a task
// could have read. What it can hold a task to is its own history: the checkpoint is of
// this job, carries the task's sink state, is numbered above the latest completed one,
// and within one attempt its position never goes back (a task resumed from a
// checkpoint mines again from its restart SCN, so neither the restart SCN nor the
// highest commit covered ever decreases, and the phase never returns to the snapshot).
func (ld *leader) followsLocked(req wire.Checkpoint) error {
	m := req.Metadata
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: checkpoint %d: %s", wire.ErrBadCheckpoint, m.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case m.JobID != ld.c.cfg.JobID:
		return bad("of job %q, this cluster runs job %q", m.JobID, ld.c.cfg.JobID)
	case absent(m.Source):
		return bad("no source position")
	case absent(m.Sinks[req.Ref.Task]):
		return bad("no sink state of task %s", req.Ref.Task)
	case m.ID <= ld.latest.ID:
		return bad("not numbered above the latest completed checkpoint, %d", ld.latest.ID)
	}
	p, last := req.Progress, ld.progress
	if p == nil || last == nil {
		return nil
	}
	switch {
	case last.Phase == "stream" && p.Phase != "stream":
		return bad("phase %q after %q within one attempt", p.Phase, last.Phase)
	case p.RestartSCN < last.RestartSCN || p.CommitSCN < last.CommitSCN:
		return bad("the position goes back within one attempt: restart SCN %d and commit SCN %d after %d and %d",
			p.RestartSCN, p.CommitSCN, last.RestartSCN, last.CommitSCN)
	}
	return nil
}

// absent reports whether a JSON value is missing or null.
func absent(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

func writeRefError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, wire.ErrBadCheckpoint):
		wire.WriteError(w, http.StatusConflict, wire.CodeBadCheckpoint, "%v", err)
	case errors.Is(err, wire.ErrStaleEpoch):
		wire.WriteError(w, http.StatusConflict, wire.CodeStaleEpoch, "%v", err)
	case errors.Is(err, wire.ErrStaleAttempt):
		wire.WriteError(w, http.StatusConflict, wire.CodeStaleAttempt, "%v", err)
	case errors.Is(err, ha.ErrNotLeader), errors.Is(err, ha.ErrFenced):
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNotLeader, "%v", err)
	default:
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeUnavailable, "%v", err)
	}
}

// notLeader makes a failed fenced write answer 503 through rest: the write did not
// happen, and this coordinator may no longer lead.
func notLeader(err error) error {
	if errors.Is(err, ha.ErrNotLeader) {
		return err
	}
	return fmt.Errorf("%w: %w", ha.ErrNotLeader, err)
}

// handleCheckpoint stores a completed checkpoint and records its pointer with a fenced
// write; only then does it acknowledge, and only then does the worker publish its output.
func (ld *leader) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	var req wire.Checkpoint
	if !wire.Decode(w, r, &req) {
		return
	}
	ld.ckptMu.Lock()
	defer ld.ckptMu.Unlock()
	ld.mu.Lock()
	err := ld.currentLocked(req.Ref, req.Worker)
	if err == nil {
		err = ld.followsLocked(req)
	}
	ld.mu.Unlock()
	if err == nil {
		err = ld.l.Err()
	}
	var path string
	if err == nil {
		path, err = ld.store.Save(req.Metadata)
	}
	var next pointer
	if err == nil {
		ld.mu.Lock()
		next = ld.latest.advance(pointerRef{Path: path, ID: req.Metadata.ID, Epoch: ld.epoch}, ld.c.cfg.Retain)
		ld.mu.Unlock()
		p, _ := json.Marshal(next)
		err = ld.l.FencedSet(r.Context(), pointerKey(ld.c.cfg.JobID), p)
	}
	if err == nil {
		if werr := writeDiskPointer(epochDir(ld.c.cfg.CheckpointDir, ld.c.cfg.JobID, ld.epoch), next); werr != nil {
			ld.log.Warn("the checkpoint pointer is in ZooKeeper but not in the checkpoint storage", "id", req.Metadata.ID, "err", werr)
		}
	}
	now := time.Now()
	ld.mu.Lock()
	defer ld.mu.Unlock()
	info := rest.CheckpointInfo{
		ID: req.Metadata.ID, IsSavepoint: req.Metadata.Savepoint, TriggerTimestamp: req.Metadata.Time.UnixMilli(),
		LatestAckTimestamp: now.UnixMilli(), EndToEndDuration: now.Sub(req.Metadata.Time).Milliseconds(),
		ExternalPath: path, NumSubtasks: 1, StateSize: stateSize(req.Metadata),
	}
	if err == nil {
		// Still the current attempt? A cancel may have come in meanwhile; the pointer is
		// recorded either way and the output is consistent with it.
		info.Status, info.NumAckSubtasks = "COMPLETED", 1
		ld.stats.completed++
		ld.latest = next
		if p := req.Progress; p != nil {
			ld.progress = p
			ld.phase, ld.snapshot = p.Phase, nil
			for _, t := range p.Tables {
				ld.snapshot = append(ld.snapshot, rest.SnapshotTable{Table: t.Table, ChunksDone: t.ChunksDone, ChunksTotal: t.ChunksTotal})
			}
		}
		ld.stats.history = append([]rest.CheckpointInfo{info}, ld.stats.history...)
		if len(ld.stats.history) > 10 {
			ld.stats.history = ld.stats.history[:10]
		}
		ld.c.cfg.Metrics.Checkpoint(true, now.Sub(req.Metadata.Time).Seconds())
		wire.WriteJSON(w, http.StatusOK, wire.CheckpointAck{Path: path})
		return
	}
	info.Status = "FAILED"
	ld.stats.failed++
	ld.stats.lastFailed = &info
	ld.c.cfg.Metrics.Checkpoint(false, 0)
	ld.log.Warn("checkpoint refused", "id", req.Metadata.ID, "worker", req.Worker, "attempt", req.Ref.Attempt, "err", err)
	writeRefError(w, err)
}

func stateSize(m checkpoint.Metadata) int64 {
	b, _ := json.Marshal(m)
	return int64(len(b))
}

func (ld *leader) handleTaskEvent(w http.ResponseWriter, r *http.Request) {
	var ev wire.TaskEvent
	if !wire.Decode(w, r, &ev) {
		return
	}
	if ev.State != wire.TaskFailed && ev.State != wire.TaskFinished {
		wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "task event state %q: want %s or %s", ev.State, wire.TaskFailed, wire.TaskFinished)
		return
	}
	ld.ckptMu.Lock()
	defer ld.ckptMu.Unlock()
	ld.mu.Lock()
	if err := ld.currentLocked(ev.Ref, ev.Worker); err != nil {
		ld.mu.Unlock()
		writeRefError(w, err)
		return
	}
	if ev.State == wire.TaskFinished {
		ld.job.finished(time.Now())
		ld.log.Info("job finished", "worker", ev.Worker)
		b := ld.job.persisted(statusFinished)
		ld.mu.Unlock()
		ld.persistState(statusFinished, b)
	} else {
		class := failure.ParseClass(string(ev.Class))
		ld.log.Warn("task failed", "worker", ev.Worker, "attempt", ev.Ref.Attempt, "class", class, "err", ev.Error, "checkpoint", ld.latest.Path)
		ld.failedLocked(taskFailure(ev.Error, class, ev.Worker, ld.workerAddr(ev.Worker), ev.Ref.Attempt, time.Now()))
		ld.mu.Unlock()
	}
	ld.poke()
	wire.WriteJSON(w, http.StatusOK, struct{}{})
}

// persistState records a terminal job state (b, from jobState.persisted) with a fenced
// write, so that the next leader does not start a failed, cancelled or finished job
// again.
func (ld *leader) persistState(s jobStatus, b []byte) {
	ctx, cancel := context.WithTimeout(ld.ctx, ld.c.cfg.CommandTimeout)
	defer cancel()
	if err := ld.l.FencedSet(ctx, stateKey(ld.c.cfg.JobID), b); err != nil {
		ld.log.Warn("recording the job state failed", "state", s, "err", err)
	}
}

// stopTask cancels the running attempt (if any) and ends the job in state final
// (CANCELED or FINISHED).
func (ld *leader) stopTask(ctx context.Context, final jobStatus) error {
	b, _ := json.Marshal(persistedState{State: final, Time: time.Now().UnixMilli()})
	if err := ld.l.FencedSet(ctx, stateKey(ld.c.cfg.JobID), b); err != nil {
		return notLeader(err)
	}
	ld.ckptMu.Lock()
	ld.mu.Lock()
	ref := wire.TaskRef{Job: ld.c.cfg.JobID, Task: "0", Epoch: ld.epoch, Attempt: ld.job.attempt}
	addr := ld.workerAddr(ld.job.stopped(final, time.Now()))
	ld.c.cfg.Metrics.JobState(ld.c.cfg.JobID, false, ld.job.restarts)
	ld.mu.Unlock()
	ld.ckptMu.Unlock()
	if addr == "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, ld.c.cfg.CommandTimeout)
	defer cancel()
	if err := wire.Call(cctx, ld.c.client, addr, wire.PathCancel, wire.Cancel{Ref: ref}, nil); err != nil {
		ld.log.Warn("cancelling the task on its worker failed; it cannot commit any more", "err", err)
	}
	return nil
}

func newTriggerID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// savepoint runs a savepoint command for trigger id; then stops the job as final says
// ("" keeps it running).
func (ld *leader) savepoint(id, dir string, final jobStatus) {
	ld.mu.Lock()
	ref := wire.TaskRef{Job: ld.c.cfg.JobID, Task: "0", Epoch: ld.epoch, Attempt: ld.job.attempt}
	addr := ld.workerAddr(ld.job.worker)
	ld.mu.Unlock()
	// A savepoint waits for a transaction boundary and a checkpoint: allow it longer than
	// a plain command, and give up when the leadership ends.
	ctx, cancel := context.WithTimeout(ld.ctx, 6*ld.c.cfg.CommandTimeout)
	defer cancel()
	var resp wire.SavepointResponse
	err := errors.New("the job has no running task")
	if addr != "" {
		err = wire.Call(ctx, ld.c.client, addr, wire.PathSavepoint, wire.SavepointRequest{Ref: ref, Dir: dir}, &resp)
	}
	if err == nil && final != "" {
		err = ld.stopTask(ctx, final)
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	op := ld.savepoints[id]
	op.done = true
	if err != nil {
		op.err = err.Error()
		if wire.CodeOf(err) == wire.CodeNotFound {
			// The worker's words name the attempt; the REST API shows no attempt.
			op.err = "the task stopped before the savepoint was taken; retry once the job runs"
		}
		ld.log.Warn("savepoint failed", "trigger", id, "err", err)
		return
	}
	op.location = resp.Path
	ld.log.Info("savepoint completed", "trigger", id, "path", resp.Path)
}

// backend implements rest.Backend on the current leader.
type backend struct{ c *Coordinator }

func (b backend) leader() (*leader, error) {
	ld := b.c.current()
	if ld == nil {
		return nil, fmt.Errorf("%w: coordinator %s lost its leadership", ha.ErrNotLeader, b.c.cfg.ID)
	}
	return ld, nil
}

func (b backend) job(id string) (*leader, error) {
	ld, err := b.leader()
	if err != nil {
		return nil, err
	}
	if id != b.c.cfg.JobID {
		return nil, fmt.Errorf("%w: job %q (this cluster runs job %q)", rest.ErrNotFound, id, b.c.cfg.JobID)
	}
	return ld, nil
}

func (b backend) Overview(context.Context) (rest.Overview, error) {
	ld, err := b.leader()
	if err != nil {
		return rest.Overview{}, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	o := rest.Overview{TaskManagers: len(ld.workers), FlinkVersion: Version, FlinkCommit: "redoflow"}
	for _, w := range ld.workers {
		o.SlotsTotal += w.Slots
	}
	o.SlotsAvailable = o.SlotsTotal
	if ld.job.worker != "" {
		o.SlotsAvailable--
	}
	switch ld.job.status {
	case statusCancelled:
		o.JobsCancelled = 1
	case statusFinished:
		o.JobsFinished = 1
	case statusFailed:
		o.JobsFailed = 1
	default:
		o.JobsRunning = 1
	}
	return o, nil
}

// Version is reported as "flink-version" by GET /overview.
var Version = "redoflow-dev"

func (ld *leader) overviewLocked(now time.Time) rest.JobOverview {
	j := &ld.job
	end := int64(-1)
	d := now.Sub(j.start).Milliseconds()
	if !j.end.IsZero() {
		end = j.end.UnixMilli()
		d = j.end.Sub(j.start).Milliseconds()
	}
	tasks := map[string]int{"running": 0, "finished": 0, "canceled": 0, "failed": 0, "created": 0, "scheduled": 0, "deploying": 0, "reconciling": 0, "initializing": 0, "canceling": 0, "total": 1}
	switch {
	case j.worker != "":
		tasks["running"] = 1
	case j.status == statusFinished:
		tasks["finished"] = 1
	case j.status == statusCancelled:
		tasks["canceled"] = 1
	case j.status == statusFailed:
		tasks["failed"] = 1
	default:
		tasks["scheduled"] = 1
	}
	return rest.JobOverview{JID: ld.c.cfg.JobID, Name: ld.c.cfg.JobName, State: string(j.status), StartTime: j.start.UnixMilli(),
		EndTime: end, Duration: d, LastModification: j.mod.UnixMilli(), Tasks: tasks}
}

func (b backend) Jobs(context.Context) ([]rest.JobOverview, error) {
	ld, err := b.leader()
	if err != nil {
		return nil, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return []rest.JobOverview{ld.overviewLocked(time.Now())}, nil
}

func (b backend) Job(_ context.Context, id string) (rest.JobDetail, error) {
	ld, err := b.job(id)
	if err != nil {
		return rest.JobDetail{}, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	now := time.Now()
	o := ld.overviewLocked(now)
	j := &ld.job
	vstate := statusCreated
	if j.worker != "" {
		vstate = statusRunning
	} else if j.final() {
		vstate = j.status
	}
	return rest.JobDetail{
		JID: o.JID, Name: o.Name, IsStoppable: false, State: o.State, StartTime: o.StartTime, EndTime: o.EndTime,
		Duration: o.Duration, Now: now.UnixMilli(),
		Timestamps: map[string]int64{string(j.status): j.mod.UnixMilli(), string(statusCreated): j.start.UnixMilli()},
		Vertices: []rest.Vertex{{ID: "0", Name: "LogMiner source -> CSV sink", Parallelism: 1, Status: string(vstate),
			StartTime: o.StartTime, EndTime: o.EndTime, Duration: o.Duration, TaskManager: j.worker}},
		StatusCounts: map[string]int{string(vstate): 1}, Restarts: j.restarts,
		Phase: ld.phase, Snapshot: slices.Clone(ld.snapshot),
	}, nil
}

func (b backend) Checkpoints(_ context.Context, id string) (rest.Checkpoints, error) {
	ld, err := b.job(id)
	if err != nil {
		return rest.Checkpoints{}, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	out := rest.Checkpoints{History: slices.Clone(ld.stats.history)}
	if out.History == nil {
		out.History = []rest.CheckpointInfo{}
	}
	out.Counts = rest.CheckpointCounts{Completed: ld.stats.completed, Failed: ld.stats.failed, Total: ld.stats.completed + ld.stats.failed}
	if ld.stats.restored != nil {
		out.Counts.Restored = 1
		r := *ld.stats.restored
		out.Latest.Restored = &r
	}
	for i := range out.History {
		h := out.History[i]
		if out.Latest.Completed == nil && !h.IsSavepoint {
			out.Latest.Completed = &h
		}
		if out.Latest.Savepoint == nil && h.IsSavepoint {
			out.Latest.Savepoint = &h
		}
	}
	if out.Latest.Completed == nil && ld.latest.Path != "" {
		// Nothing completed under this leadership yet: the one it recovered.
		out.Latest.Completed = &rest.CheckpointInfo{ID: ld.latest.ID, Status: "COMPLETED", ExternalPath: ld.latest.Path}
		if m, err := checkpoint.Load(ld.latest.Path); err == nil {
			out.Latest.Completed.LatestAckTimestamp = m.Time.UnixMilli()
			out.Latest.Completed.TriggerTimestamp = m.Time.UnixMilli()
			out.Latest.Completed.StateSize = stateSize(m)
		}
	}
	if ld.stats.lastFailed != nil {
		f := *ld.stats.lastFailed
		out.Latest.Failed = &f
	}
	var sizes, durs []int64
	for _, h := range out.History {
		sizes, durs = append(sizes, h.StateSize), append(durs, h.EndToEndDuration)
	}
	out.Summary = rest.CheckpointSummary{StateSize: minMaxAvg(sizes), EndToEndDuration: minMaxAvg(durs)}
	return out, nil
}

func minMaxAvg(v []int64) rest.MinMaxAvg {
	if len(v) == 0 {
		return rest.MinMaxAvg{}
	}
	m := rest.MinMaxAvg{Min: slices.Min(v), Max: slices.Max(v)}
	var sum int64
	for _, x := range v {
		sum += x
	}
	m.Avg = sum / int64(len(v))
	return m
}

func (b backend) TaskManagers(context.Context) ([]rest.TaskManager, error) {
	ld, err := b.leader()
	if err != nil {
		return nil, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	out := []rest.TaskManager{}
	for _, w := range ld.workers {
		free := w.Slots
		if w.ID == ld.job.worker {
			free--
		}
		port := 0
		if i := strings.LastIndexByte(w.Address, ':'); i >= 0 {
			port, _ = strconv.Atoi(w.Address[i+1:])
		}
		out = append(out, rest.TaskManager{ID: w.ID, Path: "http://" + w.Address, DataPort: port, SlotsNumber: w.Slots, FreeSlots: free})
	}
	return out, nil
}

func (b backend) trigger(id, dir string, final jobStatus) (string, error) {
	ld, err := b.job(id)
	if err != nil {
		return "", err
	}
	ld.mu.Lock()
	running, state := ld.job.worker != "", ld.job.status
	ld.mu.Unlock()
	if !running {
		return "", fmt.Errorf("%w: job %s has no running task (state %s); retry once it runs", rest.ErrConflict, id, state)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tid := newTriggerID()
	ld.mu.Lock()
	ld.savepoints[tid] = &savepointOp{}
	ld.mu.Unlock()
	ld.goFunc(func() { ld.savepoint(tid, dir, final) })
	return tid, nil
}

func (b backend) TriggerSavepoint(_ context.Context, id, dir string, cancelJob bool) (string, error) {
	var final jobStatus
	if cancelJob {
		final = statusCancelled
	}
	return b.trigger(id, dir, final)
}

func (b backend) Stop(_ context.Context, id, dir string) (string, error) {
	return b.trigger(id, dir, statusFinished)
}

func (b backend) SavepointStatus(_ context.Context, id, trigger string) (rest.SavepointStatus, error) {
	ld, err := b.job(id)
	if err != nil {
		return rest.SavepointStatus{}, err
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	op := ld.savepoints[trigger]
	if op == nil {
		return rest.SavepointStatus{}, fmt.Errorf("%w: savepoint trigger %q (triggers are kept by the leader that ran them)", rest.ErrNotFound, trigger)
	}
	if !op.done {
		return rest.SavepointStatus{Status: rest.QueueStatus{ID: "IN_PROGRESS"}}, nil
	}
	st := rest.SavepointStatus{Status: rest.QueueStatus{ID: "COMPLETED"}, Operation: &rest.SavepointOperation{Location: op.location}}
	if op.err != "" {
		st.Operation = &rest.SavepointOperation{FailureCause: &rest.FailureCause{Class: "redoflow.SavepointError", StackTrace: op.err}}
	}
	return st, nil
}

func (b backend) Resume(ctx context.Context, id, savepoint string) error {
	ld, err := b.job(id)
	if err != nil {
		return err
	}
	var from pointer
	if savepoint != "" {
		m, err := checkpoint.Load(savepoint)
		if err != nil {
			return fmt.Errorf("%w: savepoint %s: %w", rest.ErrConflict, savepoint, err)
		}
		from = pointer{Path: savepoint, ID: m.ID, Epoch: ld.epoch}
	}
	ld.ckptMu.Lock()
	defer ld.ckptMu.Unlock()
	ld.mu.Lock()
	running := !ld.job.final()
	ld.mu.Unlock()
	if running {
		return fmt.Errorf("%w: job %s is running: cancel or stop it first", rest.ErrConflict, id)
	}
	if from.Path != "" {
		p, _ := json.Marshal(from)
		if err := ld.l.FencedSet(ctx, pointerKey(ld.c.cfg.JobID), p); err != nil {
			return notLeader(err)
		}
	}
	b2, _ := json.Marshal(persistedState{State: statusCreated, Time: time.Now().UnixMilli()})
	if err := ld.l.FencedSet(ctx, stateKey(ld.c.cfg.JobID), b2); err != nil {
		return notLeader(err)
	}
	ld.mu.Lock()
	if from.Path != "" {
		ld.latest = from
		ld.stats.restored = &rest.RestoredInfo{ID: from.ID, RestoreTimestamp: time.Now().UnixMilli(), IsSavepoint: true, ExternalPath: from.Path}
	}
	ld.job.resumed(time.Now())
	ld.c.cfg.Metrics.JobState(ld.c.cfg.JobID, false, ld.job.restarts)
	ld.mu.Unlock()
	ld.log.Info("job resumed", "from", ld.latest.Path)
	ld.poke()
	return nil
}

func (b backend) Cancel(ctx context.Context, id string) error {
	ld, err := b.job(id)
	if err != nil {
		return err
	}
	return ld.stopTask(ctx, statusCancelled)
}
