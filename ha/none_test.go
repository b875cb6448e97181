package ha_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redoflow/redoflow/ha"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNoneLeadsAtOnceWithEpochOne(t *testing.T) {
	n := ha.NewNone()
	defer n.Close()
	ctx := context.Background()
	obs, cancelObs := observe(n)
	defer cancelObs()
	if got := <-obs; got.HasLeader() {
		t.Fatalf("before any campaign: %v", got)
	}

	l, err := n.Campaign(ctx, ha.Candidate{ID: "c1", Address: "127.0.0.1:8081"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Epoch() != 1 || l.Err() != nil {
		t.Fatalf("epoch %d err %v, want 1 and nil", l.Epoch(), l.Err())
	}
	if got := <-obs; got.Address != "127.0.0.1:8081" || got.Epoch != 1 {
		t.Fatalf("observed %v", got)
	}
	if err := l.FencedSet(ctx, "checkpoints/latest", []byte("chk-1")); err != nil {
		t.Fatal(err)
	}
	if v, err := l.Get(ctx, "checkpoints/latest"); err != nil || string(v) != "chk-1" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := l.Get(ctx, "nope"); !errors.Is(err, ha.ErrNoKey) {
		t.Fatalf("Get of a missing key: %v, want ErrNoKey", err)
	}

	// A second candidate waits while the first leads.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := n.Campaign(short, ha.Candidate{ID: "c2"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second campaign while the first leads: %v", err)
	}

	if err := l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	<-l.Done()
	if err := l.FencedSet(ctx, "checkpoints/latest", []byte("stale")); !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("FencedSet after Resign: %v, want ErrNotLeader", err)
	}
	l2, err := n.Campaign(ctx, ha.Candidate{ID: "c2", Address: "127.0.0.1:8082"})
	if err != nil {
		t.Fatal(err)
	}
	if l2.Epoch() <= l.Epoch() {
		t.Fatalf("new epoch %d not above %d", l2.Epoch(), l.Epoch())
	}
	if v, _ := l2.Get(ctx, "checkpoints/latest"); string(v) != "chk-1" {
		t.Fatalf("new leader reads %q, want the old leader's last fenced write", v)
	}
	for got := range obs {
		if got.Address == "127.0.0.1:8082" {
			break
		}
	}

	n.Close()
	<-l2.Done()
	if !errors.Is(l2.Err(), ha.ErrClosed) || !errors.Is(l2.Err(), ha.ErrNotLeader) {
		t.Fatalf("Err after Close: %v", l2.Err())
	}
	if _, err := n.Campaign(ctx, ha.Candidate{}); !errors.Is(err, ha.ErrClosed) {
		t.Fatalf("Campaign after Close: %v", err)
	}
	for range obs { // closed by Close
	}
}

func observe(e ha.Elector) (<-chan ha.LeaderInfo, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	return e.Observe(ctx), cancel
}

func TestNoneRegistry(t *testing.T) {
	n := ha.NewNone()
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws := n.Workers(ctx)
	if got := <-ws; len(got) != 0 {
		t.Fatalf("before any registration: %v", got)
	}
	rctx, rcancel := context.WithCancel(ctx)
	r1, err := n.Register(rctx, ha.Worker{ID: "w1", Address: "127.0.0.1:6121", Slots: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-ws; len(got) != 1 || got[0].Slots != 4 {
		t.Fatalf("after Register: %v", got)
	}
	// A second registration of the same ID replaces the first.
	r2, err := n.Register(ctx, ha.Worker{ID: "w1", Address: "127.0.0.1:6122", Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	<-r1.Done()
	if !errors.Is(r1.Err(), ha.ErrRegistrationLost) {
		t.Fatalf("replaced registration: %v", r1.Err())
	}
	for got := range ws {
		if len(got) == 1 && got[0].Address == "127.0.0.1:6122" {
			break
		}
	}
	rcancel() // ends nothing: r1 is already gone
	select {
	case <-r2.Done():
		t.Fatal("r2 ended with r1's context")
	case <-time.After(20 * time.Millisecond):
	}
	n.Close()
	<-r2.Done()
	if !errors.Is(r2.Err(), ha.ErrClosed) {
		t.Fatalf("after Close: %v", r2.Err())
	}
}
