// Package jobspec builds redoflow's CDC job from its configuration: the
// Oracle connection, the startup mode (snapshot and/or stream), the
// LogMiner reader, the CSV sink and the pipeline that checkpoints them.
// The standalone command and the cluster's workers both build jobs here.
package jobspec

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	go_ora "github.com/sijms/go-ora/v2"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/internal/netwatch"
	"github.com/redoflow/redoflow/internal/oraerr"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/snapshot"
)

// The CSV sink satisfies the pipeline's interfaces structurally (package csv
// does not import pipeline); this is where both are visible.
var (
	_ pipeline.Sink     = csv.PipelineSink{}
	_ pipeline.Finisher = csv.PipelineSink{}
)

// Options are what a job needs beyond its configuration.
type Options struct {
	// DB is the database; nil opens go-ora with the DATABASE_* settings.
	DB *sql.DB
	// Task is the task id in file names ("0" when empty).
	Task string
	// StopAtSCN, when set, is asked at each boundary for an SCN to drain
	// to: once every transaction committed up to it has been delivered,
	// the job takes a final checkpoint and returns nil.
	StopAtSCN func() (uint64, bool)
	// Checkpointer records checkpoints; nil keeps them in CHECKPOINT_DIR.
	Checkpointer pipeline.Checkpointer
	// Attempt names the task attempt in the names of the files it writes;
	// zero for a standalone job, the only writer of its directories, which
	// then takes a token of its own start time.
	Attempt csv.Attempt
	// Fence, when set, is asked before every write of output (see csv.Config).
	Fence         func() error
	FromSavepoint string
	Logger        *slog.Logger
	OnCheckpoint  func(checkpoint.Metadata, string)
}

// Job is a built job: the pipeline and what reports on it.
type Job struct {
	*pipeline.Job
	Stats  *Stats
	db     *sql.DB
	ownDB  bool
	snap   *snapshot.Reader
	reader *logminer.Reader
	log    *slog.Logger
	// target is the database as configured, for the errors of a failed connection
	// (zero with Options.DB); retry its retries (the reader's).
	target oraerr.Target
	retry  logminer.ReaderConfig
}

// StreamLag returns how far the stream is behind the database, in SCNs
// (the CURRENT_SCN the reader read last minus the last SCN mined; 0 before
// streaming starts), and the transactions the reader buffers. It asks the
// database nothing, so that a silent database cannot block whoever reports
// it.
func (j *Job) StreamLag() (lagSCN uint64, openTxns int) {
	mined, cur := j.reader.MinedSCN(), j.reader.CurrentSCN()
	if mined == 0 {
		return 0, 0
	}
	if cur > mined {
		lagSCN = cur - mined
	}
	return lagSCN, j.reader.OpenTransactions()
}

// Lag is how long ago a change the job has not delivered yet may have been
// committed: the time since the later of the last delivered commit and the
// moment the stream had mined everything committed
// (logminer.Reader.CaughtUpAt). It keeps growing while the database does not
// answer. Zero before either.
func (j *Job) Lag() time.Duration {
	at := j.reader.CaughtUpAt()
	if lc := j.Stats.LastCommit(); lc.After(at) {
		at = lc
	}
	if at.IsZero() {
		return 0
	}
	return max(time.Since(at), 0)
}

// Close closes the database if the job opened it.
func (j *Job) Close() error {
	if j.ownDB {
		return j.db.Close()
	}
	return nil
}

// Snapshot returns the snapshot's progress (zero when none ran).
func (j *Job) Snapshot() snapshot.Progress { return j.snap.Progress() }

// Check refuses, without a database, the settings Build would refuse: the
// reader's, the snapshot's and the sink's, and how they combine (e.g.
// REDOFLOW_SCN_WINDOW_MIN above _MAX). Its errors match config.ErrInvalid
// and name the variables. The commands call it at start, before anything
// connects; Build calls it too.
func Check(cfg config.Config) error {
	_, _, _, err := configs(cfg, "0", nil)
	return err
}

