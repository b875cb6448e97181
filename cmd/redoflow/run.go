package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/jobspec"
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
	job, err := jobspec.Build(cfg, opts)
	if err != nil {
		if errors.Is(err, config.ErrInvalid) {
			return usageErr(err)
		}
		return err
	}
	defer job.Close()
	log.Info("job starting", "job", cfg.JobID, "tables", cfg.Tables, "output", cfg.OutputPath,
		"database", fmt.Sprintf("%s@%s:%d/%s", cfg.Database.Username, cfg.Database.Host, cfg.Database.Port, cfg.Database.SID))
	stopProgress := progressLoop(ctx, stdout, job, nil, 5*time.Second)
	began := time.Now()
	err = job.Run(ctx)
	stopProgress()
	// The summary of this process's run: what it delivered, by origin (the
	// snapshot's rows, the changes read from LogMiner), whatever the end.
	st := job.Stats
	log.Info("job ended", "drained", err == nil, "mode", cfg.Scan.StartupMode, "changes", st.Changes(),
		"snapshot_rows", st.SnapshotRows(), "redo_changes", st.RedoChanges(),
		"checkpoint", st.LastCheckpoint().ID, "elapsed", time.Since(began).Round(time.Millisecond))
	if err == nil {
		fmt.Fprintf(stdout, "redoflow run: drained; %d changes captured (%d snapshot rows, %d from the redo), final checkpoint %d\n",
			st.Changes(), st.SnapshotRows(), st.RedoChanges(), st.LastCheckpoint().ID)
	}
	return err
}
