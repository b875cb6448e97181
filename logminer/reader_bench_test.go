package logminer_test

import (
	"context"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// counter is a handler that counts changes and stops the reader once it
// has mined past done.
type counter struct {
	n      int
	done   uint64
	cancel context.CancelFunc
}

func (c *counter) Change(context.Context, *change.Event) error { c.n++; return nil }
func (c *counter) Boundary(_ context.Context, pos change.Position) error {
	if restart, _, _ := logminer.PositionSCNs(pos); restart > c.done {
		c.cancel()
	}
	return nil
}

// BenchmarkReader measures reader throughput in process: the simulator's
// default workload (inserts, updates, deletes on two tables, 2% of rows
// with ~4 KB remarks, rollbacks) read from start to end with the default
// configuration, reported as changes/s.
//
//	go test -run '^$' -bench BenchmarkReader -benchtime 5x ./logminer/
func BenchmarkReader(b *testing.B) {
	sim, db := newSim(b, 1, 0)
	start := sim.CurrentSCN()
	runWorkload(b, sim, oraclesim.DefaultWorkloadConfig(), 50_000)
	done := sim.CurrentSCN()
	cfg := logminer.DefaultReaderConfig()
	cfg.Schema, cfg.Tables = oraclesim.WorkloadSchema, []string{oraclesim.TransInfoTable, oraclesim.TransLogTable}
	cfg.PollMin = time.Millisecond
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	began := time.Now()
	for b.Loop() {
		r, err := logminer.NewReader(db, cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := &counter{done: done, cancel: cancel}
		if err := r.Run(ctx, logminer.PositionAt(start), c); err != context.Canceled {
			b.Fatal(err)
		}
		cancel()
		total += c.n
	}
	b.ReportMetric(float64(total)/time.Since(began).Seconds(), "changes/s")
}
