package zookeeper_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/testzk"
)

// nextWorkers waits for a worker set satisfying ok.
func nextWorkers(t *testing.T, ch <-chan []ha.Worker, what string, ok func([]ha.Worker) bool) []ha.Worker {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case ws, open := <-ch:
			if !open {
				t.Fatalf("%s: Workers channel closed", what)
			}
			if ok(ws) {
				return ws
			}
		case <-deadline:
			t.Fatalf("%s: not seen within %v", what, waitLimit)
		}
	}
}

func TestRegistryFollowsWorkers(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	w1 := startElector(t, zk.Servers(), cluster, 4*time.Second, "w1")
	w2 := startElector(t, zk.Servers(), cluster, 4*time.Second, "w2")
	o := startElector(t, zk.Servers(), cluster, 4*time.Second, "observer")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws := o.Workers(ctx)
	nextWorkers(t, ws, "empty registry", func(w []ha.Worker) bool { return len(w) == 0 })

	r1ctx, r1cancel := context.WithCancel(ctx)
	r1, err := w1.Register(r1ctx, ha.Worker{ID: "w1", Address: "127.0.0.1:6121", Slots: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Register(ctx, ha.Worker{ID: "w2", Address: "127.0.0.1:6122", Slots: 2}); err != nil {
		t.Fatal(err)
	}
	got := nextWorkers(t, ws, "two workers", func(w []ha.Worker) bool { return len(w) == 2 })
	if got[0].ID != "w1" || got[0].Slots != 4 || got[1].Address != "127.0.0.1:6122" {
		t.Fatalf("workers %+v", got)
	}

	// Deregistration by context deletes the znode at once.
	r1cancel()
	<-r1.Done()
	if !errors.Is(r1.Err(), ha.ErrRegistrationLost) {
		t.Fatalf("Err after cancel: %v", r1.Err())
	}
	nextWorkers(t, ws, "w1 gone", func(w []ha.Worker) bool { return len(w) == 1 && w[0].ID == "w2" })

	// A partitioned worker loses its registration by the lease rule, before the server
	// drops its znode.
	r1, err = w1.Register(ctx, ha.Worker{ID: "w1", Address: "127.0.0.1:6121", Slots: 4})
	if err != nil {
		t.Fatal(err)
	}
	nextWorkers(t, ws, "w1 back", func(w []ha.Worker) bool { return len(w) == 2 })
	start := time.Now()
	w1.Partition(true)
	<-r1.Done()
	lost := time.Since(start)
	nextWorkers(t, ws, "w1 dropped by the server", func(w []ha.Worker) bool { return len(w) == 1 })
	t.Logf("partitioned worker: registration ended after %v, znode dropped after %v", lost, time.Since(start))
	if !errors.Is(r1.Err(), ha.ErrRegistrationLost) {
		t.Fatalf("Err after partition: %v", r1.Err())
	}
	w1.Partition(false)
}

// TestRegistrationLeaseEndsBeforeTheServerDropsIt is the self-fencing rule a
// worker relies on: ValidUntil advances while the server answers, and once
// the worker is cut off it runs out by the worker's own clock (no
// notification needed) before the server expires the session and another
// process can see the worker gone and move its task.
func TestRegistrationLeaseEndsBeforeTheServerDropsIt(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	w := startElector(t, zk.Servers(), cluster, 4*time.Second, "w")
	o := startElector(t, zk.Servers(), cluster, 4*time.Second, "observer")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws := o.Workers(ctx)
	r, err := w.Register(ctx, ha.Worker{ID: "w", Address: "127.0.0.1:6121", Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	nextWorkers(t, ws, "registered", func(w []ha.Worker) bool { return len(w) == 1 })

	// Renewals: the lease moves forward several times.
	renewals, last := 0, r.ValidUntil()
	for deadline := time.Now().Add(waitLimit); renewals < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the lease was renewed %d times within %v", renewals, waitLimit)
		}
		if v := r.ValidUntil(); v.After(last) {
			renewals, last = renewals+1, v
		}
	}

	w.Partition(true)
	defer w.Partition(false)
	var fencedAt time.Time
	gone := make(chan time.Time, 1)
	go func() { // no t.Fatal off the test's goroutine: a zero time says "not seen"
		limit := time.After(waitLimit)
		for {
			select {
			case w, open := <-ws:
				if !open {
					gone <- time.Time{}
					return
				}
				if len(w) == 0 {
					gone <- time.Now()
					return
				}
			case <-limit:
				gone <- time.Time{}
				return
			}
		}
	}()
	for deadline := time.Now().Add(waitLimit); fencedAt.IsZero(); time.Sleep(10 * time.Millisecond) {
		if now := time.Now(); !now.Before(r.ValidUntil()) {
			fencedAt = now
		} else if now.After(deadline) {
			t.Fatalf("the lease did not run out within %v of the partition", waitLimit)
		}
	}
	select {
	case at := <-gone:
		t.Fatalf("the server dropped the worker (seen at %s) before its lease ran out (%s)", at.Format(time.StampMilli), fencedAt.Format(time.StampMilli))
	default:
	}
	if at := <-gone; !at.After(fencedAt) {
		t.Fatalf("the worker was seen gone at %s, its lease ran out at %s", at, fencedAt)
	}
	<-r.Done()
	if !r.ValidUntil().IsZero() {
		t.Errorf("ValidUntil after Done = %v, want zero", r.ValidUntil())
	}
}

// TestZooKeeperWipedComesBack: ZooKeeper restarts with its data gone. The
// server refuses the old session (its ids and zxids are unknown there); the
// elector must get a new session on its own, after which a worker registers
// and a candidate leads again, with a higher epoch than any before is not
// required (the epoch znode is gone too) but observers see the new leader.
func TestZooKeeperWipedComesBack(t *testing.T) {
	zk := testzk.Start(t, 1)
	cluster := uniqueCluster(t)
	e := startElector(t, zk.Servers(), cluster, 2*time.Second, "e")
	o := startElector(t, zk.Servers(), cluster, 2*time.Second, "observer")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := campaign(t, e, ha.Candidate{ID: "c1", Address: "127.0.0.1:8081"})
	if err := l.FencedSet(ctx, "checkpoints/latest", []byte("p1")); err != nil {
		t.Fatal(err)
	}
	r, err := e.Register(ctx, ha.Worker{ID: "w", Address: "127.0.0.1:6121", Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	ws := o.Workers(ctx)
	nextWorkers(t, ws, "registered", func(w []ha.Worker) bool { return len(w) == 1 })
	// A standby waits behind e's latch: after the wipe it must campaign again on its
	// new client, not wait on the old one forever.
	standby, _ := campaignAsync(t, o, ha.Candidate{ID: "c2", Address: "127.0.0.1:8082"})

	zk.Wipe(0)
	waitDone(t, l, "the leadership after the wipe")
	select {
	case <-r.Done():
	case <-time.After(waitLimit):
		t.Fatal("the registration outlived the wiped ZooKeeper")
	}
	rctx, rcancel := context.WithTimeout(ctx, waitLimit)
	defer rcancel()
	if _, err := e.Register(rctx, ha.Worker{ID: "w", Address: "127.0.0.1:6121", Slots: 1}); err != nil {
		t.Fatalf("registering again after the wipe: %v", err)
	}
	// A fresh watch reads the ensemble as it is now (the first one may never have seen
	// the worker gone, and sends only changes).
	nextWorkers(t, o.Workers(ctx), "registered again", func(w []ha.Worker) bool { return len(w) == 1 })
	l2 := mustLead(t, standby, "the standby after the wipe")
	if err := l2.FencedSet(ctx, "checkpoints/latest", []byte("p2")); err != nil {
		t.Fatalf("FencedSet under the new leadership: %v", err)
	}
	if v, err := l2.Get(ctx, "checkpoints/latest"); err != nil || string(v) != "p2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}
