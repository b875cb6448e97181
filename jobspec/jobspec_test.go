package jobspec_test

import (
	"context"
	"database/sql"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/oraclesim"
)

// modeFixture is a database with S.T (ID key, V) and scripted changes:
// phase A before the job starts (ids 1..100 inserted, in two commits, the
// SCN between them remembered), phase B while it streams (ids 101..200
// inserted, 1..50 updated, 51..60 deleted).
type modeFixture struct {
	db       *oraclesim.DB
	sqldb    *sql.DB
	tbl      *oraclesim.Table
	midSCN   uint64 // after ids 1..50 committed
	finalSCN uint64
}

func newModeFixture(t *testing.T) *modeFixture {
	t.Helper()
	db, err := oraclesim.New(oraclesim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tbl, err := db.CreateTable(oraclesim.TableSpec{Schema: "S", Name: "T", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER", NotNull: true}, {Name: "V", Type: "VARCHAR2(20)"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &modeFixture{db: db, tbl: tbl}
	f.insert(t, 1, 50)
	f.midSCN = db.CurrentSCN()
	f.insert(t, 51, 100)
	f.sqldb = sql.OpenDB(oraclesim.NewConnector(db, oraclesim.ConnOptions{User: "S"}))
	t.Cleanup(func() { f.sqldb.Close() })
	return f
}

func (f *modeFixture) insert(t *testing.T, from, to int) {
	t.Helper()
	tx := f.db.Begin("S")
	for id := from; id <= to; id++ {
		if _, err := tx.Insert(f.tbl, int64(id), fmt.Sprintf("v%d", id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (f *modeFixture) phaseB(t *testing.T) {
	t.Helper()
	f.insert(t, 101, 200)
	tx := f.db.Begin("S")
	for id := 1; id <= 50; id++ {
		if err := tx.UpdateByKey(f.tbl, []any{int64(id)}, []string{"V"}, []any{fmt.Sprintf("u%d", id)}); err != nil {
			t.Fatal(err)
		}
	}
	for id := 51; id <= 60; id++ {
		if err := tx.DeleteByKey(f.tbl, int64(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	f.finalSCN = f.db.CurrentSCN()
}

// captured reads every committed row as "op:ID".
func captured(t *testing.T, out string) map[string][]string {
	t.Helper()
	byOp := map[string][]string{}
	files, _ := filepath.Glob(filepath.Join(out, "S.T", "part-*.csv"))
	for _, fn := range files {
		f, err := os.Open(fn)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := stdcsv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			byOp[r[0]] = append(byOp[r[0]], r[6])
		}
	}
	for _, ids := range byOp {
		sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
	}
	return byOp
}

func idRange(from, to int) string {
	var ids []string
	for id := from; id <= to; id++ {
		ids = append(ids, fmt.Sprint(id))
	}
	return strings.Join(ids, ",")
}

// TestStartupModes shows, for each SCAN_STARTUP_MODE, which changes are
// captured and which are not.
func TestStartupModes(t *testing.T) {
	tests := []struct {
		mode        string
		specificMid bool // specific-offset from the SCN between ids 50 and 51
		want        map[string]string
	}{
		// The table as it was, then every change after.
		{config.StartupInitial, false, map[string]string{"r": idRange(1, 100), "c": idRange(101, 200), "u": idRange(1, 50), "d": idRange(51, 60)}},
		// Only what commits after the job starts.
		{config.StartupLatestOffset, false, map[string]string{"c": idRange(101, 200), "u": idRange(1, 50), "d": idRange(51, 60)}},
		// What committed after the SCN: ids 51..100 of phase A, and phase B.
		{config.StartupSpecificOffset, true, map[string]string{"c": idRange(51, 200), "u": idRange(1, 50), "d": idRange(51, 60)}},
		// The table as it was, and nothing after.
		{config.StartupSnapshot, false, map[string]string{"r": idRange(1, 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			f := newModeFixture(t)
			dir := t.TempDir()
			cfg := config.Default()
			cfg.Database.Schema, cfg.Tables = "S", []string{"S.T"}
			cfg.OutputPath, cfg.CheckpointDir, cfg.SavepointDir = filepath.Join(dir, "out"), filepath.Join(dir, "chk"), filepath.Join(dir, "sp")
			cfg.CheckpointInterval, cfg.Scan.StartupMode, cfg.Scan.ChunkSize = 100*time.Millisecond, tt.mode, 30
			if tt.specificMid {
				cfg.Scan.SpecificOffsetSCN = f.midSCN
			}
			stop := make(chan uint64, 1)
			var stopAt uint64
			job, err := jobspec.Build(cfg, jobspec.Options{DB: f.sqldb, StopAtSCN: func() (uint64, bool) {
				select {
				case stopAt = <-stop:
				default:
				}
				return stopAt, stopAt != 0
			}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var g errgroup.Group
			g.Go(func() error { return job.Run(ctx) })
			// Phase B once the job has its start point: streaming (so that
			// latest-offset has read it), or the snapshot's s0 taken.
			for {
				phase, _, _ := job.Stats.Position()
				if phase == jobspec.PhaseStream || tt.mode == config.StartupSnapshot && job.Snapshot().SCN != 0 {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("the job did not start")
				}
				time.Sleep(5 * time.Millisecond)
			}
			f.phaseB(t)
			stop <- f.finalSCN
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			got := captured(t, cfg.OutputPath)
			for _, op := range []string{"r", "c", "u", "d"} {
				if g := strings.Join(got[op], ","); g != tt.want[op] {
					t.Errorf("%s: op %s captured ids [%s], want [%s]", tt.mode, op, g, tt.want[op])
				}
			}
			// The counts by origin: snapshot rows are "r", the rest came from the redo.
			redo := int64(len(got["c"]) + len(got["u"]) + len(got["d"]))
			if s, r := job.Stats.SnapshotRows(), job.Stats.RedoChanges(); s != int64(len(got["r"])) || r != redo {
				t.Errorf("%s: stats say %d snapshot rows and %d redo changes, the output has %d and %d", tt.mode, s, r, len(got["r"]), redo)
			}
		})
	}
}

// TestDrainWhenStopKnownLate: the stop SCN becomes known only after the
// reader has caught up and gone idle (no boundary comes any more); the job
// must still drain and end, with everything delivered.
func TestDrainWhenStopKnownLate(t *testing.T) {
	f := newModeFixture(t)
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Database.Schema, cfg.Tables = "S", []string{"S.T"}
	cfg.OutputPath, cfg.CheckpointDir, cfg.SavepointDir = filepath.Join(dir, "out"), filepath.Join(dir, "chk"), filepath.Join(dir, "sp")
	cfg.CheckpointInterval, cfg.Scan.StartupMode = 100*time.Millisecond, config.StartupLatestOffset
	var stopAt atomic.Uint64
	job, err := jobspec.Build(cfg, jobspec.Options{DB: f.sqldb, StopAtSCN: func() (uint64, bool) {
		s := stopAt.Load()
		return s, s != 0
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- job.Run(ctx) }()
	for phase, _, _ := job.Stats.Position(); phase != jobspec.PhaseStream; phase, _, _ = job.Stats.Position() {
		time.Sleep(5 * time.Millisecond)
	}
	f.phaseB(t)
	// Caught up: every phase B change delivered, then idle for a while.
	for job.Stats.Changes() < 160 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	stopAt.Store(f.finalSCN)
	if err := <-done; err != nil {
		t.Fatalf("job ended with %v, want a drained end", err)
	}
	got := captured(t, cfg.OutputPath)
	if len(got["c"]) != 100 || len(got["u"]) != 50 || len(got["d"]) != 10 {
		t.Fatalf("captured %d inserts, %d updates, %d deletes; want 100, 50, 10", len(got["c"]), len(got["u"]), len(got["d"]))
	}
}

// TestStreamLagAndOpenTransactions: the reader's open transactions and the
// lag in SCN, which the worker turns into metrics, follow the database.
func TestStreamLagAndOpenTransactions(t *testing.T) {
	f := newModeFixture(t)
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Database.Schema, cfg.Tables = "S", []string{"S.T"}
	cfg.OutputPath, cfg.CheckpointDir, cfg.SavepointDir = filepath.Join(dir, "out"), filepath.Join(dir, "chk"), filepath.Join(dir, "sp")
	cfg.CheckpointInterval, cfg.Scan.StartupMode = time.Second, config.StartupLatestOffset
	job, err := jobspec.Build(cfg, jobspec.Options{DB: f.sqldb})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error { return job.Run(ctx) })
	waitFor := func(what string, ok func(lag uint64, open int) bool) {
		t.Helper()
		for {
			lag, open := job.StreamLag()
			if ok(lag, open) {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("never %s (lag %d, open %d)", what, lag, open)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	tx := f.db.Begin("S")
	if _, err := tx.Insert(f.tbl, int64(500), "open"); err != nil {
		t.Fatal(err)
	}
	waitFor("saw the open transaction", func(_ uint64, open int) bool { return open == 1 })
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	waitFor("saw it end", func(_ uint64, open int) bool { return open == 0 })
	waitFor("caught up", func(lag uint64, _ int) bool { return lag <= 1 })
	cancel()
	g.Wait()
}

func TestPhaseProgress(t *testing.T) {
	snap := `{"phase":"snapshot","snapshot":{"scn":10,"oldest_open_scn":10,"tables":[{"table":"S.T","key":["ID"],"bounds":[["5"],["9"]],"done":[0,2]}]}}`
	phase, tables, err := jobspec.PhaseProgress([]byte(snap))
	if err != nil || phase != "snapshot" || len(tables) != 1 || tables[0] != (jobspec.ChunkProgress{Table: "S.T", ChunksDone: 2, ChunksTotal: 3}) {
		t.Fatalf("PhaseProgress = %q %+v %v", phase, tables, err)
	}
	phase, tables, err = jobspec.PhaseProgress([]byte(`{"phase":"stream","stream":{"v":1}}`))
	if err != nil || phase != "stream" || tables != nil {
		t.Fatalf("stream: %q %+v %v", phase, tables, err)
	}
	if _, _, err := jobspec.PhaseProgress([]byte(`{`)); err == nil {
		t.Fatal("a broken position must be an error")
	}
}

// Check refuses, without a database, the settings the reader, the snapshot and the sink
// refuse only once built, as configuration errors naming them: the commands run it at
// start, so that they exit 2 (they exited 1, a worker only when given a task).
func TestCheckRefusesWhatBuildWould(t *testing.T) {
	base := config.Default()
	base.Tables = []string{"S.T"}
	if err := jobspec.Check(base); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		set  func(*config.Config)
		want string
	}{
		"window min above max": {func(c *config.Config) { c.Reader.WindowMin = 5_000_000 }, "REDOFLOW_SCN_WINDOW_MIN (5000000)"},
		"poll min above max":   {func(c *config.Config) { c.Reader.PollMin = 5 * time.Second }, "REDOFLOW_POLL_MIN (5s)"},
		"spill dir missing":    {func(c *config.Config) { c.Reader.SpillDir = filepath.Join(t.TempDir(), "none") }, "REDOFLOW_SPILL_DIR"},
	} {
		c := base
		tc.set(&c)
		if err := jobspec.Check(c); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want a configuration error naming %s", name, err, tc.want)
		}
	}
}
