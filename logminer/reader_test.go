package logminer_test

import (
	"slices"
	"testing"

	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

var workloadKeys = map[string]int{oraclesim.WorkloadSchema + "." + oraclesim.TransInfoTable: 1}

// TestReaderMatchesTruth reads a mixed workload (interleaved, long and
// rolled-back transactions, partial rollbacks, multi-piece SQL_REDO, log
// switches, two redo threads) and checks that replaying the changes gives
// exactly the simulator's final tables, with one change per committed
// change.
func TestReaderMatchesTruth(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(map[int]string{1: "one thread", 2: "two threads"}[threads], func(t *testing.T) {
			sim, db := newSim(t, threads, 64<<10)
			start := sim.CurrentSCN()
			wc := oraclesim.DefaultWorkloadConfig()
			wc.BigRemarkShare = 0.05
			runWorkload(t, sim, wc, 1500)
			rec := recorder{keep: true}
			if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &rec, sim.CurrentSCN()); err != nil {
				t.Fatal(err)
			}
			var want int64
			for _, n := range sim.CommittedChanges() {
				want += n
			}
			if int64(len(rec.evs)) != want {
				t.Errorf("%d changes delivered, %d committed", len(rec.evs), want)
			}
			got, exp := replay(t, rec.evs, workloadKeys), truth(t, sim)
			for id, rows := range exp {
				if !slices.Equal(got[id], rows) {
					t.Errorf("%s: replayed %d rows, truth %d rows", id, len(got[id]), len(rows))
					for i := range min(len(rows), len(got[id])) {
						if rows[i] != got[id][i] {
							t.Errorf("first difference:\n got %s\nwant %s", got[id][i], rows[i])
							break
						}
					}
				}
			}
			t.Logf("%d changes, %d boundaries", len(rec.lines), rec.boundaries)
		})
	}
}

// TestFlushTable: with REDOFLOW_LOG_FLUSH_TABLE set the reader commits an
// update of that table before each window (so LGWR writes the redo buffer)
// and delivers the same changes as without it.
func TestFlushTable(t *testing.T) {
	sim, db := newSim(t, 1, 0)
	start := sim.CurrentSCN()
	runWorkload(t, sim, oraclesim.DefaultWorkloadConfig(), 300)
	if _, err := sim.CreateTable(oraclesim.TableSpec{Schema: "REDOFLOW", Name: "FLUSH", Columns: []oraclesim.ColumnSpec{{Name: "LAST_SCN", Type: "NUMBER"}}}); err != nil {
		t.Fatal(err)
	}
	done := sim.CurrentSCN()
	var plain, flushed recorder
	if err := readUntil(t, db, testConfig(t), logminer.PositionAt(start), &plain, done); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.FlushTable = "REDOFLOW.FLUSH"
	// The flush commits move the SCN: stop at the first window past done.
	if err := readUntil(t, db, cfg, logminer.PositionAt(start), &flushed, done); err != nil {
		t.Fatal(err)
	}
	if n := sim.CommittedChanges()["REDOFLOW.FLUSH"]; n < 2 {
		t.Errorf("%d flush changes committed", n)
	}
	if !slices.Equal(plain.lines, flushed.lines) {
		t.Errorf("with the flush table %d changes, without %d", len(flushed.lines), len(plain.lines))
	}
}
