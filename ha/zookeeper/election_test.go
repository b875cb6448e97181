package zookeeper_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/ha/zookeeper"
	"github.com/redoflow/redoflow/internal/testzk"
)

func TestResignHandsOverWithLargerEpoch(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	a := startElector(t, zk.Servers(), cluster, 4*time.Second, "a")
	b := startElector(t, zk.Servers(), cluster, 4*time.Second, "b")
	o := startElector(t, zk.Servers(), cluster, 4*time.Second, "observer")
	ctx := context.Background()
	obsCtx, stopObs := context.WithCancel(ctx)
	defer stopObs()
	obs := o.Observe(obsCtx)

	la := campaign(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	if la.Epoch() < 1 {
		t.Fatalf("first epoch %d", la.Epoch())
	}
	waitObserved(t, obs, la.Info())
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("chk-1")); err != nil {
		t.Fatal(err)
	}

	bres, _ := campaignAsync(t, b, ha.Candidate{ID: "b", Address: "127.0.0.1:18082"})
	// b stands by while a leads: a's writes keep succeeding and b's Campaign has not
	// returned when they are done.
	for i := range 5 {
		if err := la.FencedSet(ctx, "checkpoints/latest", []byte{byte('0' + i)}); err != nil {
			t.Fatalf("write %d of the leader while b stands by: %v", i, err)
		}
	}
	select {
	case r := <-bres:
		t.Fatalf("b's Campaign returned while a leads: %v", r.err)
	default:
	}

	if err := la.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, la, "a after Resign")
	if !errors.Is(la.Err(), zookeeper.ErrResigned) || !errors.Is(la.Err(), ha.ErrNotLeader) {
		t.Fatalf("a's Err = %v", la.Err())
	}
	lb := mustLead(t, bres, "b after a resigned")
	if lb.Epoch() <= la.Epoch() {
		t.Fatalf("b's epoch %d is not above a's %d", lb.Epoch(), la.Epoch())
	}
	waitObserved(t, obs, lb.Info())
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("stale")); !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("a's write after Resign: %v, want ErrNotLeader", err)
	}
	if err := zookeeper.FencedSetUnchecked(ctx, la, "checkpoints/latest", []byte("stale")); !errors.Is(err, ha.ErrFenced) {
		t.Fatalf("a's write after Resign, past the local check: %v, want ErrFenced", err)
	}
	if v, err := lb.Get(ctx, "checkpoints/latest"); err != nil || string(v) != "4" {
		t.Fatalf("b reads %q, %v; want a's last write", v, err)
	}
	if err := lb.FencedSet(ctx, "checkpoints/latest", []byte("chk-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.Get(ctx, "nothing/here"); !errors.Is(err, ha.ErrNoKey) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	if info, err := o.Leader(ctx); err != nil || info != lb.Info() {
		t.Fatalf("Leader = %v, %v; want %v", info, err, lb.Info())
	}

	// a campaigns again and stands behind b; b's Resign hands over to a, epoch grows again.
	ares, _ := campaignAsync(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	if err := lb.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	la2 := mustLead(t, ares, "a again")
	if la2.Epoch() <= lb.Epoch() {
		t.Fatalf("epoch %d after %d", la2.Epoch(), lb.Epoch())
	}
	waitObserved(t, obs, la2.Info())
}

func TestLostSessionIsFenced(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	const session = 2 * time.Second
	a := startElector(t, zk.Servers(), cluster, session, "a")
	b := startElector(t, zk.Servers(), cluster, session, "b")
	ctx := context.Background()

	la := campaign(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("a-1")); err != nil {
		t.Fatal(err)
	}
	bres, _ := campaignAsync(t, b, ha.Candidate{ID: "b", Address: "127.0.0.1:18082"})

	// a loses ZooKeeper: it must step down by itself (lease), and b must lead once the
	// server expired a's session.
	a.Partition(true)
	waitDone(t, la, "a partitioned")
	if !errors.Is(la.Err(), zookeeper.ErrConnectionLost) {
		t.Fatalf("a's Err = %v, want ErrConnectionLost", la.Err())
	}
	lb := mustLead(t, bres, "b after a's session expired")
	if lb.Epoch() <= la.Epoch() {
		t.Fatalf("b's epoch %d is not above a's %d", lb.Epoch(), la.Epoch())
	}
	if err := lb.FencedSet(ctx, "checkpoints/latest", []byte("b-1")); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}

	// a comes back: its session has expired; its stale leadership cannot write, neither
	// through the local check nor past it.
	a.Partition(false)
	if err := la.FencedSet(ctx, "checkpoints/latest", []byte("a-stale")); !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("stale write: %v, want ErrNotLeader", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		err := zookeeper.FencedSetUnchecked(ctx, la, "checkpoints/latest", []byte("a-stale"))
		if errors.Is(err, ha.ErrFenced) {
			break
		}
		if err == nil {
			t.Fatal("ZooKeeper accepted a write of the stale leader")
		}
		if time.Now().After(deadline) { // connection errors until a reconnected
			t.Fatalf("stale write past the local check: %v, want ErrFenced", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := lb.Get(ctx, "checkpoints/latest"); err != nil || string(v) != "b-1" {
		t.Fatalf("pointer = %q, %v; want b-1", v, err)
	}
	if err := lb.FencedSet(ctx, "checkpoints/latest", []byte("b-2")); err != nil {
		t.Fatalf("new leader's write after a returned: %v", err)
	}
	select {
	case <-lb.Done():
		t.Fatalf("b lost leadership: %v", lb.Err())
	default:
	}
}

// TestFrozenServerEndsLeadership: a server that stops answering without closing the
// connection (SIGSTOP: a GC pause or a silent partition) ends leadership by the lease rule;
// once it answers again a leader is elected with a larger epoch and the old one is fenced.
func TestFrozenServerEndsLeadership(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	const session = 2 * time.Second
	a := startElector(t, zk.Servers(), cluster, session, "a")
	b := startElector(t, zk.Servers(), cluster, session, "b")
	ctx := context.Background()

	la := campaign(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	bres, _ := campaignAsync(t, b, ha.Candidate{ID: "b", Address: "127.0.0.1:18082"})
	zk.Freeze(0)
	waitDone(t, la, "a with the server frozen")
	zk.Thaw(0)
	if errors.Is(la.Err(), zookeeper.ErrResigned) {
		t.Fatalf("a's Err = %v", la.Err())
	}
	// a's latch znode goes, with its session or deleted by a once it reconnects on it, and
	// b (or a campaigning again) leads.
	ares, _ := campaignAsync(t, a, ha.Candidate{ID: "a", Address: "127.0.0.1:18081"})
	var next ha.Leadership
	select {
	case r := <-bres:
		next = mustLead(t, chanOf(r), "b after thaw")
	case r := <-ares:
		next = mustLead(t, chanOf(r), "a again after thaw")
	case <-time.After(waitLimit):
		t.Fatal("no leader after the server thawed")
	}
	if next.Epoch() <= la.Epoch() {
		t.Fatalf("epoch %d after the freeze is not above %d", next.Epoch(), la.Epoch())
	}
	if err := next.FencedSet(ctx, "checkpoints/latest", []byte("next")); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		err := zookeeper.FencedSetUnchecked(ctx, la, "checkpoints/latest", []byte("stale"))
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
}

func chanOf(r result) <-chan result {
	ch := make(chan result, 1)
	ch <- r
	return ch
}
