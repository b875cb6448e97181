package main

import (
	"testing"
	"time"
)

// TestClusterZooKeeperWiped: ZooKeeper comes back empty (its volume lost).
// Every process gets a new session on its own (the empty server refuses the
// clients that have seen its old transactions), workers register again, a
// coordinator leads with an epoch above every earlier one (taken from the
// checkpoint storage, since the epoch znode is gone too), recovers the
// latest checkpoint from that storage and republishes the pointer. The job
// runs on; verify finds every change exactly once.
func TestClusterZooKeeperWiped(t *testing.T) {
	c := newCluster(t, 1, 40000, 400)
	defer c.dumpLogs()
	c.startCoordinator(0)
	c.startCoordinator(1)
	for i := range 2 {
		c.startWorker(i)
	}
	l, epoch := c.leader(nil)
	c.waitJob(l, "RUNNING")
	c.waitRows(c.rows(), "before the wipe")
	c.zk.Wipe(0)
	base := c.rows()
	// The old leader may take a moment to step down: wait for a leader of a new epoch.
	var nl *proc
	var nepoch int64
	for deadline := time.Now().Add(waitLimit); nepoch <= epoch; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no leader of an epoch above %d within %v of the wipe (last: %d)", epoch, waitLimit, nepoch)
		}
		nl, nepoch = c.leader(nil)
		if nepoch < epoch {
			t.Fatalf("leader %s has epoch %d after the wipe, below %d before it: workers refuse it", nl.name, nepoch, epoch)
		}
	}
	c.waitJob(nl, "RUNNING")
	c.waitRows(base, "after the wipe")
	c.waitTaskManagers(nl, 2)
	t.Logf("ZK WIPED: %s (epoch %d) -> %s (epoch %d)", l.name, epoch, nl.name, nepoch)
	c.finish(nl)
}
