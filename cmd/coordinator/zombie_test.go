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
// verify finds every change exactly once. Three rounds, alternating workers.
func TestZombieWorker(t *testing.T) {
	c := newCluster(t, 1, 45000, 1000)
	c.env = append(c.env, "HA_ZOOKEEPER_SESSION_TIMEOUT=3s")
	defer c.dumpLogs()
	c.startCoordinator(0)
	for i := range 2 {
		c.startWorker(i)
	}
	l, _ := c.leader(nil)
	c.waitTaskManagers(l, 2)
	for round := range 3 {
		d := c.waitJob(l, "RUNNING")
		victim := c.workerNamed(d.Vertices[0].TM)
		c.waitRows(c.rows(), fmt.Sprintf("round %d: before the pause", round))
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
				t.Fatalf("round %d: the task did not move off the paused %s within %v: %+v, %v", round, victim.name, waitLimit, d, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.waitRows(c.rows(), fmt.Sprintf("round %d: the new owner commits", round))
		c.kill(victim, syscall.SIGCONT)
		// The new owner goes on committing while the resumed worker wakes up.
		for range 3 {
			c.waitRows(c.rows(), fmt.Sprintf("round %d: after the resume", round))
		}
		t.Logf("ZOMBIE round %d: %s paused past its session and resumed; the task runs on", round, victim.name)
	}
	c.finish(l)
}
