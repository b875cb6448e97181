package main

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestZombieWorker is the paused worker that resumes: SIGSTOP the worker
// running the task for longer than its ZooKeeper session, let the task move
// to another worker and commit there, then SIGCONT the first one while the
// new owner keeps writing at a high rate. The resumed worker's files carry
// its own attempt and its lease has run out: it touches none of the new
// owner's files, none of its writes is ever committed, and the per-change
// verify finds every change exactly once. Up to three rounds, alternating
// workers, while the workload lasts (at least one).
func TestZombieWorker(t *testing.T) {
	c := newCluster(t, 1, 60000, 1000)
	c.env = append(c.env, "HA_ZOOKEEPER_SESSION_TIMEOUT=3s")
	defer c.dumpLogs()
	c.startCoordinator(0)
	for i := range 2 {
		c.startWorker(i)
	}
	l, _ := c.leader(nil)
	c.waitTaskManagers(l, 2)
	rounds := 0
	for ; rounds < 3 && !c.finished(l); rounds++ {
		d := c.waitJob(l, "RUNNING")
		victim := c.workerNamed(d.Vertices[0].TM)
		c.waitRows(c.rows(), fmt.Sprintf("round %d: before the pause", rounds))
		c.kill(victim, syscall.SIGSTOP)
		// The session expires, the task moves and commits on the other worker.
		deadline := time.Now().Add(waitLimit)
		for {
			d, err := c.job(l)
			if err == nil && d.State == "RUNNING" && len(d.Vertices) == 1 && d.Vertices[0].TM != "" && c.workerNamed(d.Vertices[0].TM) != victim {
				break
			}
			if time.Now().After(deadline) {
				c.kill(victim, syscall.SIGCONT)
				t.Fatalf("round %d: the task did not move off the paused %s within %v: %+v, %v", rounds, victim.name, waitLimit, d, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.waitRows(c.rows(), fmt.Sprintf("round %d: the new owner commits", rounds))
		c.kill(victim, syscall.SIGCONT)
		// The new owner goes on committing while the resumed worker wakes up (unless
		// the workload ends meanwhile: verify judges the output either way).
		for range 3 {
			if !c.waitRowsOrFinished(l, c.rows()) {
				break
			}
		}
		t.Logf("ZOMBIE round %d: %s paused past its session and resumed; the task runs on", rounds, victim.name)
	}
	if rounds == 0 {
		t.Fatal("the workload ended before the first pause: no round ran")
	}
	t.Logf("ZOMBIE: %d rounds before the workload ended", rounds)
	c.finish(l)
}

// finished reports whether coordinator p reports the job FINISHED.
func (c *cluster) finished(p *proc) bool {
	d, err := c.job(p)
	return err == nil && d.State == "FINISHED"
}

// waitRowsOrFinished waits until more than n rows are committed (true) or the job
// finished (false).
func (c *cluster) waitRowsOrFinished(p *proc, n int) bool {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if c.rows() > n {
			return true
		}
		if c.finished(p) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no committed rows beyond %d within %v, and the job is not finished", n, waitLimit)
	return false
}
