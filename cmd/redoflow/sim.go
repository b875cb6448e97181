package main

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/oraclesim/tns"
)

// simFlags are the simulator's settings, shared by sim and demo.
type simFlags struct {
	initialRows int
	changes     int64
	rate        float64
	seed        int64
	threads     int
	concurrency int
	truth       string
}

func (f *simFlags) register(fs interface {
	Int64Var(*int64, string, int64, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	StringVar(*string, string, string, string)
}) {
	fs.IntVar(&f.initialRows, "initial-rows", 0, "FINANCE_USER.TRANS_INFO rows loaded before the workload starts (a table for the snapshot to copy)")
	fs.Int64Var(&f.changes, "changes", 0, "stop the workload after this many committed changes (0: run until stopped)")
	fs.Float64Var(&f.rate, "rate", 2000, "committed changes per second (0: as fast as possible)")
	fs.Int64Var(&f.seed, "seed", 1, "workload seed; the same seed gives the same changes")
	fs.IntVar(&f.threads, "threads", 1, "redo threads: 1, or 2 for a RAC-like database")
	fs.IntVar(&f.concurrency, "concurrency", 4, "transactions open at once")
	fs.StringVar(&f.truth, "truth", "", "with --changes: write the final table contents and the committed change log (_changes/) here when the workload is done")
}

// newDB builds the simulator and its workload. With --truth it first
// clears what an earlier run left in that directory, _final_scn first
// (that file says the truth is complete), then records the committed
// change log from before the first change (changes is nil otherwise).
func (f *simFlags) newDB(ctx context.Context) (db *oraclesim.DB, w *oraclesim.Workload, changes *oraclesim.ChangeLog, err error) {
	cfg := oraclesim.DefaultConfig()
	cfg.Threads = f.threads
	db, err = oraclesim.New(cfg)
	if err != nil {
		return nil, nil, nil, usageErr(err)
	}
	defer func() {
		if err != nil {
			if changes != nil {
				changes.Close()
			}
			db.Close()
		}
	}()
	wc := oraclesim.DefaultWorkloadConfig()
	wc.Seed, wc.Rate, wc.MaxChanges, wc.Concurrency = f.seed, f.rate, f.changes, f.concurrency
	w, err = oraclesim.NewWorkload(db, wc)
	if err != nil {
		return nil, nil, nil, usageErr(err)
	}
	if f.truth != "" {
		if err := os.MkdirAll(f.truth, 0o755); err != nil {
			return nil, nil, nil, usageErr(fmt.Errorf("--truth %s: %w", f.truth, err))
		}
		if err := clearTruth(f.truth, db); err != nil {
			return nil, nil, nil, fmt.Errorf("--truth %s: %w", f.truth, err)
		}
		if changes, err = db.RecordChanges(f.truth); err != nil {
			return nil, nil, nil, err
		}
	}
	if f.initialRows > 0 {
		if err := w.Preload(ctx, f.initialRows); err != nil {
			return nil, nil, nil, err
		}
	}
	return db, w, changes, nil
}

// clearTruth removes from dir, by name, the files a truth of db's tables
// is made of (writeStartSCN, writeTruth), _final_scn first, so that a run
// cut short leaves no earlier run's truth behind to be taken for its own.
// Other files are left alone.
func clearTruth(dir string, db *oraclesim.DB) error {
	names := []string{"_final_scn", "_final_scn.tmp", oraclesim.ChangeLogDir, oraclesim.ChangeLogDir + ".tmp",
		"_keys.json", "_keys.json.tmp", "_start_scn", "_start_scn.tmp"}
	for _, t := range db.Tables() {
		names = append(names, t.Schema()+"."+t.Name()+".csv")
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", stderr)
	var sf simFlags
	sf.register(fs)
	listen := fs.String("listen", "127.0.0.1:1521", "TCP address to serve go-ora clients on")
	service := fs.String("service", "ORCLPDB1", "service name clients connect to (a SID of the same name works too)")
	password := fs.String("password", "", "the only password accepted (empty: any)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if sf.truth != "" && sf.changes == 0 {
		return usageErr(errors.New("--truth needs --changes: the truth is written when the workload is done"))
	}
	log := newLogger(stderr, slog.LevelInfo)
	db, w, changes, err := sf.newDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if changes != nil {
		defer changes.Close()
	}
	cfg := tns.DefaultConfig()
	cfg.Addr, cfg.Service, cfg.SID, cfg.Password, cfg.Logger = *listen, *service, *service, *password, log
	srv, err := tns.New(cfg, func(ctx context.Context, l tns.Login) (driver.Conn, error) {
		return oraclesim.NewConnector(db, oraclesim.ConnOptions{User: strings.ToUpper(l.User), Service: l.Service}).Connect(ctx)
	})
	if err != nil {
		return usageErr(err)
	}
	// Shutdown order: cancelling ctx stops the workload and the listener;
	// the database closes after both have returned (deferred above).
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error {
		select {
		case <-srv.Ready():
		case <-ctx.Done():
			return ctx.Err()
		}
		if sf.truth != "" {
			// Written before the address is printed, so that a client
			// knows it when it connects.
			if err := writeStartSCN(sf.truth, db.CurrentSCN()); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "redoflow sim: listening on %s, service %s\n", srv.Addr(), *service)
		if err := w.Run(ctx); err != nil {
			return err
		}
		if sf.changes == 0 {
			return nil
		}
		scn := db.CurrentSCN()
		log.Info("workload done", "changes", w.Committed(), "scn", scn)
		if sf.truth != "" {
			if err := writeTruth(db, changes, sf.truth, scn); err != nil {
				return err
			}
			log.Info("truth written", "dir", sf.truth, "scn", scn)
		}
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// writeStartSCN writes DIR/_start_scn: the SCN before the workload's first
// change (rows of --initial-rows are committed at or before it). A job
// started with SCAN_STARTUP_MODE=specific-offset at it reads every change of
// the workload from the redo.
func writeStartSCN(dir string, scn uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "_start_scn"), []byte(strconv.FormatUint(scn, 10)+"\n"))
}

// writeTruth writes the tables' contents as of scn, their keys, the
// committed change log (finishing changes), and last _final_scn, whose
// presence says the truth is complete.
func writeTruth(db *oraclesim.DB, changes *oraclesim.ChangeLog, dir string, scn uint64) error {
	if err := db.DumpDir(dir, scn); err != nil {
		return err
	}
	keys := map[string][]string{}
	for _, t := range db.Tables() {
		keys[t.Schema()+"."+t.Name()] = append([]string{}, t.PrimaryKey()...)
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, "_keys.json"), b); err != nil {
		return err
	}
	if err := changes.Finish(); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "_final_scn"), []byte(strconv.FormatUint(scn, 10)+"\n"))
}

func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readFinalSCNNow reads the _final_scn a finished sim wrote.
func readFinalSCNNow(dir string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "_final_scn"))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}
