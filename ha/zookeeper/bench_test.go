package zookeeper_test

import (
	"context"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/ha/zookeeper"
	"github.com/redoflow/redoflow/internal/testzk"
)

// BenchmarkFailover measures how long a standby takes to lead, on one local ZooKeeper with
// the default session timeout:
//   - resign: from the leader's Resign to the standby's Campaign returning (SIGTERM path);
//   - session-lost: from cutting the leader off ZooKeeper for good (as kill -9 does: the
//     socket closes, nobody reconnects) to the standby's Campaign returning.
//
// Run with: go test -run '^$' -bench Failover -benchtime 5x ./ha/zookeeper/
func BenchmarkFailover(b *testing.B) {
	zk := testzk.Start(b, 1)
	session := zookeeper.DefaultConfig().SessionTimeout

	b.Run("resign", func(b *testing.B) {
		cluster := uniqueCluster(b)
		e := [2]*zookeeper.Elector{
			startElector(b, zk.Servers(), cluster, session, "a"),
			startElector(b, zk.Servers(), cluster, session, "b"),
		}
		cand := [2]ha.Candidate{{ID: "a", Address: "a:8081"}, {ID: "b", Address: "b:8081"}}
		leader := campaign(b, e[0], cand[0])
		var total time.Duration
		for i := 0; i < b.N; i++ {
			next := (i + 1) % 2
			res, _ := campaignAsync(b, e[next], cand[next])
			waitStandingBy(b, e[next])
			start := time.Now()
			if err := leader.Resign(context.Background()); err != nil {
				b.Fatal(err)
			}
			leader = mustLead(b, res, "standby")
			total += time.Since(start)
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
	})

	b.Run("session-lost", func(b *testing.B) {
		cluster := uniqueCluster(b)
		var total time.Duration
		for i := 0; i < b.N; i++ {
			old := startElector(b, zk.Servers(), cluster, session, "old")
			campaign(b, old, ha.Candidate{ID: "old", Address: "old:8081"})
			standby := startElector(b, zk.Servers(), cluster, session, "standby")
			res, _ := campaignAsync(b, standby, ha.Candidate{ID: "standby", Address: "standby:8081"})
			waitStandingBy(b, standby)
			start := time.Now()
			old.Partition(true)
			l := mustLead(b, res, "standby")
			total += time.Since(start)
			if err := l.Resign(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
		b.ReportMetric(float64(session.Milliseconds()), "ms-session-timeout")
	})
}

// waitStandingBy gives the standby's Campaign time to create its latch and watch; the
// measured interval must not include its own campaign.
func waitStandingBy(testing.TB, *zookeeper.Elector) {
	time.Sleep(300 * time.Millisecond)
}
