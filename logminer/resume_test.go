package logminer_test

import (
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"pgregory.net/rapid"
)

// TestResumeNeverRepeatsNorSkips is the exactly-once property of Position:
// for random workloads (interleaved, long, rolled-back and partially
// rolled-back transactions, one or two redo threads, log switches, random
// window sizes), stopping the reader after every k-th Boundary and resuming
// a fresh Reader from that position delivers exactly what one
// uninterrupted run delivers, in the same order.
func TestResumeNeverRepeatsNorSkips(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		simCfg := oraclesim.DefaultConfig()
		simCfg.Threads = rapid.IntRange(1, 2).Draw(rt, "threads")
		simCfg.LogFileSize = rapid.SampledFrom([]int64{8 << 10, 64 << 10, 8 << 20}).Draw(rt, "logSize")
		sim, err := oraclesim.New(simCfg)
		if err != nil {
			rt.Fatal(err)
		}
		defer sim.Close()
		db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "FINANCE_USER"}))
		defer db.Close()

		wc := oraclesim.DefaultWorkloadConfig()
		wc.Seed = rapid.Int64().Draw(rt, "seed")
		wc.Concurrency = rapid.IntRange(1, 6).Draw(rt, "concurrency")
		wc.MaxTxnChanges = rapid.IntRange(1, 8).Draw(rt, "maxTxnChanges")
		wc.LongTxnShare = rapid.Float64Range(0, 0.3).Draw(rt, "longShare")
		wc.LongTxnFactor = rapid.IntRange(2, 20).Draw(rt, "longFactor")
		wc.RollbackShare = rapid.Float64Range(0, 0.3).Draw(rt, "rollbackShare")
		wc.PartialRollbackShare = rapid.Float64Range(0, 0.3).Draw(rt, "partialShare")
		wc.BigRemarkShare = rapid.Float64Range(0, 0.1).Draw(rt, "bigRemarkShare")
		start := sim.CurrentSCN()
		runWorkload(rt, sim, wc, int64(rapid.IntRange(1, 150).Draw(rt, "changes")))
		done := sim.CurrentSCN()

		cfg := testConfig(t)
		cfg.WindowMin = uint64(rapid.IntRange(1, 50).Draw(rt, "windowMin"))
		cfg.WindowDefault = cfg.WindowMin + uint64(rapid.IntRange(0, 200).Draw(rt, "windowDefault"))
		cfg.WindowMax = cfg.WindowDefault + uint64(rapid.IntRange(0, 2000).Draw(rt, "windowMax"))
		if rapid.Bool().Draw(rt, "spill") {
			cfg.SpillThreshold = 1 // every transaction spills
		}
		k := rapid.IntRange(1, 8).Draw(rt, "k")

		var whole recorder
		if err := readUntil(rt, db, cfg, logminer.PositionAt(start), &whole, done); err != nil {
			rt.Fatal(err)
		}

		// At most about 25 resumed runs per case keep the test quick.
		k = max(k, len(whole.positions)/25)
		var got []string
		pos := logminer.PositionAt(start)
		for runs := 0; ; runs++ {
			// Each run hands over a new position, and positions only move
			// forward: SCNs bound the number of runs.
			if runs > 4*int(done-start)+10 {
				rt.Fatalf("no end after %d resumed runs", runs)
			}
			rec := recorder{stopAfter: k}
			err := readUntil(rt, db, cfg, pos, &rec, done)
			got = append(got, rec.lines...)
			if err == nil {
				break
			}
			if !errors.Is(err, errStop) {
				rt.Fatalf("run %d: %v", runs, err)
			}
			pos = rec.positions[len(rec.positions)-1]
		}
		if !slices.Equal(got, whole.lines) {
			for i := range min(len(got), len(whole.lines)) {
				if got[i] != whole.lines[i] {
					rt.Fatalf("resumed runs differ at change %d of %d/%d:\n got %s\nwant %s", i, len(got), len(whole.lines), got[i], whole.lines[i])
				}
			}
			rt.Fatalf("resumed runs delivered %d changes, one run %d", len(got), len(whole.lines))
		}
	})
}

// TestPositionAtRoundTrip pins the Position JSON.
func TestPositionAtRoundTrip(t *testing.T) {
	p := logminer.PositionAt(1000)
	if string(p) != `{"v":1,"restart_scn":1000,"floor_scn":1000}` {
		t.Fatalf("PositionAt(1000) = %s", p)
	}
	restart, committed, err := logminer.PositionSCNs(p)
	if err != nil || restart != 1000 || committed != 1000 {
		t.Fatalf("PositionSCNs = %d %d %v", restart, committed, err)
	}
	for _, bad := range []change.Position{change.Position("{"), change.Position(`{"v":2,"restart_scn":5}`), change.Position(`{"v":1}`)} {
		if _, _, err := logminer.PositionSCNs(bad); !errors.Is(err, logminer.ErrBadPosition) || !logminer.IsFatal(err) {
			t.Errorf("PositionSCNs(%s) = %v, want a fatal ErrBadPosition", bad, err)
		}
	}
}
