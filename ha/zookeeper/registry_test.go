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
