package worker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/metrics"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
)

// ConfigTasks builds the job its configuration defines (package jobspec: Oracle through
// go-ora, the LogMiner reader, the CSV sink), with the leader as Checkpointer.
type ConfigTasks struct {
	Config config.Config
	// UntilTruth, when set, is the directory where `redoflow sim --truth` writes
	// _final_scn: the task drains to that SCN, takes a final checkpoint and finishes.
	UntilTruth string
	Logger     *slog.Logger
	Metrics    *metrics.Metrics
	// SharedLocks makes each task attempt hold its job's directory locks
	// shared while it runs (jobspec.Lock): attempts never exclude each other,
	// a paused predecessor included, but a standalone job on the cluster's
	// directories is refused, and refuses them. cmd/worker sets it; with
	// HA_MODE=NONE the coordinator process holds the locks exclusively.
	SharedLocks bool
}

// Check refuses the settings the tasks' jobs would refuse (jobspec.Check), so that a
// worker started with them exits at once instead of failing every task it is given.
func (c ConfigTasks) Check() error { return jobspec.Check(c.Config) }

// BuildTask implements TaskBuilder.
func (c ConfigTasks) BuildTask(ctx context.Context, spec TaskSpec, cp pipeline.Checkpointer) (Task, func() error, error) {
	cfg := c.Config
	cfg.JobID = spec.Job
	opts := jobspec.Options{Task: spec.Task, Checkpointer: cp, Logger: c.Logger,
		Attempt: csv.Attempt{Epoch: spec.Epoch, N: spec.Attempt}, Fence: spec.Fence}
	if c.UntilTruth != "" {
		dir := c.UntilTruth
		opts.StopAtSCN = func() (uint64, bool) {
			b, err := os.ReadFile(filepath.Join(dir, "_final_scn"))
			if err != nil {
				return 0, false
			}
			scn, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
			return scn, err == nil
		}
	}
	release := func() {}
	if c.SharedLocks {
		var err error
		if release, err = jobspec.Lock(cfg, false); err != nil {
			return nil, nil, err
		}
	}
	j, err := jobspec.Build(cfg, opts)
	if err != nil {
		release()
		return nil, nil, err
	}
	return statsTask{j, c.Metrics}, func() error { defer release(); return j.Close() }, nil
}

// progressOf decodes a checkpoint's position as a job jobspec builds writes it,
// for the leader to show in GET /jobs/{id}: the phase and, during the snapshot,
// each table's chunks. It is nil for a position that does not decode so (the
// leader keeps what it showed before), as from other sources.
func progressOf(pos []byte) *wire.Progress {
	phase, tables, err := jobspec.PhaseProgress(pos)
	if err != nil {
		return nil
	}
	p := &wire.Progress{Phase: phase}
	p.RestartSCN, p.CommitSCN, _ = jobspec.StreamSCNs(pos)
	for _, t := range tables {
		p.Tables = append(p.Tables, wire.TableProgress{Table: t.Table, ChunksDone: t.ChunksDone, ChunksTotal: t.ChunksTotal})
	}
	return p
}

// statsTask copies the job's per-table counts, its lag (jobspec.Job.Lag in ms; SCNs
// behind CURRENT_SCN), the reader's open transactions and the snapshot's progress into
// the metrics every second while it runs.
type statsTask struct {
	*jobspec.Job
	m *metrics.Metrics
}

func (t statsTask) Run(ctx context.Context) error {
	if t.m == nil {
		return t.Job.Run(ctx)
	}
	done := make(chan error, 1)
	var last map[string]int64
	sync := func() {
		cur := t.Stats.PerTable()
		for table, n := range cur {
			if d := n - last[table]; d > 0 {
				t.m.RecordsOut.WithLabelValues(table).Add(float64(d))
			}
		}
		last = cur
		// Neither asks the database: a silent database does not stop the metrics,
		// and the lag grows while it stays silent.
		if lag := t.Lag(); lag > 0 {
			t.m.LagMillis.Set(float64(lag.Milliseconds()))
		}
		lag, open := t.StreamLag()
		t.m.LagSCN.Set(float64(lag))
		t.m.OpenTransactions.Set(float64(open))
		for _, p := range t.Snapshot().Tables {
			t.m.SnapshotRowsRead.WithLabelValues(p.Table).Set(float64(p.RowsRead))
			t.m.SnapshotRowsEstimated.WithLabelValues(p.Table).Set(float64(p.RowsTotal))
			t.m.SnapshotChunksDone.WithLabelValues(p.Table).Set(float64(p.ChunksDone))
			t.m.SnapshotChunksTotal.WithLabelValues(p.Table).Set(float64(p.ChunksAll))
		}
	}
	// The job runs on this goroutine's child, tracked here: Run returns only after it.
	go func() { done <- t.Job.Run(ctx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			sync()
			return err
		case <-tick.C:
			sync()
		}
	}
}
