// Package netwatch gives connections that notice a silent peer. A network that drops
// packets without a reset (a firewall that forgot the connection, a cable pulled between
// two switches) leaves a client blocked in a read for as long as the kernel keeps the
// connection, minutes or hours, and go-ora's cancellation, a break marker sent on the
// same connection, is lost the same way. A connection from Dialer logs a warning when a
// read or write has waited half its timeout, and at the timeout closes the connection
// and fails the call with a *StallError, a net.Error whose Timeout is true: the database
// driver discards the connection and its user reconnects.
package netwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Dialer dials TCP connections that fail a read or write waiting longer than Timeout.
type Dialer struct {
	// Timeout is the longest a read or write may wait for the peer; it is also the
	// dial's timeout. It must be positive.
	Timeout time.Duration
	// Name is the setting that holds Timeout, for the logs (e.g. REDOFLOW_QUERY_TIMEOUT).
	Name string
	// Logger receives the warnings; nil discards them.
	Logger *slog.Logger

	stalls atomic.Int64
}

// DialContext implements go-ora's configurations.DialerContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.Timeout, KeepAlive: 15 * time.Second}
	c, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, d: d, addr: address}, nil
}

// Stalls is the number of connections closed because their peer fell silent.
func (d *Dialer) Stalls() int64 { return d.stalls.Load() }

func (d *Dialer) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// StallError is the error of a read or write that waited Timeout for the peer.
type StallError struct {
	Op     string // read or write
	Addr   string
	Waited time.Duration // the Dialer's Timeout
	Name   string
}

func (e *StallError) Error() string {
	return fmt.Sprintf("%s %s: no answer for %v (%s): the network may be dropping packets; connection closed", e.Op, e.Addr, e.Waited, e.Name)
}

// Timeout reports true: the error is a timeout (net.Error).
func (e *StallError) Timeout() bool { return true }

// Temporary reports true: another connection may work (net.Error).
func (e *StallError) Temporary() bool { return true }

// conn is a connection whose reads and writes give up on a silent peer. Its deadlines
// are its own: the deadlines its user sets (go-ora sets none by default) are kept and
// still apply when they come first.
type conn struct {
	net.Conn
	d    *Dialer
	addr string

	mu        sync.Mutex // guards the user's deadlines
	userRead  time.Time
	userWrite time.Time
}

func (c *conn) Read(p []byte) (int, error) {
	return c.wait("read", p, c.Conn.Read, c.Conn.SetReadDeadline, &c.userRead)
}

func (c *conn) Write(p []byte) (int, error) {
	// A write waits only when the send buffer is full, which a silent peer causes too.
	return c.wait("write", p, c.Conn.Write, c.Conn.SetWriteDeadline, &c.userWrite)
}

// wait runs io (Read or Write) with the deadline at half the timeout, then at the
// timeout, so that the first expiry warns and the second closes the connection. An
// expiry of the user's own deadline is returned as it is.
func (c *conn) wait(op string, p []byte, io func([]byte) (int, error), set func(time.Time) error, user *time.Time) (int, error) {
	start := time.Now()
	warned := false
	for {
		limit := start.Add(c.d.Timeout)
		if !warned {
			limit = start.Add(c.d.Timeout / 2)
		}
		c.mu.Lock()
		u := *user
		c.mu.Unlock()
		deadline := limit
		if !u.IsZero() && u.Before(limit) {
			deadline = u
		}
		if err := set(deadline); err != nil {
			return 0, err
		}
		n, err := io(p)
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if !u.IsZero() && !u.After(time.Now()) {
			return 0, err // the user's deadline
		}
		waited := time.Since(start).Round(time.Millisecond)
		if !warned {
			warned = true
			c.d.log().Warn("database: no answer; the network may be dropping packets", "addr", c.addr, "op", op,
				"waited", waited, "closing_at", c.d.Timeout, "setting", c.d.Name)
			continue
		}
		c.d.stalls.Add(1)
		c.d.log().Warn("database: no answer; closing the connection, the job reconnects", "addr", c.addr, "op", op,
			"waited", waited, "setting", c.d.Name, "timeout", c.d.Timeout)
		_ = c.Conn.Close()
		return 0, &StallError{Op: op, Addr: c.addr, Waited: c.d.Timeout, Name: c.d.Name}
	}
}

func (c *conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.userRead, c.userWrite = t, t
	c.mu.Unlock()
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.userRead = t
	c.mu.Unlock()
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.userWrite = t
	c.mu.Unlock()
	return nil
}