// configs are the reader's, the snapshot's and the sink's configurations
// for cfg, checked.
func configs(cfg config.Config, task string, log *slog.Logger) (logminer.ReaderConfig, snapshot.Config, csv.Config, error) {
	rc := logminer.DefaultReaderConfig()
	rc.Schema, rc.Tables, rc.Logger = cfg.Database.Schema, cfg.Tables, log
	rc.DeadLetter = cfg.DeadLetter
	if rc.DeadLetter == logminer.DeadLetterWrite {
		rc.DeadLetterPath = filepath.Join(cfg.OutputPath, "_dead_letter.jsonl")
		if cfg.Reader.DeadLetterPath != "" {
			rc.DeadLetterPath = cfg.Reader.DeadLetterPath
		}
	}
	applyReader(&rc, cfg.Reader)
	if cfg.Scan.StartupMode == config.StartupSpecificOffset {
		rc.StartSCN = cfg.Scan.SpecificOffsetSCN
	}
	sc := snapshot.DefaultConfig()
	sc.Tables, sc.ChunkSize, sc.Parallelism, sc.Logger = cfg.Tables, cfg.Scan.ChunkSize, cfg.Parallelism, log
	sc.RetryMax, sc.RetryBackoffMin, sc.RetryBackoffMax = rc.RetryMax, rc.RetryBackoffMin, rc.RetryBackoffMax
	kc := csv.DefaultConfig()
	kc.Dir, kc.Task, kc.RollSize, kc.RollAge, kc.Logger = cfg.OutputPath, task, cfg.RollSize, cfg.RollAge, log
	for _, err := range []error{rc.Validate(), sc.Validate(), kc.Validate()} {
		if err != nil {
			return rc, sc, kc, config.AsInvalid(err)
		}
	}
	return rc, sc, kc, nil
}

