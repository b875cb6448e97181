package logminer_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// liveRecorder is a recorder safe to read while the reader runs.
type liveRecorder struct {
	mu  sync.Mutex
	rec recorder
}

func (l *liveRecorder) Change(ctx context.Context, ev *change.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec.Change(ctx, ev)
}

func (l *liveRecorder) Boundary(ctx context.Context, pos change.Position) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec.Boundary(ctx, pos)
}

func (l *liveRecorder) setDone(scn uint64, cancel context.CancelFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec.doneSCN, l.rec.cancel = scn, cancel
	// The reader may be past scn already, with no Boundary to come.
	if n := len(l.rec.positions); n > 0 {
		if restart, _, _ := logminer.PositionSCNs(l.rec.positions[n-1]); restart > scn {
			cancel()
		}
	}
}

// TestReadWhileWriting reads from the current SCN (no Position) while the
// workload runs on two redo threads with log switches, then checks that
// what was delivered equals a later read of the same redo.
func TestReadWhileWriting(t *testing.T) {
	sim, db := newSim(t, 2, 16<<10)
	if _, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig()); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.StartSCN = 0 // the current SCN
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var live liveRecorder
	start := sim.CurrentSCN()
	errc := make(chan error, 1)
	go func() { errc <- r.Run(rctx, nil, &live) }()

	// Commit marker rows until the reader delivers one: from then on it
	// is reading, and everything committed later must arrive.
	logT := sim.Table(oraclesim.WorkloadSchema, oraclesim.TransLogTable)
	for i := 0; ; i++ {
		tx := sim.Begin("FINANCE_USER")
		if _, err := tx.Insert(logT, nil, "MARKER", "marker", float64(i), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		live.mu.Lock()
		n := len(live.rec.lines)
		live.mu.Unlock()
		if n > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the reader delivered no marker")
		}
		time.Sleep(2 * time.Millisecond)
	}
	live.mu.Lock()
	markers := len(live.rec.lines)
	live.mu.Unlock()
	wc := oraclesim.DefaultWorkloadConfig()
	wc.Seed = 7
	wc.Rate = 20000
	runWorkload(t, sim, wc, 800)
	done := sim.CurrentSCN()
	live.setDone(done, stop)
	if err := <-errc; !errors.Is(err, context.Canceled) || ctx.Err() != nil {
		t.Fatalf("Run = %v (test context: %v)", err, ctx.Err())
	}

	var again recorder
	if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &again, done); err != nil {
		t.Fatal(err)
	}
	got := live.rec.lines
	if len(got) == 0 || !slices.Equal(got, again.lines[len(again.lines)-len(got):]) {
		t.Fatalf("live read delivered %d changes, the later read %d", len(got), len(again.lines))
	}
	if len(got) < markers+800 {
		t.Errorf("live read delivered %d changes after %d markers, want the 800 of the workload", len(got)-markers, markers)
	}
}

// TestIdleStreamAdvances: transactions on tables the reader does not
// capture move the position forward through Boundary calls without any
// Change.
func TestIdleStreamAdvances(t *testing.T) {
	sim, db := newSim(t, 1, 0)
	if _, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig()); err != nil {
		t.Fatal(err)
	}
	other, err := sim.CreateTable(oraclesim.TableSpec{Schema: "OTHER", Name: "T", Columns: []oraclesim.ColumnSpec{{Name: "X", Type: "NUMBER"}}})
	if err != nil {
		t.Fatal(err)
	}
	start := sim.CurrentSCN()
	for i := range 50 {
		tx := sim.Begin("OTHER")
		if _, err := tx.Insert(other, i); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var rec recorder
	if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &rec, sim.CurrentSCN()); err != nil {
		t.Fatal(err)
	}
	if len(rec.lines) != 0 || rec.boundaries == 0 {
		t.Fatalf("%d changes, %d boundaries", len(rec.lines), rec.boundaries)
	}
}
