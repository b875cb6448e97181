package main

import (
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFailover measures, on the deployment of the manual (two coordinators, three
// workers, one ZooKeeper, default 6 s session timeout), the time from stopping the leader
// to the first new committed CSV row under its successor: b.N times with SIGTERM and b.N
// times with SIGKILL, alternating. Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench Failover -benchtime 10x ./cmd/coordinator/
//
// Every measured time is logged; the reported metrics are the mean and the maximum.
func BenchmarkFailover(b *testing.B) {
	c := newCluster(b, 1, 0, 400)
	defer c.dumpLogs()
	c.startCoordinator(0)
	c.startCoordinator(1)
	for i := range 3 {
		c.startWorker(i)
	}
	l, _ := c.leader(nil)
	c.waitJob(l, "RUNNING")
	c.waitRows(0, "first rows")
	var term, kill []time.Duration
	b.ResetTimer()
	for i := range b.N {
		term = append(term, c.failover(syscall.SIGTERM))
		kill = append(kill, c.failover(syscall.SIGKILL))
		// Printed as they come: go test shows only part of a benchmark's log.
		fmt.Fprintf(os.Stderr, "failover run %d/%d: SIGTERM %v, SIGKILL %v\n", i+1, b.N, term[i].Round(time.Millisecond), kill[i].Round(time.Millisecond))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		var sum time.Duration
		for _, x := range d {
			sum += x
		}
		mean := sum / time.Duration(len(d))
		b.Logf("%s: %d runs %v; mean %v, max %v", name, len(d), d, mean, slices.Max(d))
		b.ReportMetric(mean.Seconds(), name+"-mean-s")
		b.ReportMetric(slices.Max(d).Seconds(), name+"-max-s")
	}
	report("sigterm", term)
	report("sigkill", kill)
}
