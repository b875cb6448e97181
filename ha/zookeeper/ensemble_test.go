package zookeeper_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/ha/zookeeper"
	"github.com/redoflow/redoflow/internal/testzk"
)

// TestEnsembleOutages: one server of three down does not interrupt leadership; all
// servers down end it; when they return a leader is elected again with a larger epoch and
// the old leadership stays fenced.
func TestEnsembleOutages(t *testing.T) {
	zk := testzk.Start(t, 3)
	cluster := uniqueCluster(t)
	// 9 s: a 6 s lease leaves room for the two remaining servers to elect a new ZooKeeper
	// leader on a loaded machine when the stopped server was the ZooKeeper leader.
	const session = 9 * time.Second
	a := startElector(t, zk.Servers(), cluster, session, "a")
	b := startElector(t, zk.Servers(), cluster, session, "b")
	ctx := context.Background()

	la := campaign(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	bres, _ := campaignAsync(t, b, ha.Candidate{ID: "b", Address: "127.0.0.1:18082"})
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("a-0")); err != nil {
		t.Fatal(err)
	}

	// Stop the very server a's session is connected to.
	stopped := slices.Index(zk.Servers(), a.ConnectedServer())
	if stopped < 0 {
		t.Fatalf("a is connected to %q, not one of %v", a.ConnectedServer(), zk.Servers())
	}
	mode, _ := zk.Mode(stopped)
	t.Logf("stopping server %d (%s), the one a is connected to", stopped, mode)
	zk.Stop(stopped)
	// Writes go on for a whole session timeout. A write may fail while the client moves to
	// another server (a retryable error), but leadership must hold throughout and writes
	// must succeed again.
	ok, failed := 0, 0
	for end := time.Now().Add(session); time.Now().Before(end); {
		select {
		case <-la.Done():
			t.Fatalf("leadership lost with one server of three down: %v", la.Err())
		default:
		}
		err := la.FencedSet(ctx, "checkpoints/latest", []byte("a-1"))
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ha.ErrFenced) || errors.Is(err, ha.ErrNotLeader):
			t.Fatalf("write fenced with one server of three down: %v", err)
		default:
			failed++
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("with server %d down: %d writes succeeded, %d failed while reconnecting", stopped, ok, failed)
	if ok == 0 {
		t.Fatal("no write succeeded with one server of three down")
	}
	select {
	case r := <-bres:
		t.Fatalf("b's Campaign returned while a leads: %v", r.err)
	default:
	}

	// All servers down: a steps down by the lease rule, nobody can lead.
	for i := range 3 {
		if i != stopped {
			zk.Stop(i)
		}
	}
	waitDone(t, la, "a with all servers down")
	if !errors.Is(la.Err(), zookeeper.ErrConnectionLost) {
		t.Fatalf("a's Err = %v, want ErrConnectionLost", la.Err())
	}
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("a-2")); !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("write after losing leadership: %v, want ErrNotLeader", err)
	}

	// Servers return: a leader is elected again (b, standing by) with a larger epoch.
	zk.Start(0, 1, 2)
	lb := mustLead(t, bres, "b after the servers returned")
	if lb.Epoch() <= la.Epoch() {
		t.Fatalf("epoch %d after the outage is not above %d", lb.Epoch(), la.Epoch())
	}
	if err := lb.FencedSet(ctx, "checkpoints/latest", []byte("b-1")); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		err := zookeeper.FencedSetUnchecked(ctx, la, "checkpoints/latest", []byte("a-stale"))
		if errors.Is(err, ha.ErrFenced) {
			break
		}
		if err == nil {
			t.Fatal("ZooKeeper accepted a write of the old leader")
		}
		if time.Now().After(deadline) {
			t.Fatalf("old leader's write: %v, want ErrFenced", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := lb.Get(ctx, "checkpoints/latest"); err != nil || string(v) != "b-1" {
		t.Fatalf("pointer = %q, %v; want b-1", v, err)
	}
}