// Build builds the job cfg describes.
func Build(cfg config.Config, opts Options) (*Job, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	task := opts.Task
	if task == "" {
		task = "0"
	}
	rc, sc, kc, err := configs(cfg, task, log)
	if err != nil {
		return nil, err
	}
	kc.Attempt, kc.Fence, rc.Fence = opts.Attempt, opts.Fence, opts.Fence
	if opts.Attempt == (csv.Attempt{}) {
		kc.Attempt, kc.Exclusive = csv.Attempt{N: time.Now().UnixMilli()}, true
	}
	j := &Job{Stats: &Stats{}, db: opts.DB, log: log, retry: rc}
	if j.db == nil {
		if j.db, err = openDatabase(cfg, log); err != nil {
			return nil, err
		}
		j.ownDB = true
		j.target = oraerr.Target{Host: cfg.Database.Host, Port: cfg.Database.Port, Service: cfg.Database.SID, User: cfg.Database.Username}
	}
	if j.reader, err = logminer.NewReader(j.db, rc); err != nil {
		j.Close()
		return nil, err
	}
	if j.snap, err = snapshot.New(j.db, sc); err != nil {
		j.Close()
		return nil, err
	}
	sink, err := csv.New(kc)
	if err != nil {
		j.Close()
		return nil, err
	}
	src := &Source{Mode: cfg.Scan.StartupMode, SpecificSCN: cfg.Scan.SpecificOffsetSCN, Snapshot: j.snap, Stream: j.reader,
		DB: j.db, StopAtSCN: opts.StopAtSCN, Stats: j.Stats, Logger: log}
	j.Job, err = pipeline.New(pipeline.Config{
		JobID: cfg.JobID, Task: task, Source: src, Sink: csv.PipelineSink{S: sink},
		Checkpointer: opts.Checkpointer, CheckpointDir: cfg.CheckpointDir, CheckpointInterval: cfg.CheckpointInterval,
		FromSavepoint: opts.FromSavepoint, Logger: log,
		OnCheckpoint: func(m checkpoint.Metadata, path string) {
			j.Stats.checkpoint(m)
			if opts.OnCheckpoint != nil {
				opts.OnCheckpoint(m, path)
			}
		},
	})
	if err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

// openDatabase opens go-ora on the DATABASE_* settings, its connections dialed by a
// netwatch.Dialer: a call that waits REDOFLOW_QUERY_TIMEOUT for the database closes its
// connection, and the reader reconnects.
func openDatabase(cfg config.Config, log *slog.Logger) (*sql.DB, error) {
	if cfg.Database.Host == "" || cfg.Database.SID == "" || cfg.Database.Username == "" {
		return nil, &config.Error{Var: "DATABASE_HOST", Value: cfg.Database.Host,
			Reason: "DATABASE_HOST, DATABASE_SID and DATABASE_USERNAME must name the Oracle database to read"}
	}
	dsn := logminer.GoOraDSN(cfg.Database.Host, cfg.Database.Port, cfg.Database.SID, cfg.Database.Username, string(cfg.Database.Password))
	conn, ok := go_ora.NewConnector(dsn).(*go_ora.OracleConnector)
	if !ok {
		return nil, errors.New("jobspec: go-ora's connector is not an *OracleConnector")
	}
	timeout := cfg.Reader.QueryTimeout
	if timeout <= 0 {
		timeout = config.DefaultQueryTimeout
	}
	conn.Dialer(&netwatch.Dialer{Timeout: timeout, Name: "REDOFLOW_QUERY_TIMEOUT", Logger: log})
	return sql.OpenDB(conn), nil
}

// Run connects to the database the job opened (connect; not one given as
// Options.DB), then runs the job (pipeline.Job.Run).
func (j *Job) Run(ctx context.Context) error {
	if j.ownDB {
		if err := j.connect(ctx); err != nil {
			return err
		}
	}
	return j.Job.Run(ctx)
}

// connect opens and pings one connection, so that a database the job cannot reach is
// reported as what it is (oraerr.Connect: DNS, network, listener, service, login)
// rather than as the failure of the first query. A failure that may pass (a network
// down, a listener not up yet) is tried again as the reader would, REDOFLOW_RETRY_MAX
// times in a row with its backoff; a permanent one (a login refused) fails at once, and
// is fatal (failure.ErrFatal): the job is not restarted.
func (j *Job) connect(ctx context.Context) error {
	for failures := 0; ; {
		err := ping(ctx, j.db)
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
		err = oraerr.Connect(err, j.target)
		var ce *oraerr.ConnectError
		if !errors.As(err, &ce) {
			return fmt.Errorf("jobspec: %w", err)
		}
		if ce.Permanent {
			// Restarting fails the same way until the settings or the account change, and
			// logins retried without end may lock the account: fatal.
			return failure.MarkFatal(fmt.Errorf("jobspec: %w", err))
		}
		failures++
		if failures > j.retry.RetryMax {
			return fmt.Errorf("jobspec: %w (%d attempts, REDOFLOW_RETRY_MAX=%d)", err, failures, j.retry.RetryMax)
		}
		backoff := j.retry.RetryBackoffMin << min(failures-1, 30)
		if backoff > j.retry.RetryBackoffMax || backoff <= 0 {
			backoff = j.retry.RetryBackoffMax
		}
		j.log.Warn("cannot connect to the database; retrying", "err", err, "attempt", failures, "backoff", backoff)
		if err := ctxsleep.For(ctx, backoff); err != nil {
			return err
		}
	}
}

func ping(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.PingContext(ctx)
}

// applyReader sets the reader settings the configuration names; the
// reader's Validate reports combinations that cannot work.
func applyReader(rc *logminer.ReaderConfig, r config.Reader) {
	rc.FlushTable = r.LogFlushTable
	rc.SpillDir = r.SpillDir
	setIf(&rc.SpillThreshold, r.SpillThreshold)
	setIf(&rc.WindowMin, r.WindowMin)
	setIf(&rc.WindowDefault, r.WindowDefault)
	setIf(&rc.WindowMax, r.WindowMax)
	setIf(&rc.PollMin, r.PollMin)
	setIf(&rc.PollMax, r.PollMax)
	if r.RetryMax >= 0 { // -1: not set
		rc.RetryMax = r.RetryMax
	}
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// Stats are a job's running counts, safe to read from any goroutine.
type Stats struct {
	changes    atomic.Int64
	snapRows   atomic.Int64 // changes delivered by the snapshot
	redo       atomic.Int64 // changes delivered by the LogMiner stream
	lastCommit atomic.Int64 // unix nanos of the last delivered commit
	mu         sync.Mutex
	perTable   map[string]int64
	phase      string
	restartSCN uint64
	commitSCN  uint64
	lastChk    checkpoint.Metadata
}

// Changes is the number of changes delivered to the sink so far.
func (s *Stats) Changes() int64 { return s.changes.Load() }

// SnapshotRows is the number of those changes the snapshot read (rows of
// the tables as of its SCN).
func (s *Stats) SnapshotRows() int64 { return s.snapRows.Load() }

// RedoChanges is the number of those changes the stream read from
// LogMiner (committed changes from the redo).
func (s *Stats) RedoChanges() int64 { return s.redo.Load() }

// LastCommit is the commit time of the last delivered change.
func (s *Stats) LastCommit() time.Time {
	if n := s.lastCommit.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Position returns the phase and the SCNs of the last boundary.
func (s *Stats) Position() (phase string, restartSCN, commitSCN uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.phase, s.restartSCN, s.commitSCN
}

// PerTable returns the changes delivered per SCHEMA.TABLE.
func (s *Stats) PerTable() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.perTable))
	for k, v := range s.perTable {
		out[k] = v
	}
	return out
}

