package tns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	_ "github.com/sijms/go-ora/v2"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type testServer struct {
	srv  *Server
	db   *testDB
	addr string
}

// startServer runs a listener on a free loopback port until the test ends.
func startServer(t testing.TB, db *testDB, mod func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg, db.factory)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("listener did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return &testServer{srv: srv, db: db, addr: srv.Addr().String()}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func (ts *testServer) dsn(user, pass, opts string) string {
	d := fmt.Sprintf("oracle://%s:%s@%s/%s", user, pass, ts.addr, ts.srv.cfg.Service)
	if opts != "" {
		d += "?" + opts
	}
	return d
}

func (ts *testServer) open(t testing.TB, opts string) *sql.DB {
	t.Helper()
	db, err := sql.Open("oracle", ts.dsn("scott", "tiger", opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConnectPing(t *testing.T) {
	ts := startServer(t, newTestDB(), nil)
	db := ts.open(t, "")
	if err := db.PingContext(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}
