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
