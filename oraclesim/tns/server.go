package tns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Server is a TNS listener that serves database/sql driver connections to
// Oracle clients. Create it with New and run it with Run.
type Server struct {
	cfg     Config
	factory ConnFactory
	log     *slog.Logger

	ready chan struct{} // closed once the listener is bound

	mu       sync.Mutex // guards the fields below
	addr     net.Addr
	sessions map[*session]struct{}
	nextSID  int
}

// New checks cfg and returns a Server that opens one backend connection per
// client session with factory.
func New(cfg Config, factory ConnFactory) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if factory == nil {
		return nil, fmt.Errorf("%w: the connection factory is nil", ErrInvalidConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		cfg:      cfg,
		factory:  factory,
		log:      log.With("component", "tns"),
		ready:    make(chan struct{}),
		sessions: map[*session]struct{}{},
	}, nil
}

// Ready is closed once Run has bound the listen address.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound listen address, or nil before Ready is closed.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Sessions reports the number of client connections being served.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// DropSessions cuts every client connection at once, as a network failure
// or a database crash would, and returns how many were cut. Backend calls in
// progress are cancelled and open transactions rolled back.
func (s *Server) DropSessions() int {
	s.mu.Lock()
	list := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	for _, ss := range list {
		ss.kill()
	}
	return len(list)
}

// Run listens on Config.Addr and serves clients until ctx is cancelled. It
// returns ctx.Err() after every session has ended and the listener is closed,
// or the error that stopped the listener.
//
// Shutdown order: cancelling ctx closes the listener, which ends the accept
// loop; every session is then killed (its context cancelled, its socket
// closed), each session goroutine closes its backend connection, and Run
// returns once all of them have finished.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("tns: listen on %s: %w", s.cfg.Addr, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	close(s.ready)
	s.log.Info("listening", "addr", ln.Addr().String(), "service", s.cfg.Service)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		_ = ln.Close()
		s.DropSessions()
		return nil
	})
	g.Go(func() error {
		var backoff time.Duration
		for {
			conn, err := ln.Accept()
			if err != nil {
				if gctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return nil
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
					s.log.Warn("accept failed, retrying", "err", err, "backoff", backoff)
					select {
					case <-time.After(backoff):
						continue
					case <-gctx.Done():
						return nil
					}
				}
				return fmt.Errorf("tns: accept: %w", err)
			}
			backoff = 0
			g.Go(func() error {
				s.serveConn(gctx, conn)
				return nil
			})
		}
	})
	err = g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	s.mu.Lock()
	if s.cfg.MaxSessions > 0 && len(s.sessions) >= s.cfg.MaxSessions {
		s.mu.Unlock()
		s.log.Warn("refusing connection: session limit reached", "remote", conn.RemoteAddr().String())
		refuseNow(conn, 12516)
		return
	}
	s.nextSID++
	ss := newSession(s, conn, s.nextSID)
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()

	err := ss.serve(ctx)
	killed := ss.wasKilled()

	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
	switch {
	case killed:
		s.log.Info("session dropped", "sid", ss.sid, "user", ss.login.User)
	case err == nil, errors.Is(err, ErrClientClosed), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), ctx.Err() != nil:
		s.log.Debug("session ended", "sid", ss.sid, "user", ss.login.User)
	default:
		s.log.Warn("session failed", "sid", ss.sid, "user", ss.login.User, "err", err)
	}
}

// refuseNow answers a CONNECT with REFUSE before any session exists.
func refuseNow(conn net.Conn, code int) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	f := newFramer(conn)
	if p, err := f.readPacket(); err != nil || p.typ != pktConnect {
		return
	}
	_ = f.writeRaw(refusePacket(code))
}
