package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/rest"
)

// failover kills the leader with sig and returns the time from the kill to the first new
// committed CSV row under the new leader.
func (c *cluster) failover(sig syscall.Signal) time.Duration {
	c.t.Helper()
	old, epoch := c.leader(nil)
	c.waitJob(old, "RUNNING")
	c.waitRows(c.rows(), "before the kill")
	start := time.Now()
	c.kill(old, sig)
	// Rows committed from here on were acknowledged by the new leader: the old one is gone.
	base := c.rows()
	nl, nepoch := c.leader(old)
	if nepoch <= epoch {
		c.t.Errorf("new epoch %d is not above %d", nepoch, epoch)
	}
	first := c.waitRows(base, fmt.Sprintf("after %v of %s", sig, old.name))
	took := first.Sub(start)
	c.waitJob(nl, "RUNNING")
	c.t.Logf("FAILOVER %v: %s (epoch %d) -> %s (epoch %d); first new committed row %v after the kill", sig, old.name, epoch, nl.name, nepoch, took)
	c.restart(old) // back as standby
	return took
}

// TestClusterFailover runs the deployment of the manual: two coordinators, three workers
// with 4 slots, one ZooKeeper. The seed's REST snippets run against both coordinator
// ports; then the leader is stopped with SIGTERM, then killed with SIGKILL, then the worker
// running the task is killed; after each drill the job runs again and new CSV rows are
// committed; at the end verify finds 0 missing, 0 duplicated, 0 mismatched.
func TestClusterFailover(t *testing.T) {
	c := newCluster(t, 1, 40000, 400)
	defer c.dumpLogs()
	c.startCoordinator(0)
	c.startCoordinator(1)
	for i := range 3 {
		c.startWorker(i)
	}
	l, _ := c.leader(nil)
	c.waitJob(l, "RUNNING")
	c.waitRows(0, "first rows")
	// The taskmanagers must all be registered before the overview snippets count them.
	c.waitTaskManagers(l, 3)
	c.checkSnippets("redoflow", c.coords[0].port, c.coords[1].port)

	// The standby says who leads, in /ha and in a header of every forwarded answer.
	for _, p := range c.coords {
		if p == l {
			continue
		}
		var st haStatus
		_, err := get(p.port, "/ha", &st)
		if err != nil || st.Role != "standby" || st.LeaderAddress != fmt.Sprintf("127.0.0.1:%d", l.port) {
			t.Errorf("standby /ha = %+v, %v", st, err)
		}
		var o rest.Overview
		if h, err := get(p.port, "/overview", &o); err != nil || h.Get(rest.HeaderForwardedTo) != st.LeaderAddress || h.Get(rest.HeaderRole) != "standby" {
			t.Errorf("standby /overview: headers %v, %v", h, err)
		}
	}

	c.failover(syscall.SIGTERM)
	c.failover(syscall.SIGKILL)

	// kill -9 of the worker running the task: it resumes on another worker.
	l, _ = c.leader(nil)
	d := c.waitJob(l, "RUNNING")
	victim := d.Vertices[0].TM
	vp := c.workerNamed(victim)
	c.waitRows(c.rows(), "before the worker kill")
	start := time.Now()
	c.kill(vp, syscall.SIGKILL)
	base := c.rows()
	first := c.waitRows(base, "after kill -9 of "+vp.name)
	d = c.waitJob(l, "RUNNING")
	if d.Vertices[0].TM == victim {
		t.Errorf("task still on the killed worker %s", victim)
	}
	if d.Restarts < 1 {
		t.Errorf("restarts = %d after a lost worker", d.Restarts)
	}
	t.Logf("WORKER LOST: task moved %s -> %s; first new committed row %v after the kill", victim, d.Vertices[0].TM, first.Sub(start))

	// Scale up: the killed worker comes back, and a fourth one joins.
	c.restart(vp)
	c.startWorker(3)
	c.waitTaskManagers(l, 4)

	// Scale down: SIGTERM of the worker running the task; it takes a last checkpoint and
	// the task moves.
	victim = d.Vertices[0].TM
	vp = c.workerNamed(victim)
	c.waitRows(c.rows(), "before the worker stop")
	start = time.Now()
	c.kill(vp, syscall.SIGTERM)
	base = c.rows()
	first = c.waitRows(base, "after SIGTERM of "+vp.name)
	d = c.waitJob(l, "RUNNING")
	if d.Vertices[0].TM == victim {
		t.Errorf("task still on the stopped worker %s", victim)
	}
	if log := tail(vp.log); !strings.Contains(log, "last checkpoint taken before stopping") {
		t.Errorf("%s took no last checkpoint before stopping:\n%s", vp.name, log)
	}
	t.Logf("WORKER STOPPED: task moved %s -> %s; first new committed row %v after SIGTERM", victim, d.Vertices[0].TM, first.Sub(start))
	c.waitTaskManagers(l, 3)

	c.finish(l)
	c.noSecret()
}

// workerNamed returns the worker process of registry id ("w1" is worker1).
func (c *cluster) workerNamed(id string) *proc {
	c.t.Helper()
	for _, w := range c.workers {
		if w.name == "worker"+strings.TrimPrefix(id, "w") {
			return w
		}
	}
	c.t.Fatalf("task runs on unknown worker %q", id)
	return nil
}

// waitTaskManagers waits until coordinator p lists n workers.
func (c *cluster) waitTaskManagers(p *proc, n int) {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	got := -1
	for time.Now().Before(deadline) {
		var tms struct {
			TaskManagers []rest.TaskManager `json:"taskmanagers"`
		}
		if _, err := get(p.port, "/taskmanagers", &tms); err == nil {
			if got = len(tms.TaskManagers); got == n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("%s lists %d taskmanagers, want %d", p.name, got, n)
}
