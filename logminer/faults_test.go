package logminer_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// TestPurgedArchiveIsFatal: a resume position whose redo was purged fails
// with a fatal ErrMissingLog naming thread, sequence and SCN and saying
// what to do, instead of skipping the lost changes.
func TestPurgedArchiveIsFatal(t *testing.T) {
	sim, db := newSim(t, 2, 8<<10)
	start := sim.CurrentSCN()
	runWorkload(t, sim, oraclesim.DefaultWorkloadConfig(), 300)
	sim.SwitchLogfile()
	if n := sim.PurgeArchivedLogs(math.MaxUint64); n == 0 {
		t.Fatal("nothing purged")
	}
	var rec recorder
	err := readUntil(t, db, testConfig(t), logminer.PositionAt(start+5), &rec, sim.CurrentSCN())
	if !errors.Is(err, logminer.ErrMissingLog) || !logminer.IsFatal(err) {
		t.Fatalf("Run = %v, want a fatal ErrMissingLog", err)
	}
	for _, want := range []string{"sequence 1", "SCN", "restore", "snapshot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(rec.lines) != 0 {
		t.Errorf("%d changes delivered before the missing log", len(rec.lines))
	}
}

// TestPurgeWhileReadingIsFatal: logs purged while the reader is behind
// stop it with ErrMissingLog; nothing after the gap is delivered.
func TestPurgeWhileReadingIsFatal(t *testing.T) {
	sim, db := newSim(t, 1, 8<<10)
	start := sim.CurrentSCN()
	runWorkload(t, sim, oraclesim.DefaultWorkloadConfig(), 400)
	var rec recorder
	purged := false
	rec.onChange = func(n int) {
		if n == 20 && !purged {
			purged = true
			sim.SwitchLogfile()
			sim.PurgeArchivedLogs(math.MaxUint64)
		}
	}
	cfg := testConfig(t)
	cfg.WindowMin, cfg.WindowDefault, cfg.WindowMax = 10, 10, 10
	err := readUntil(t, db, cfg, logminer.PositionAt(start), &rec, sim.CurrentSCN())
	if !errors.Is(err, logminer.ErrMissingLog) || !logminer.IsFatal(err) {
		t.Fatalf("Run = %v, want a fatal ErrMissingLog", err)
	}
	t.Log(err)
}

// TestPrerequisites: supplemental logging below ALL and a missing table are
// fatal errors that say what is wrong.
func TestPrerequisites(t *testing.T) {
	cfg := oraclesim.DefaultConfig()
	cfg.SupplementalLogging = oraclesim.LoggingPK
	sim, err := oraclesim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "FINANCE_USER"}))
	defer db.Close()
	if _, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig()); err != nil {
		t.Fatal(err)
	}
	err = readUntil(t, db, testConfig(t), nil, &recorder{}, sim.CurrentSCN())
	if !errors.Is(err, logminer.ErrPrerequisite) || !logminer.IsFatal(err) || !strings.Contains(err.Error(), "SUPPLEMENTAL LOG DATA (ALL)") {
		t.Errorf("PK logging: Run = %v, want a fatal ErrPrerequisite", err)
	}

	sim2, db2 := newSim(t, 1, 0)
	if _, err := oraclesim.NewWorkload(sim2, oraclesim.DefaultWorkloadConfig()); err != nil {
		t.Fatal(err)
	}
	err = readUntil(t, db2, testConfig(t, oraclesim.TransInfoTable, "trans_nope"), nil, &recorder{}, sim2.CurrentSCN())
	if !errors.Is(err, logminer.ErrTableNotFound) || !logminer.IsFatal(err) || !strings.Contains(err.Error(), "FINANCE_USER.trans_nope") || !strings.Contains(err.Error(), "TRANS_NOPE") {
		t.Errorf("missing table: Run = %v, want a fatal ErrTableNotFound naming it", err)
	}
}

