package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/restart"
)

func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	fromSavepoint := fs.String("from-savepoint", "", "start from this savepoint directory instead of the newest checkpoint")
	untilSCN := fs.Uint64("until-scn", 0, "drain to this SCN, take a final checkpoint and exit")
	untilTruth := fs.String("until-truth", "", "drain to the SCN in DIR/_final_scn once redoflow sim has written it, then exit")
	verbose := fs.Bool("v", false, "debug logging")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return usageErr(err)
	}
	if err := cfg.Validate(); err != nil {
		return usageErr(err)
	}
	if err := jobspec.Check(cfg); err != nil {
		return usageErr(err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level)
	// Held until the process ends: no other job writes these directories
	// meanwhile (a second one is refused here, naming this one).
	release, err := jobspec.Lock(cfg, true)
	if err != nil {
		return err
	}
	defer release()
	opts := jobspec.Options{FromSavepoint: *fromSavepoint, Logger: log}
	switch {
	case *untilSCN > 0:
		opts.StopAtSCN = func() (uint64, bool) { return *untilSCN, true }
	case *untilTruth != "":
		opts.StopAtSCN = func() (uint64, bool) {
			scn, err := readFinalSCNNow(*untilTruth)
			return scn, err == nil
		}
	}
	return runRestarting(ctx, cfg, opts, restart.New(cfg.Restart, nil), stdout, log)
}

// runRestarting runs the job, and runs it again from its latest checkpoint after a
// retryable failure, as the restart strategy (RESTART_STRATEGY) allows. A fatal error,
// or a failure the strategy allows no restart for, ends it: the job FAILED, and the
// error says which and why.
func runRestarting(ctx context.Context, cfg config.Config, opts jobspec.Options, tracker *restart.Tracker, stdout io.Writer, log *slog.Logger) error {
	for {
		completed, err := runOnce(ctx, cfg, opts, stdout, log)
		switch {
		case err == nil, ctx.Err() != nil:
			return err
		case errors.Is(err, config.ErrInvalid):
			// A setting the job's parts refuse: exit 2, as the ones config refuses.
			return usageErr(err)
		case failure.IsFatal(err):
			return fmt.Errorf("job FAILED and not restarted: the error is fatal, a restart would fail the same way: %w", err)
		}
		at, ok := tracker.Failure(time.Now())
		if !ok {
			return fmt.Errorf("job FAILED: the restart strategy %s allows no more restarts: %w", tracker.Config(), err)
		}
		log.Warn("job failed, restarting it from the latest checkpoint", "err", err, "class", failure.Retryable,
			"after", time.Until(at).Round(time.Millisecond), "strategy", tracker.Config().String())
		if ctxsleep.For(ctx, time.Until(at)) != nil {
			return ctx.Err()
		}
		if completed {
			// The savepoint started the first run; later ones resume from the
			// checkpoints taken since.
			opts.FromSavepoint = ""
		}
	}
}

// runOnce builds the job, runs it until it drains, fails or ctx ends, and closes it. It
// reports whether the run completed a checkpoint.
func runOnce(ctx context.Context, cfg config.Config, opts jobspec.Options, stdout io.Writer, log *slog.Logger) (bool, error) {
	job, err := jobspec.Build(cfg, opts)
	if err != nil {
		return false, err
	}
	defer job.Close()
	log.Info("job starting", "job", cfg.JobID, "tables", cfg.Tables, "output", cfg.OutputPath,
		"database", fmt.Sprintf("%s@%s:%d/%s", cfg.Database.Username, cfg.Database.Host, cfg.Database.Port, cfg.Database.SID))
	stopProgress := progressLoop(ctx, stdout, job, nil, 5*time.Second)
	began := time.Now()
	err = job.Run(ctx)
	stopProgress()
	// The summary of this run: what it delivered, by origin (the snapshot's rows, the
	// changes read from LogMiner), whatever the end.
	st := job.Stats
	log.Info("job ended", "drained", err == nil, "mode", cfg.Scan.StartupMode, "changes", st.Changes(),
		"snapshot_rows", st.SnapshotRows(), "redo_changes", st.RedoChanges(),
		"checkpoint", st.LastCheckpoint().ID, "elapsed", time.Since(began).Round(time.Millisecond))
	if err == nil {
		fmt.Fprintf(stdout, "redoflow run: drained; %d changes captured (%d snapshot rows, %d from the redo), final checkpoint %d\n",
			st.Changes(), st.SnapshotRows(), st.RedoChanges(), st.LastCheckpoint().ID)
	}
	return st.LastCheckpoint().ID > 0, err
}
