package logminer_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// errStop is what the recording handler returns to stop a Reader.
var errStop = errors.New("test: stop")

// recorder is a change.Handler that keeps each change as one line of text
// and each position, and stops the reader after stopAfter boundaries or
// once the reader has mined past doneSCN with nothing open.
type recorder struct {
	lines      []string
	positions  []change.Position
	boundaries int
	stopAfter  int    // 0: never
	doneSCN    uint64 // stop when the restart SCN passes it
	cancel     context.CancelFunc
	onChange   func(n int)
	lastBefore int  // len(lines) at the last boundary
	keep       bool // keep copies of the events in evs
	evs        []*change.Event
	// committed are the lines confirmed by a later Boundary, as a
	// checkpointing handler keeps them: a reconnecting reader repeats the
	// changes handed over since the last Boundary.
	committed []string
	pending   []string
}

func (r *recorder) Change(ctx context.Context, ev *change.Event) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%c %s scn=%d commit=%d ts=%s xid=%s seq=%d th=%d |", ev.Op, ev.Table.ID(), ev.SCN, ev.CommitSCN,
		ev.CommitTS.Format(time.RFC3339), ev.XID, ev.Seq, ev.Thread)
	if len(ev.Row) != len(ev.Table.Columns) {
		return fmt.Errorf("row has %d values, table %d columns", len(ev.Row), len(ev.Table.Columns))
	}
	for _, v := range ev.Row {
		if v.Null {
			b.WriteString(" NULL |")
		} else {
			fmt.Fprintf(&b, " %q |", v.Text)
		}
	}
	r.lines = append(r.lines, b.String())
	r.pending = append(r.pending, b.String())
	if r.keep {
		c := *ev
		c.Row = slices.Clone(ev.Row)
		r.evs = append(r.evs, &c)
	}
	if r.onChange != nil {
		r.onChange(len(r.lines))
	}
	return nil
}

func (r *recorder) Boundary(ctx context.Context, pos change.Position) error {
	r.boundaries++
	r.committed = append(r.committed, r.pending...)
	r.pending = r.pending[:0]
	r.positions = append(r.positions, slices.Clone(pos))
	r.lastBefore = len(r.lines)
	if r.doneSCN > 0 {
		restart, _, err := logminer.PositionSCNs(pos)
		if err != nil {
			return err
		}
		if restart > r.doneSCN && r.cancel != nil {
			r.cancel()
			return nil
		}
	}
	if r.stopAfter > 0 && r.boundaries >= r.stopAfter {
		return errStop
	}
	return nil
}

// testConfig is a reader configuration with small windows and polls, so
// tests mine many windows quickly.
func testConfig(t testing.TB, tables ...string) logminer.ReaderConfig {
	cfg := logminer.DefaultReaderConfig()
	cfg.Schema = oraclesim.WorkloadSchema
	cfg.Tables = tables
	if len(tables) == 0 {
		cfg.Tables = []string{oraclesim.TransInfoTable, oraclesim.TransLogTable}
	}
	cfg.WindowMin, cfg.WindowDefault, cfg.WindowMax = 20, 100, 2000
	cfg.PollMin, cfg.PollMax = time.Millisecond, 5*time.Millisecond
	cfg.RetryBackoffMin, cfg.RetryBackoffMax = time.Millisecond, 10*time.Millisecond
	cfg.SpillDir = t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return cfg
}

func newLogger(h slog.Handler) *slog.Logger { return slog.New(h) }

// testWriter sends logs through t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newSim(t testing.TB, threads int, logSize int64) (*oraclesim.DB, *sql.DB) {
	t.Helper()
	cfg := oraclesim.DefaultConfig()
	cfg.Threads = threads
	if logSize > 0 {
		cfg.LogFileSize = logSize
	}
	sim, err := oraclesim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "FINANCE_USER"}))
	t.Cleanup(func() { db.Close() })
	return sim, db
}

// tester is what the helpers need of a *testing.T or a *rapid.T.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// runWorkload commits n changes with the given workload settings.
func runWorkload(t tester, sim *oraclesim.DB, wc oraclesim.WorkloadConfig, n int64) {
	t.Helper()
	wc.MaxChanges = n
	w, err := oraclesim.NewWorkload(sim, wc)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// readUntil runs a Reader from `from` until it has mined past doneSCN or
// the recorder stops it, and returns Run's error (nil when it finished).
func readUntil(t tester, db *sql.DB, cfg logminer.ReaderConfig, from change.Position, rec *recorder, doneSCN uint64) error {
	t.Helper()
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if from != nil {
		// Nothing to read: no Boundary would come to stop the reader.
		if restart, _, err := logminer.PositionSCNs(from); err == nil && restart > doneSCN {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	rec.doneSCN, rec.cancel = doneSCN, stop
	err = r.Run(rctx, from, rec)
	if ctx.Err() != nil {
		t.Fatalf("reader did not finish: %v", ctx.Err())
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// replay applies change lines to table contents and returns, per table,
// the sorted rows as "v1|v2|..." lines (NULL as empty), like the truth
// dump. keyCols maps a table to the number of leading key columns (0: the
// table has no key and rows are matched by their full image).
func replay(t testing.TB, evs []*change.Event, keyOf map[string]int) map[string][]string {
	t.Helper()
	state := map[string]map[string][]string{} // table -> key -> rows (no key: multiset)
	render := func(ev *change.Event) string {
		parts := make([]string, len(ev.Row))
		for i, v := range ev.Row {
			parts[i] = v.Text
		}
		return strings.Join(parts, "|")
	}
	for _, ev := range evs {
		id := ev.Table.ID()
		if state[id] == nil {
			state[id] = map[string][]string{}
		}
		row := render(ev)
		key := row
		if k := keyOf[id]; k > 0 {
			key = strings.Join(strings.Split(row, "|")[:k], "|")
		}
		switch ev.Op {
		case change.OpCreate, change.OpUpdate:
			if keyOf[id] > 0 || ev.Op == change.OpCreate {
				state[id][key] = []string{row}
				if keyOf[id] == 0 {
					state[id][key] = append(state[id][key][:0], row)
				}
			} else {
				t.Fatalf("update of keyless table %s not expected", id)
			}
		case change.OpDelete:
			delete(state[id], key)
		}
	}
	out := map[string][]string{}
	for id, rows := range state {
		for _, rs := range rows {
			out[id] = append(out[id], rs...)
		}
		slices.Sort(out[id])
	}
	return out
}

// truth reads the simulator's final table contents in the same form.
func truth(t testing.TB, sim *oraclesim.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range sim.Tables() {
		var b strings.Builder
		if err := sim.DumpCSV(&b, tb, 0); err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(strings.NewReader(b.String()))
		cr.FieldsPerRecord = -1
		first := true
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if first {
				first = false
				continue
			}
			out[tb.Schema()+"."+tb.Name()] = append(out[tb.Schema()+"."+tb.Name()], strings.Join(rec, "|"))
		}
		slices.Sort(out[tb.Schema()+"."+tb.Name()])
	}
	return out
}
