package netwatch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/netwatch"
)

// server accepts connections and answers each line read with "ok\n" until silent is
// closed; then it reads and answers nothing, keeping the connections open.
type server struct {
	ln     net.Listener
	silent chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // in process: the port goes to no other process
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, silent: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				buf := make([]byte, 64)
				for {
					select {
					case <-s.silent:
						return // the connection stays open, unread
					default:
					}
					if _, err := c.Read(buf); err != nil {
						return
					}
					select {
					case <-s.silent:
						return
					default:
					}
					if _, err := c.Write([]byte("ok\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A peer that answers is served as usual; one that falls silent gets a warning, then
// its connection closed and the read failed with a StallError, a timeout.
func TestSilentPeer(t *testing.T) {
	s := newServer(t)
	var logs syncBuffer
	d := &netwatch.Dialer{Timeout: 400 * time.Millisecond, Name: "REDOFLOW_QUERY_TIMEOUT", Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	c, err := d.DialContext(context.Background(), "tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 3)
	for range 3 {
		if _, err := c.Write([]byte("q\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ok\n" {
			t.Fatalf("answer %q, %v", buf, err)
		}
	}
	close(s.silent)
	if _, err := c.Write([]byte("q\n")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(buf)
	var se *netwatch.StallError
	var ne net.Error
	if !errors.As(err, &se) || !errors.As(err, &ne) || !ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read from a silent peer: %v, want a StallError (a net.Error timeout)", err)
	}
	if !strings.Contains(err.Error(), "REDOFLOW_QUERY_TIMEOUT") || d.Stalls() != 1 {
		t.Errorf("error %q, stalls %d", err, d.Stalls())
	}
	out := logs.String()
	if !strings.Contains(out, "database: no answer; the network may be dropping packets") ||
		!strings.Contains(out, "database: no answer; closing the connection") {
		t.Errorf("logs:\n%s", out)
	}
	if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after the stall: %v, want the connection closed", err)
	}
}

// A deadline its user sets still applies, and its expiry is the user's own error.
func TestUserDeadline(t *testing.T) {
	s := newServer(t)
	close(s.silent)
	d := &netwatch.Dialer{Timeout: time.Hour, Name: "X"}
	c, err := d.DialContext(context.Background(), "tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(make([]byte, 1))
	var se *netwatch.StallError
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &se) || d.Stalls() != 0 {
		t.Fatalf("read past the user's deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}