// LastCheckpoint returns the last completed checkpoint's metadata.
func (s *Stats) LastCheckpoint() checkpoint.Metadata {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastChk
}

func (s *Stats) checkpoint(m checkpoint.Metadata) {
	s.mu.Lock()
	s.lastChk = m
	s.mu.Unlock()
}

// The phases of a job's position.
const (
	PhaseSnapshot = "snapshot"
	PhaseStream   = "stream"
)

// position is the job's change.Position: the phase and that phase's own
// position.
type position struct {
	Phase    string          `json:"phase"`
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
	Stream   json.RawMessage `json:"stream,omitempty"`
}

// errDrained stops the stream once StopAtSCN is reached.
var errDrained = errors.New("drained to the stop SCN")

// Source runs the startup mode: a snapshot at s0 and/or the LogMiner stream
// from s0 (initial), from now (latest-offset), from an SCN
// (specific-offset), or the snapshot alone (snapshot). The mode applies to
// a fresh start; a restored job goes on in the phase its position names.
type Source struct {
	Mode        string
	SpecificSCN uint64
	Snapshot    *snapshot.Reader
	Stream      *logminer.Reader
	DB          *sql.DB
	StopAtSCN   func() (uint64, bool)
	Stats       *Stats
	Logger      *slog.Logger
}

// Run implements pipeline.Source.
func (s *Source) Run(ctx context.Context, from change.Position, h change.Handler) error {
	var pos position
	if len(from) > 0 && string(from) != "null" {
		if err := json.Unmarshal(from, &pos); err != nil {
			return failure.MarkFatal(fmt.Errorf("jobspec: position: %w", err))
		}
	}
	w := &wrap{h: h, stats: s.Stats, stop: s.StopAtSCN}
	if pos.Phase == "" {
		switch s.Mode {
		case config.StartupInitial, config.StartupSnapshot, "":
			plan, err := s.Snapshot.Plan(ctx)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(plan)
			pos = position{Phase: PhaseSnapshot, Snapshot: b}
			// Record the plan at once: planning reads every key of the
			// tables, and a restart then resumes the same s0 and chunks.
			w.phase = PhaseSnapshot
			if err := w.Boundary(ctx, b); err != nil {
				return err
			}
		case config.StartupLatestOffset:
			var scn uint64
			if err := s.DB.QueryRowContext(ctx, "SELECT CURRENT_SCN FROM V$DATABASE").Scan(&scn); err != nil {
				return fmt.Errorf("jobspec: read CURRENT_SCN: %w", err)
			}
			pos = position{Phase: PhaseStream, Stream: json.RawMessage(logminer.PositionAt(scn))}
		case config.StartupSpecificOffset:
			pos = position{Phase: PhaseStream, Stream: json.RawMessage(logminer.PositionAt(s.SpecificSCN))}
		default:
			return failure.MarkFatal(fmt.Errorf("jobspec: SCAN_STARTUP_MODE %q", s.Mode))
		}
		s.Logger.Info("starting", "mode", s.Mode, "phase", pos.Phase)
	}
	if pos.Phase == PhaseSnapshot {
		plan, err := snapshot.DecodePosition(change.Position(pos.Snapshot))
		if err != nil {
			return err
		}
		w.phase = PhaseSnapshot
		if !plan.Complete() {
			if plan, err = s.Snapshot.Run(ctx, plan, w); err != nil {
				return err
			}
		}
		s.Logger.Info("snapshot done", "scn", plan.SCN)
		if s.Mode == config.StartupSnapshot {
			return nil
		}
		// Streaming delivers what committed after s0, mining from the
		// oldest transaction open at s0 so that it arrives whole.
		pos = position{Phase: PhaseStream, Stream: json.RawMessage(logminer.PositionFrom(plan.OldestOpenSCN, plan.SCN))}
		b, _ := json.Marshal(pos)
		if err := h.Boundary(ctx, b); err != nil {
			return err
		}
	}
	w.phase = PhaseStream
	if s.StopAtSCN == nil {
		return s.Stream.Run(ctx, change.Position(pos.Stream), w)
	}
	// The stop SCN may become known after the reader has caught up, when
	// no boundary comes any more: a watcher stops an idle reader too.
	// Shutdown order: the reader returns (drained, cancelled or failed),
	// then cancel ends the watcher, and g.Wait collects it.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return nil
			case <-t.C:
				if w.stopIfIdle() {
					cancel()
					return nil
				}
			}
		}
	})
	err := s.Stream.Run(sctx, change.Position(pos.Stream), w)
	cancel()
	g.Wait()
	if w.isStopped() && (err == nil || errors.Is(err, errDrained) || errors.Is(err, context.Canceled) && ctx.Err() == nil) {
		return nil
	}
	return err
}

