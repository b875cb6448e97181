package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/internal/dirlock"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/oraclesim/tns"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	var sf simFlags
	sf.register(fs)
	output := fs.String("output", "./output/cdc", "CSV output directory; its previous demo output is replaced")
	checkpoints := fs.String("checkpoints", "./output/checkpoints", "checkpoint directory; its previous demo checkpoints are replaced")
	interval := fs.Duration("checkpoint-interval", 5*time.Second, "time between checkpoints")
	rollAge := fs.Duration("roll-age", 10*time.Second, "a CSV file is finished, and published by the next checkpoint, after this long")
	every := fs.Duration("progress", 2*time.Second, "time between progress lines")
	verbose := fs.Bool("v", false, "debug logging")
	if err := parse(fs, args); err != nil {
		return err
	}
	if sf.truth != "" && sf.changes == 0 {
		return usageErr(errors.New("--truth needs --changes: the truth is the tables' contents and change log once the workload is done"))
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level)
	cfg := config.Default()
	cfg.OutputPath, cfg.CheckpointDir, cfg.JobID = *output, *checkpoints, "demo"
	release, err := takeDemoDirs(cfg)
	if err != nil {
		return err
	}
	defer release()

	db, w, changes, err := sf.newDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if changes != nil {
		defer changes.Close()
	}
	// The job reaches the simulator the way it reaches Oracle: go-ora over
	// TCP to the simulator's listener on a loopback port.
	lc := tns.DefaultConfig()
	lc.Addr, lc.Logger = "127.0.0.1:0", log
	srv, err := tns.New(lc, func(ctx context.Context, l tns.Login) (driver.Conn, error) {
		return oraclesim.NewConnector(db, oraclesim.ConnOptions{User: strings.ToUpper(l.User), Service: l.Service}).Connect(ctx)
	})
	if err != nil {
		return err
	}

	// Shutdown order: the errgroup's context ends the workload, the job and
	// the listener; the job closes its database connections before the
	// listener is gone; the simulator closes last (deferred above).
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	select {
	case <-srv.Ready():
	case <-gctx.Done():
		return g.Wait()
	}
	host, port, _ := net.SplitHostPort(srv.Addr().String())
	portN, _ := strconv.Atoi(port)

	cfg.Database = config.Database{Host: host, Port: portN, Username: "FINANCE_USER", Password: "demo", SID: lc.Service, Schema: oraclesim.WorkloadSchema}
	cfg.Tables = []string{oraclesim.WorkloadSchema + "." + oraclesim.TransInfoTable, oraclesim.WorkloadSchema + "." + oraclesim.TransLogTable}
	cfg.OutputPath, cfg.CheckpointDir, cfg.SavepointDir = *output, *checkpoints, filepath.Join(filepath.Dir(*checkpoints), "savepoints")
	cfg.CheckpointInterval, cfg.RollAge, cfg.JobID = *interval, *rollAge, "demo"

	var finalSCN atomic.Uint64 // set once the workload is done
	opts := jobspec.Options{Logger: log}
	if sf.changes > 0 {
		opts.StopAtSCN = func() (uint64, bool) { s := finalSCN.Load(); return s, s != 0 }
	}
	sqldb, err := sql.Open("oracle", logminer.GoOraDSN(host, portN, lc.Service, "FINANCE_USER", "demo"))
	if err != nil {
		return err
	}
	defer sqldb.Close()
	opts.DB = sqldb
	job, err := jobspec.Build(cfg, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redoflow demo: simulator on %s, workload FINANCE_USER.TRANS_INFO and TRANS_LOG", srv.Addr())
	if sf.changes > 0 {
		fmt.Fprintf(stdout, ", %d changes", sf.changes)
	}
	fmt.Fprintf(stdout, "; CSV to %s, checkpoints every %s\n", *output, *interval)

	jobDone := make(chan struct{})
	g.Go(func() error {
		if err := w.Run(gctx); err != nil {
			return err
		}
		if sf.changes > 0 {
			finalSCN.Store(db.CurrentSCN())
			log.Info("workload done", "changes", w.Committed(), "scn", db.CurrentSCN())
		}
		return nil
	})
	g.Go(func() error {
		defer close(jobDone)
		stop := progressLoop(gctx, stdout, job, func() (uint64, int64) { return db.CurrentSCN(), w.Committed() }, *every)
		defer stop()
		err := job.Run(gctx)
		if err != nil {
			return err
		}
		// Drained: write the truth, then stop the listener.
		if sf.truth != "" {
			if err := writeTruth(db, changes, sf.truth, finalSCN.Load()); err != nil {
				return err
			}
		}
		return errDemoDone
	})
	err = g.Wait()
	<-jobDone
	if errors.Is(err, errDemoDone) {
		fmt.Fprintf(stdout, "redoflow demo: done: %d changes committed by the workload, %d captured; final checkpoint %d; files in %s\n",
			w.Committed(), job.Stats.Changes(), job.Stats.LastCheckpoint().ID, *output)
		if sf.truth != "" {
			fmt.Fprintf(stdout, "redoflow demo: truth in %s; check with: redoflow verify --output %s --truth %s\n", sf.truth, *output, sf.truth)
		}
		return nil
	}
	return err
}