// TestDroppedConnectionsAreRetried: connections dropped and ORA-03113
// failures while reading make the reader reconnect and go on from the
// last position it handed over; the output equals an undisturbed run. Run
// in process and over go-ora (where the listener cuts the TCP sessions).
func TestDroppedConnectionsAreRetried(t *testing.T) {
	for _, overTCP := range []bool{false, true} {
		t.Run(map[bool]string{false: "in process", true: "go-ora"}[overTCP], func(t *testing.T) {
			sim, db := newSim(t, 2, 16<<10)
			start := sim.CurrentSCN()
			runWorkload(t, sim, oraclesim.DefaultWorkloadConfig(), 600)
			done := sim.CurrentSCN()
			drop := sim.DropConnections
			if overTCP {
				remote, srv := startListener(t, sim)
				db = remote
				drop = func() { srv.DropSessions() }
			}
			var calm recorder
			if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &calm, done); err != nil {
				t.Fatal(err)
			}

			var rec recorder
			var logs logCapture
			cfg := testConfig(t)
			cfg.Logger = newLogger(&logs)
			rec.onChange = func(n int) {
				switch n % 97 {
				case 10:
					drop()
				case 50:
					sim.FailNext(1, nil) // ORA-03113
				}
			}
			if err := readUntil(t, db, cfg, logminer.PositionAt(start), &rec, done); err != nil {
				t.Fatal(err)
			}
			if logs.count("LogMiner session failed; reconnecting") == 0 {
				t.Fatal("no failure was injected")
			}
			t.Logf("%d reconnects after: %q", len(logs.errs), logs.errs)
			// Changes after a failure are delivered again from the last Boundary:
			// the output up to each Boundary is what counts.
			got := dedupeAfterRetries(rec)
			if !slices.Equal(got, calm.lines) {
				t.Fatalf("with failures %d changes, without %d", len(got), len(calm.lines))
			}
		})
	}
}

// dedupeAfterRetries rebuilds what a checkpointing handler keeps: changes
// handed over between two Boundaries count only when the second Boundary
// comes; after a reconnect the reader repeats the uncommitted tail.
func dedupeAfterRetries(rec recorder) []string {
	return rec.committed
}

// TestRetriesExhausted: a database that keeps failing ends Run with
// ErrRetriesExhausted, which is not fatal (restart from a checkpoint).
func TestRetriesExhausted(t *testing.T) {
	sim, db := newSim(t, 1, 0)
	if _, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig()); err != nil {
		t.Fatal(err)
	}
	sim.FailNext(1000, nil)
	cfg := testConfig(t)
	cfg.RetryMax = 3
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background(), nil, &recorder{})
	if !errors.Is(err, logminer.ErrRetriesExhausted) || logminer.IsFatal(err) || !strings.Contains(err.Error(), "ORA-03113") {
		t.Fatalf("Run = %v, want ErrRetriesExhausted (not fatal) with the last error", err)
	}
}

// TestConfigValidate: every bad setting is named with its value.
func TestConfigValidate(t *testing.T) {
	base := testConfig(t)
	for _, tc := range []struct {
		change func(*logminer.ReaderConfig)
		want   string
	}{
		{func(c *logminer.ReaderConfig) { c.Schema = "" }, "DATABASE_SCHEMA"},
		{func(c *logminer.ReaderConfig) { c.Tables = nil }, "DATABASE_TABLES is empty"},
		{func(c *logminer.ReaderConfig) { c.Tables = []string{"A.B.C"} }, `"A.B.C"`},
		{func(c *logminer.ReaderConfig) { c.WindowMin = 0 }, "REDOFLOW_SCN_WINDOW_MIN"},
		{func(c *logminer.ReaderConfig) { c.WindowDefault = c.WindowMax + 1 }, "REDOFLOW_SCN_WINDOW_DEFAULT is 2001"},
		{func(c *logminer.ReaderConfig) { c.PollMin = 0 }, "REDOFLOW_POLL_MIN"},
		{func(c *logminer.ReaderConfig) { c.SpillThreshold = -1 }, "REDOFLOW_SPILL_THRESHOLD is -1"},
		{func(c *logminer.ReaderConfig) { c.SpillDir = "/nonexistent/x" }, "REDOFLOW_SPILL_DIR"},
		{func(c *logminer.ReaderConfig) { c.DeadLetter = "drop" }, `REDOFLOW_DEAD_LETTER is "drop"`},
		{func(c *logminer.ReaderConfig) { c.FlushTable = "FLUSH" }, `REDOFLOW_LOG_FLUSH_TABLE is "FLUSH"`},
		{func(c *logminer.ReaderConfig) { c.DeadLetter = logminer.DeadLetterWrite }, "REDOFLOW_DEAD_LETTER_PATH is empty"},
	} {
		cfg := base
		tc.change(&cfg)
		_, err := logminer.NewReader(&sql.DB{}, cfg)
		if !errors.Is(err, logminer.ErrInvalidConfig) || !logminer.IsFatal(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewReader = %v, want ErrInvalidConfig mentioning %q", err, tc.want)
		}
	}
	cfg := base
	cfg.Schema, cfg.Tables = "", []string{"S.T"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("qualified tables without a schema: %v", err)
	}
}