// wrap forwards a phase's events, wrapping its positions in the job's.
// With a stop SCN it also ends the stream once everything up to that SCN
// is delivered, only ever between transactions.
type wrap struct {
	h     change.Handler
	phase string
	stats *Stats
	stop  func() (uint64, bool)

	mu      sync.Mutex
	inTxn   bool   // a transaction's changes are being handed over
	restart uint64 // the last boundary's restart SCN
	stopped bool   // drained: no further change is taken
}

// drainedLocked reports whether everything up to the stop SCN was
// delivered; w.mu is held.
func (w *wrap) drainedLocked() bool {
	if w.stop == nil || w.phase != PhaseStream || w.restart == 0 {
		return false
	}
	scn, ok := w.stop()
	return ok && w.restart >= scn
}

// stopIfIdle stops the stream if it is drained and between transactions.
func (w *wrap) stopIfIdle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.inTxn && w.drainedLocked() {
		w.stopped = true
	}
	return w.stopped
}

func (w *wrap) isStopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopped
}

func (w *wrap) Change(ctx context.Context, ev *change.Event) error {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return errDrained // nothing of a transaction after the stop
	}
	w.inTxn = true
	w.mu.Unlock()
	w.stats.changes.Add(1)
	if w.phase == PhaseSnapshot {
		w.stats.snapRows.Add(1)
	} else {
		w.stats.redo.Add(1)
	}
	if !ev.CommitTS.IsZero() {
		w.stats.lastCommit.Store(ev.CommitTS.UnixNano())
	}
	w.stats.mu.Lock()
	if w.stats.perTable == nil {
		w.stats.perTable = map[string]int64{}
	}
	w.stats.perTable[ev.Table.ID()]++
	w.stats.mu.Unlock()
	return w.h.Change(ctx, ev)
}

func (w *wrap) Boundary(ctx context.Context, pos change.Position) error {
	p := position{Phase: w.phase}
	if w.phase == PhaseSnapshot {
		p.Snapshot = json.RawMessage(pos)
	} else {
		p.Stream = json.RawMessage(pos)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	var restart, committed uint64
	if w.phase == PhaseStream {
		restart, committed, _ = logminer.PositionSCNs(pos)
	}
	w.stats.mu.Lock()
	w.stats.phase, w.stats.restartSCN, w.stats.commitSCN = w.phase, restart, committed
	w.stats.mu.Unlock()
	if err := w.h.Boundary(ctx, b); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inTxn = false
	if w.phase == PhaseStream {
		w.restart = restart
	}
	if w.drainedLocked() {
		w.stopped = true
		return errDrained
	}
	return nil
}

// ChunkProgress is one table's snapshot chunks as a position records them.
type ChunkProgress struct {
	Table       string
	ChunksDone  int
	ChunksTotal int
}

// PhaseProgress reads a job's position as its checkpoints store it: the
// phase, and during the snapshot each table's chunks done and total. The
// worker sends it with each checkpoint to the leader coordinator, which
// reports it in the REST job details without decoding positions itself.
func PhaseProgress(pos []byte) (phase string, tables []ChunkProgress, err error) {
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		return "", nil, fmt.Errorf("jobspec: position: %w", err)
	}
	if p.Phase != PhaseSnapshot {
		return p.Phase, nil, nil
	}
	plan, err := snapshot.DecodePosition(change.Position(p.Snapshot))
	if err != nil {
		return "", nil, err
	}
	for _, t := range plan.Tables {
		tables = append(tables, ChunkProgress{Table: t.Table, ChunksDone: len(t.Done), ChunksTotal: t.Chunks()})
	}
	return p.Phase, tables, nil
}

// StreamSCNs reads a job's position as its checkpoints store it and, in the
// stream phase, returns the restart SCN and the highest commit SCN it covers
// (logminer.PositionSCNs); ok is false in another phase or for a position
// that does not decode. The worker sends them with each checkpoint: within
// one task attempt neither ever goes back, which the leader checks.
func StreamSCNs(pos []byte) (restart, committed uint64, ok bool) {
	var p position
	if json.Unmarshal(pos, &p) != nil || p.Phase != PhaseStream {
		return 0, 0, false
	}
	restart, committed, err := logminer.PositionSCNs(change.Position(p.Stream))
	return restart, committed, err == nil
}
