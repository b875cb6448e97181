package zookeeper_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/ha/zookeeper"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds every wait of these tests; it is not a performance assertion, only a
// guard against hanging on a loaded machine.
const waitLimit = 60 * time.Second

// tWriter sends log lines to t.Log until the test ends.
type tWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

// startElector runs an Elector until the test ends and waits for Run to return.
func startElector(t testing.TB, servers []string, cluster string, session time.Duration, name string) *zookeeper.Elector {
	t.Helper()
	w := &tWriter{t: t}
	cfg := zookeeper.DefaultConfig()
	cfg.Quorum = servers
	cfg.ClusterID = cluster
	cfg.SessionTimeout = session
	level := slog.LevelInfo
	if _, ok := t.(*testing.B); ok {
		level = slog.LevelWarn
	}
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})).With("elector", name)
	e, err := zookeeper.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Run of %s: %v", name, err)
		}
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return e
}

// campaign runs Campaign in the background; the result arrives on the channel.
type result struct {
	l   ha.Leadership
	err error
}

func campaignAsync(t testing.TB, e ha.Elector, cand ha.Candidate) (<-chan result, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan result, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l, err := e.Campaign(ctx, cand)
		ch <- result{l, err}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ch, cancel
}

func mustLead(t testing.TB, ch <-chan result, what string) ha.Leadership {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: Campaign: %v", what, r.err)
		}
		return r.l
	case <-time.After(waitLimit):
		t.Fatalf("%s: no leadership after %v", what, waitLimit)
	}
	return nil
}

func campaign(t testing.TB, e ha.Elector, cand ha.Candidate) ha.Leadership {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	l, err := e.Campaign(ctx, cand)
	if err != nil {
		t.Fatalf("Campaign of %s: %v", cand.ID, err)
	}
	return l
}

func waitDone(t testing.TB, l ha.Leadership, what string) {
	t.Helper()
	select {
	case <-l.Done():
	case <-time.After(waitLimit):
		t.Fatalf("%s: leadership (epoch %d) still held after %v", what, l.Epoch(), waitLimit)
	}
}

// waitObserved reads the observer until it reports want's address and epoch.
func waitObserved(t testing.TB, obs <-chan ha.LeaderInfo, want ha.LeaderInfo) {
	t.Helper()
	timeout := time.After(waitLimit)
	var last ha.LeaderInfo
	for {
		select {
		case got, ok := <-obs:
			if !ok {
				t.Fatalf("observer closed, last saw %v, want %v", last, want)
			}
			last = got
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("observer saw %v, want %v", last, want)
		}
	}
}

var clusterSeq int

// uniqueCluster gives each test its own HA_CLUSTER_ID on a shared server.
func uniqueCluster(t testing.TB) string {
	clusterSeq++
	return fmt.Sprintf("c%d-%d", clusterSeq, time.Now().UnixNano())
}
