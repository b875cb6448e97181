package zookeeper

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// socket wraps the ZooKeeper client's dialer: it records when bytes last arrived from the
// server (the lease rule's clock) and lets tests cut the connection.
type socket struct {
	lastRead atomic.Int64 // unix nanoseconds of the last read of > 0 bytes

	mu          sync.Mutex
	cur         net.Conn
	partitioned bool // tests only: refuse dials, as a network partition would
}

var errPartitioned = errors.New("connection refused: partitioned by a test")

func (s *socket) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	s.mu.Lock()
	partitioned := s.partitioned
	s.mu.Unlock()
	if partitioned {
		return nil, errPartitioned
	}
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	rc := &readConn{Conn: c, s: s}
	s.mu.Lock()
	s.cur = rc
	s.mu.Unlock()
	return rc, nil
}

func (s *socket) last() time.Time { return time.Unix(0, s.lastRead.Load()) }

// partition cuts the current connection and refuses new ones until called with false.
func (s *socket) partition(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partitioned = on
	if on && s.cur != nil {
		s.cur.Close()
	}
}

type readConn struct {
	net.Conn
	s *socket
}

func (c *readConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

// zkLogger routes the ZooKeeper client's log to slog at debug level. It also picks the
// negotiated session timeout out of the client's "authenticated" line, the only place
// go-zookeeper/zk v1.0.4 exposes it.
//
// It also reports each failed session handshake to refused when the server closed the
// connection without an answer (EOF): what a server does to a client that has seen
// transactions it does not have (an ensemble that lost its data). A handshake that
// fails otherwise (an expired session, which the client then replaces) is not reported.
type zkLogger struct {
	log        *slog.Logger
	negotiated func(time.Duration)
	refused    func()
}

const (
	authenticatedFormat = "authenticated: id=%d, timeout=%d"
	authFailedFormat    = "authentication failed: %s"
)

func (l zkLogger) Printf(format string, args ...any) {
	if format == authenticatedFormat && len(args) == 2 {
		if ms, ok := args[1].(int32); ok {
			l.negotiated(time.Duration(ms) * time.Millisecond)
		}
	}
	if format == authFailedFormat && len(args) == 1 && l.refused != nil {
		if err, ok := args[0].(error); ok && errors.Is(err, io.EOF) {
			l.refused()
		}
	}
	l.log.Debug("zk client: " + fmt.Sprintf(format, args...))
}
