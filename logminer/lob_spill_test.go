package logminer_test

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// TestLOBInsertMergesTheValueUpdate: LogMiner writes a LOB insert as
// EMPTY_CLOB()/EMPTY_BLOB() followed by an UPDATE with the values; the
// reader delivers one insert with the real values, and rolled-back or
// savepoint-undone LOB changes never appear.
func TestLOBInsertMergesTheValueUpdate(t *testing.T) {
	sim, db := newSim(t, 1, 0)
	tb := createLOBTable(t, sim)
	start := sim.CurrentSCN()
	lobTransactions(t, sim, tb, 1, 40)
	rec := recorder{keep: true}
	if err := readUntil(t, db, testConfig(t, "DOCS"), logminer.PositionAt(start), &rec, sim.CurrentSCN()); err != nil {
		t.Fatal(err)
	}
	id := oraclesim.WorkloadSchema + ".DOCS"
	if want := sim.CommittedChanges()[id]; int64(len(rec.evs)) != want {
		t.Errorf("%d changes delivered, %d committed", len(rec.evs), want)
	}
	for _, ev := range rec.evs {
		if ev.Op == 'c' && (ev.Row[2].Null || ev.Row[2].Text == "" || ev.Row[3].Text == "") {
			t.Errorf("insert without its LOB values: %s", rec.lines[slices.Index(rec.evs, ev)])
		}
	}
	got, want := replay(t, rec.evs, map[string]int{id: 1}), truth(t, sim)
	if !slices.Equal(got[id], want[id]) {
		t.Errorf("replayed DOCS differ from the truth:\n got %q\nwant %q", got[id], want[id])
	}
}

// logCapture records log messages.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
	errs []string
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			c.errs = append(c.errs, a.Value.String())
		}
		return true
	})
	return nil
}
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCapture) WithGroup(string) slog.Handler      { return c }
func (c *logCapture) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// TestLargeTransactionSpills streams one large transaction, with a
// savepoint rollback undoing changes already on disk, through a reader
// whose memory threshold is tiny: the changes come out in order with the
// same content as from a reader that keeps everything in memory, and the
// spill files are gone afterwards.
func TestLargeTransactionSpills(t *testing.T) {
	sim, db := newSim(t, 1, 1<<20)
	wl, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig())
	if err != nil {
		t.Fatal(err)
	}
	_ = wl
	info := sim.Table(oraclesim.WorkloadSchema, oraclesim.TransInfoTable)
	start := sim.CurrentSCN()
	tx := sim.Begin("FINANCE_USER")
	const n = 6000
	for i := range n {
		if i == n/2 {
			if err := tx.Savepoint("HALF"); err != nil {
				t.Fatal(err)
			}
		}
		if i == n/2+n/4 {
			if err := tx.RollbackTo("HALF"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Insert(info, i, "6222", "1.50", "EUR", nil, "NEW", strings.Repeat("r", i%50)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := tx.UpdateByKey(info, []any{i - 5}, []string{"STATUS"}, []any{"DONE"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	done := sim.CurrentSCN()

	inMemory := recorder{}
	if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &inMemory, done); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.SpillThreshold = 4096
	var logs logCapture
	cfg.Logger = slog.New(&logs)
	spilled := recorder{}
	if err := readUntil(t, db, cfg, logminer.PositionAt(start), &spilled, done); err != nil {
		t.Fatal(err)
	}
	if logs.count("transaction spills to disk") == 0 {
		t.Fatal("the transaction did not spill")
	}
	if want := sim.CommittedChanges()[oraclesim.WorkloadSchema+"."+oraclesim.TransInfoTable]; int64(len(spilled.lines)) != want {
		t.Errorf("%d changes, %d committed", len(spilled.lines), want)
	}
	if !slices.Equal(spilled.lines, inMemory.lines) {
		t.Fatalf("spilled run differs from the in-memory run (%d vs %d changes)", len(spilled.lines), len(inMemory.lines))
	}
	for i, l := range spilled.lines {
		if !strings.Contains(l, " seq="+strconv.Itoa(i)+" ") {
			t.Fatalf("change %d out of order: %s", i, l)
		}
	}
	left, _ := os.ReadDir(cfg.SpillDir)
	if len(left) != 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}
