package tns

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Login is what a client presented when it opened a session.
type Login struct {
	User string
	// Password is the verified password when Config.Password is set, and
	// empty otherwise: the listener cannot decrypt a password it does not know.
	Password string
	// Service is the SERVICE_NAME the client connected to; empty when it
	// connected by SID.
	Service string
	// SID is the SID the client connected to; empty when it connected by
	// service name.
	SID string
}

// ConnFactory opens one backend session per client session. The listener
// owns the returned connection and closes it when the client goes away.
type ConnFactory func(ctx context.Context, login Login) (driver.Conn, error)

// Config configures a Server.
type Config struct {
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:1521".
	// Port 0 picks a free port; Server.Addr reports it.
	Addr string
	// Service is the service name clients connect to (SERVICE_NAME).
	Service string
	// SID, when set, is also accepted as (SID=...) in the connect data.
	// A SID equal to Service is always accepted.
	SID string
	// Password, when set, is the only password accepted (ORA-01017
	// otherwise). Empty accepts any password.
	Password string
	// MaxSessions bounds concurrent client sessions; further connections
	// are refused with ORA-12516. Zero means no bound.
	MaxSessions int
	// MaxOpenCursors bounds open cursors per session (ORA-01000).
	MaxOpenCursors int
	// MaxBatchBytes bounds the row data sent in one fetch response; a
	// fetch that would exceed it returns fewer rows and the client fetches
	// again. It keeps memory bounded for clients asking for huge batches.
	MaxBatchBytes int
	// HandshakeTimeout bounds the time from TCP accept to a logged-on session.
	HandshakeTimeout time.Duration
	// Version is the banner returned to clients asking for the version.
	Version string
	// Logger receives connection-level events. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config that serves ORCLPDB1 on 127.0.0.1:1521
// and accepts any password.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:1521",
		Service:          "ORCLPDB1",
		MaxOpenCursors:   1000,
		MaxBatchBytes:    4 << 20,
		HandshakeTimeout: 30 * time.Second,
		Version:          "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production (oraclesim)",
	}
}

// Validate reports the first problem that would stop the listener.
func (c Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("%w: Addr is empty: give a listen address such as 127.0.0.1:1521", ErrInvalidConfig)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("%w: Addr %q is not host:port: %v", ErrInvalidConfig, c.Addr, err)
	}
	if c.Service == "" {
		return fmt.Errorf("%w: Service is empty: name the service clients connect to, e.g. ORCLPDB1", ErrInvalidConfig)
	}
	if strings.ContainsAny(c.Service+c.SID, "()= ") {
		return fmt.Errorf("%w: Service %q / SID %q must not contain spaces, '(', ')' or '='", ErrInvalidConfig, c.Service, c.SID)
	}
	if c.MaxSessions < 0 {
		return fmt.Errorf("%w: MaxSessions is %d: use 0 for no bound or a positive number", ErrInvalidConfig, c.MaxSessions)
	}
	if c.MaxOpenCursors <= 0 {
		return fmt.Errorf("%w: MaxOpenCursors is %d: it must be positive (Oracle's default OPEN_CURSORS is 300)", ErrInvalidConfig, c.MaxOpenCursors)
	}
	if c.MaxBatchBytes < 64<<10 {
		return fmt.Errorf("%w: MaxBatchBytes is %d: use at least 65536", ErrInvalidConfig, c.MaxBatchBytes)
	}
	if c.HandshakeTimeout <= 0 {
		return fmt.Errorf("%w: HandshakeTimeout is %v: it must be positive", ErrInvalidConfig, c.HandshakeTimeout)
	}
	return nil
}