var errDemoDone = errors.New("demo done")

// takeDemoDirs locks the demo's directories, then clears what an earlier
// demo left there. The locks come first: a demo still running in these
// directories keeps them, and this one is refused.
func takeDemoDirs(cfg config.Config) (release func(), err error) {
	release, err = jobspec.Lock(cfg, true)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct{ flag, dir string }{{"--output", cfg.OutputPath}, {"--checkpoints", cfg.CheckpointDir}} {
		if err := clearDemoDir(d.dir); err != nil {
			release()
			return nil, usageErr(fmt.Errorf("%s %s: %w", d.flag, d.dir, err))
		}
	}
	return release, nil
}

// clearDemoDir empties dir of what an earlier demo left, refusing to touch
// a directory holding anything else. The locks this demo holds
// (dirlock.FileName, in dir and in its checkpoint directory demo/) stay.
func clearDemoDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		ok := e.IsDir() && (strings.HasPrefix(n, "FINANCE_USER.") || n == "demo") ||
			!e.IsDir() && (n == "_dead_letter.jsonl" || n == dirlock.FileName || strings.HasPrefix(n, ".redoflow-probe"))
		if !ok {
			return fmt.Errorf("holds %s, which is not demo output: choose another directory", n)
		}
	}
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		switch {
		case e.Name() == dirlock.FileName:
		case e.Name() == "demo":
			if err := clearBut(path, dirlock.FileName); err != nil {
				return err
			}
		default:
			if err := os.RemoveAll(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearBut removes everything in dir but the entry named keep.
func clearBut(dir, keep string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() != keep {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// progressLoop prints a progress line every period until stopped.
// current, when set, reports the database's SCN and the workload's count.
func progressLoop(ctx context.Context, w io.Writer, job *jobspec.Job, current func() (uint64, int64), period time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	// Shutdown order: stop cancels the loop and waits for its last line.
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		start, prev, prevAt := time.Now(), int64(0), time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				n := job.Stats.Changes()
				rate := float64(n-prev) / now.Sub(prevAt).Seconds()
				prev, prevAt = n, now
				phase, _, committed := job.Stats.Position()
				line := fmt.Sprintf("[%5.0fs] %s: %d changes captured (%.0f/s)", now.Sub(start).Seconds(), orDash(phase), n, rate)
				if phase == jobspec.PhaseSnapshot {
					for _, t := range job.Snapshot().Tables {
						line += fmt.Sprintf(", %s %d/%d rows %d/%d chunks", t.Table, t.RowsRead, t.RowsTotal, t.ChunksDone, t.ChunksAll)
					}
				}
				if current != nil {
					scn, produced := current()
					if committed > 0 && scn >= committed {
						line += fmt.Sprintf(", lag %d SCN", scn-committed)
					}
					line += fmt.Sprintf(", workload %d committed", produced)
				}
				if lc := job.Stats.LastCommit(); !lc.IsZero() {
					line += fmt.Sprintf(", %d ms behind", max(0, now.Sub(lc).Milliseconds()))
				}
				if c := job.Stats.LastCheckpoint(); c.ID > 0 {
					line += fmt.Sprintf(", checkpoint %d at %s", c.ID, c.Time.Local().Format("15:04:05"))
				}
				fmt.Fprintln(w, line)
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

func orDash(s string) string {
	if s == "" {
		return "starting"
	}
	return s
}
