package zookeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/redoflow/redoflow/ha"
)

// Workers register as ephemeral znodes workers/<id> holding their ha.Worker as JSON. A
// registration follows the lease rule of leaderships: it ends (and the worker must stop its
// tasks) on session expiry, on a changed session, or after 2/3 of the session timeout
// without reading from ZooKeeper, which is before the server can drop the znode and let the
// leader move the tasks.

var _ ha.Registry = (*Elector)(nil)

type registration struct {
	e       *Elector
	node    string
	session int64
	done    chan struct{}
	err     error // guarded by e.mu
	// valid is when the lease runs out, in nanoseconds on monoBase's
	// monotonic clock: the send time of the latest request the server
	// answered as this session's, plus the lease (2/3 of the session
	// timeout). The server expires the session no earlier than a full
	// timeout after it received that request.
	valid atomic.Int64
}

// monoBase anchors the leases' monotonic clock.
var monoBase = time.Now()

func (r *registration) Done() <-chan struct{} { return r.done }

// ValidUntil implements ha.Registration.
func (r *registration) ValidUntil() time.Time {
	select {
	case <-r.done:
		return time.Time{}
	default:
		return monoBase.Add(time.Duration(r.valid.Load()))
	}
}

// renewed extends the lease from a request sent at sent that the server
// answered for this session.
func (r *registration) renewed(sent time.Time, lease time.Duration) {
	v := int64(sent.Sub(monoBase) + lease)
	for {
		old := r.valid.Load()
		if v <= old || r.valid.CompareAndSwap(old, v) {
			return
		}
	}
}

// renew keeps r's lease fresh: every quarter of the lease it asks the server
// for the registration's znode and, when the answer shows this session still
// owns it, extends the lease from the time the question was sent. A reply
// read late (after a pause) extends it from the old send time: no extension.
func (e *Elector) renew(ctx context.Context, conn *zk.Conn, r *registration) {
	for {
		lease := e.lease()
		if lease <= 0 {
			lease = e.cfg.SessionTimeout * 2 / 3
		}
		t := time.NewTimer(lease / 4)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.done:
			t.Stop()
			return
		case <-t.C:
		}
		sent := time.Now()
		ok, st, err := conn.Exists(r.node)
		if err == nil && ok && st.EphemeralOwner == r.session && conn.SessionID() == r.session {
			r.renewed(sent, lease)
		}
	}
}

func (r *registration) Err() error {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.err
}

func (e *Elector) endRegLocked(r *registration, cause error) {
	if r.err != nil {
		return
	}
	r.err = fmt.Errorf("%w: %w", ha.ErrRegistrationLost, cause)
	close(r.done)
	delete(e.regs, r)
	e.log.Info("worker registration ended", "znode", r.node, "reason", cause)
}

// Register implements ha.Registry. The znode is deleted when ctx ends (or goes with the
// session). A znode of the same ID left by another session (a restarted worker whose old
// session has not expired yet) is replaced.
func (e *Elector) Register(ctx context.Context, w ha.Worker) (ha.Registration, error) {
	if w.ID == "" || strings.ContainsAny(w.ID, "/\x00") || w.ID == "." || w.ID == ".." {
		return nil, fmt.Errorf("ha/zookeeper: worker id %q is not a valid znode name", w.ID)
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	node := e.paths.workers + "/" + w.ID
	for {
		conn, sid, err := e.waitSession(ctx)
		if err != nil {
			return nil, err
		}
		sent := time.Now()
		err = e.createWorker(conn, sid, node, payload)
		if err == nil {
			r := &registration{e: e, node: node, session: sid, done: make(chan struct{})}
			r.renewed(sent, e.lease())
			e.mu.Lock()
			if e.closed {
				e.mu.Unlock()
				return nil, ha.ErrClosed
			}
			e.regs[r] = struct{}{}
			e.checkLeasesLocked(time.Now())
			e.notifyLocked()
			e.mu.Unlock()
			if !e.goFunc(func() { e.deregister(ctx, conn, r) }) || !e.goFunc(func() { e.renew(ctx, conn, r) }) {
				return nil, ha.ErrClosed
			}
			e.log.Info("worker registered", "znode", node)
			return r, nil
		}
		e.log.Warn("registering worker", "znode", node, "err", err)
		if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

func (e *Elector) createWorker(conn *zk.Conn, sid int64, node string, payload []byte) error {
	for range 3 {
		ok, st, err := conn.Exists(node)
		if err != nil {
			return err
		}
		if ok {
			if st.EphemeralOwner == sid {
				_, err := conn.Set(node, payload, -1)
				return err
			}
			if err := conn.Delete(node, st.Version); err != nil && !errors.Is(err, zk.ErrNoNode) {
				return err
			}
			e.log.Warn("replaced the registration of an earlier session", "znode", node)
		}
		_, err = conn.Create(node, payload, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
		switch {
		case err == nil:
			return nil
		case errors.Is(err, zk.ErrNoNode):
			if err := ensurePath(conn, e.paths.workers); err != nil {
				return err
			}
		case !errors.Is(err, zk.ErrNodeExists):
			return err
		}
	}
	return fmt.Errorf("create %s: raced with another registration", node)
}

// deregister waits for ctx or the end of r, then deletes the znode if the session still owns it.
func (e *Elector) deregister(ctx context.Context, conn *zk.Conn, r *registration) {
	e.mu.Lock()
	changed := e.changed
	e.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			e.mu.Lock()
			e.endRegLocked(r, context.Cause(ctx))
			e.mu.Unlock()
			if conn.SessionID() == r.session {
				if _, st, err := conn.Exists(r.node); err == nil && st != nil && st.EphemeralOwner == r.session {
					_ = conn.Delete(r.node, -1)
				}
			}
			return
		case <-r.done:
			return
		case <-changed:
			e.mu.Lock()
			changed = e.changed
			closed := e.closed
			e.mu.Unlock()
			if closed {
				return
			}
		}
	}
}

// Workers implements ha.Registry.
func (e *Elector) Workers(ctx context.Context) <-chan []ha.Worker {
	return follow(ctx, e, e.readWorkers, slices.Equal[[]ha.Worker])
}

func (e *Elector) readWorkers(conn *zk.Conn) ([]ha.Worker, <-chan zk.Event, error) {
	children, _, watch, err := conn.ChildrenW(e.paths.workers)
	if errors.Is(err, zk.ErrNoNode) {
		if err := ensurePath(conn, e.paths.workers); err != nil {
			return nil, nil, err
		}
		children, _, watch, err = conn.ChildrenW(e.paths.workers)
	}
	if err != nil {
		return nil, nil, err
	}
	ws := make([]ha.Worker, 0, len(children))
	for _, c := range children {
		data, _, err := conn.Get(e.paths.workers + "/" + c)
		if errors.Is(err, zk.ErrNoNode) {
			continue // gone since the listing; the watch fires again
		}
		if err != nil {
			return nil, nil, err
		}
		var w ha.Worker
		if err := json.Unmarshal(data, &w); err != nil {
			e.log.Warn("worker znode is not valid JSON", "znode", c, "err", err)
			continue
		}
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b ha.Worker) int { return strings.Compare(a.ID, b.ID) })
	return ws, watch, nil
}
