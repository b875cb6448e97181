package zookeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/redoflow/redoflow/ha"
)

// Elector campaigns and observes through one ZooKeeper session. Run owns the session;
// Campaign and Observe may be called before Run (they wait for the session) and fail with
// ha.ErrClosed after it returned.
type Elector struct {
	cfg   Config
	log   *slog.Logger
	sock  socket
	paths paths

	negotiatedMs atomic.Int64 // session timeout granted by the server

	// mu guards the fields below. It is never held across a ZooKeeper call.
	mu       sync.Mutex
	conn     *zk.Conn // set by Run; replaced by a fresh client when the session cannot come back
	gen      int      // generation of conn: events of older clients are ignored
	state    zk.State
	lastSess time.Time     // when the client last had a session (or was created)
	refusals int           // handshakes the servers closed unanswered since then
	changed  chan struct{} // closed and replaced on every state change: wakes waiters
	running  bool
	closed   bool
	leaders  map[*leadership]struct{}
	regs     map[*registration]struct{} // live worker registrations, see registry.go
	routines sync.WaitGroup             // Observe and cleanup goroutines, see goFunc
}

type paths struct {
	base, latchDir, info, epoch, data, workers string
}

var _ ha.Elector = (*Elector)(nil)

// New validates cfg and returns an Elector; call Run to connect.
func New(cfg Config) (*Elector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base := cfg.base()
	e := &Elector{
		cfg:     cfg,
		log:     cfg.logger().With("component", "ha/zookeeper", "cluster", cfg.ClusterID),
		changed: make(chan struct{}),
		leaders: map[*leadership]struct{}{},
		regs:    map[*registration]struct{}{},
		paths: paths{
			base:     base,
			latchDir: base + "/leader",
			info:     base + "/leader-info",
			epoch:    base + "/epoch",
			data:     base + "/data",
			workers:  base + "/workers",
		},
	}
	e.negotiatedMs.Store(cfg.SessionTimeout.Milliseconds())
	return e, nil
}

// Run connects to ZooKeeper and keeps the session until ctx is done, then ends every
// leadership, closes the session (which deletes its ephemeral znodes at once) and returns
// ctx.Err() once every goroutine of the ZooKeeper client and of the Elector has ended.
func (e *Elector) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running || e.closed {
		e.mu.Unlock()
		return errors.New("ha/zookeeper: Run called twice")
	}
	e.running = true
	e.mu.Unlock()

	if err := e.connect(); err != nil {
		e.mu.Lock()
		e.closed = true
		e.notifyLocked()
		e.mu.Unlock()
		return err
	}

	e.watchLeases(ctx)

	// Shutdown order: (1) end the leaderships and wake every waiter, so no one acts as
	// leader past this point; (2) close the session, which makes every pending and later
	// ZooKeeper call fail at once; (3) wait for the Elector's goroutines, which end on (1)
	// and (2); (4) drain the client's event channel, which it closes when its own
	// goroutines have ended.
	e.mu.Lock()
	e.closed = true
	for l := range e.leaders {
		e.endLocked(l, errStopped)
	}
	for r := range e.regs {
		e.endRegLocked(r, ha.ErrClosed)
	}
	conn := e.conn
	e.notifyLocked()
	e.mu.Unlock()
	conn.Close()
	e.routines.Wait()
	return ctx.Err()
}

// connect creates a ZooKeeper client and makes it the elector's; an earlier client is
// closed. A fresh client has no session and has seen no transaction: it is what gets a
// session from an ensemble that lost its data, which refuses every client that has seen
// a transaction it does not have.
func (e *Elector) connect() error {
	// The new client's events may arrive before Connect returns: the state is reset
	// here, under the new generation, never after.
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.state, e.lastSess, e.refusals = zk.StateDisconnected, time.Now(), 0
	e.mu.Unlock()
	conn, events, err := zk.Connect(e.cfg.Quorum, e.cfg.SessionTimeout,
		zk.WithDialer(e.sock.dial),
		zk.WithLogger(zkLogger{log: e.log, negotiated: e.setNegotiated, refused: func() { e.refused(gen) }}),
		zk.WithEventCallback(func(ev zk.Event) { e.onEvent(gen, ev) }),
	)
	if err != nil {
		return fmt.Errorf("ha/zookeeper: connect to %s: %w", strings.Join(e.cfg.Quorum, ","), err)
	}
	e.mu.Lock()
	old := e.conn
	e.conn = conn
	for l := range e.leaders {
		e.endLocked(l, ErrSessionChanged)
	}
	for r := range e.regs {
		e.endRegLocked(r, ErrSessionChanged)
	}
	e.notifyLocked()
	e.routines.Add(1) // the client closes events once its goroutines have ended
	go func() {
		defer e.routines.Done()
		for range events {
		}
	}()
	e.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// current reports whether conn is still the elector's client: a loop that holds a client
// replaced by connect must start over with the new one.
func (e *Elector) current(conn *zk.Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conn == conn
}

// refused counts a handshake of client gen that a server closed unanswered.
func (e *Elector) refused(gen int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if gen == e.gen {
		e.refusals++
	}
}

// stuckLocked reports whether the client is refused for good: no session for longer than
// one could outlive (twice the session timeout), so whatever session it had is gone on the
// servers, and servers keep closing its handshakes unanswered (at least 3 times), as an
// ensemble that lost its data does with every client that has seen its old transactions.
// A server that is merely down or unreachable is not a reason: retrying reaches it.
func (e *Elector) stuckLocked(now time.Time) bool {
	if e.state == zk.StateHasSession {
		e.lastSess, e.refusals = now, 0
		return false
	}
	return now.Sub(e.lastSess) > 2*e.cfg.SessionTimeout && e.refusals >= 3
}

// watchLeases applies the lease rule until ctx is done: a leadership ends when the session
// changed or nothing was read from ZooKeeper for 2/3 of the session timeout.
//
// It also replaces a client that has had no session for two session timeouts with a fresh
// one (see connect).
func (e *Elector) watchLeases(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		e.mu.Lock()
		ch := e.changed
		now := time.Now()
		next := e.checkLeasesLocked(now)
		stuck := e.stuckLocked(now)
		e.mu.Unlock()
		if stuck {
			e.log.Warn("no ZooKeeper session for twice the session timeout and the servers refuse this client: starting a new client (a ZooKeeper that lost its data refuses the old one)",
				"timeout", e.cfg.SessionTimeout)
			if err := e.connect(); err != nil {
				e.log.Warn("ZooKeeper client", "err", err)
			}
			continue
		}
		if next <= 0 || next > e.cfg.SessionTimeout {
			next = e.cfg.SessionTimeout // also the pace of the check above
		}
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-ch:
		case <-timer.C:
		}
	}
}

// lease is how long a leader may go without reading from ZooKeeper.
func (e *Elector) lease() time.Duration {
	return time.Duration(e.negotiatedMs.Load()) * time.Millisecond * 2 / 3
}

// checkLeasesLocked ends the leaderships that lost their lease and returns when to check
// again (0: no leadership to watch).
func (e *Elector) checkLeasesLocked(now time.Time) time.Duration {
	if (len(e.leaders) == 0 && len(e.regs) == 0) || e.conn == nil {
		return 0
	}
	sid := e.conn.SessionID()
	lease := e.lease()
	deadline := e.sock.last().Add(lease)
	for l := range e.leaders {
		switch {
		case sid != l.session:
			e.endLocked(l, ErrSessionChanged)
		case !now.Before(deadline):
			e.endLocked(l, ErrConnectionLost)
		}
	}
	for r := range e.regs {
		switch {
		case sid != r.session:
			e.endRegLocked(r, ErrSessionChanged)
		case !now.Before(deadline):
			e.endRegLocked(r, ErrConnectionLost)
		}
	}
	return deadline.Sub(now)
}

func (e *Elector) setNegotiated(d time.Duration) {
	if d < e.cfg.SessionTimeout {
		e.log.Warn("ZooKeeper granted a shorter session timeout than requested; the lease follows it",
			"requested", e.cfg.SessionTimeout, "granted", d)
	}
	e.negotiatedMs.Store(d.Milliseconds())
	e.mu.Lock()
	e.notifyLocked()
	e.mu.Unlock()
}

// onEvent is called by the ZooKeeper client for every event, on its own goroutine; it must
// not block.
func (e *Elector) onEvent(gen int, ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if gen != e.gen || ev.State == e.state {
		return
	}
	e.state = ev.State
	switch ev.State {
	case zk.StateExpired:
		e.log.Warn("ZooKeeper session expired")
		for l := range e.leaders {
			e.endLocked(l, ErrSessionExpired)
		}
		for r := range e.regs {
			e.endRegLocked(r, ErrSessionExpired)
		}
	case zk.StateHasSession:
		e.lastSess, e.refusals = time.Now(), 0
		e.log.Info("ZooKeeper session established", "server", ev.Server)
	case zk.StateDisconnected:
		e.log.Info("ZooKeeper connection lost", "server", ev.Server)
	}
	e.notifyLocked()
}

func (e *Elector) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// goFunc runs f on a goroutine that Run waits for before it returns.
func (e *Elector) goFunc(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.routines.Add(1)
	go func() {
		defer e.routines.Done()
		f()
	}()
	return true
}

// waitSession waits until the client has a session and returns the connection, its
// session id, and the channel that closes on the next state change.
func (e *Elector) waitSession(ctx context.Context) (*zk.Conn, int64, error) {
	for {
		e.mu.Lock()
		closed, conn, state, ch := e.closed, e.conn, e.state, e.changed
		e.mu.Unlock()
		if closed {
			return nil, 0, ha.ErrClosed
		}
		if conn != nil && state == zk.StateHasSession {
			if sid := conn.SessionID(); sid != 0 {
				return conn, sid, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// waitChange waits for the next state change, ctx, or d.
func (e *Elector) waitChange(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	ch, closed := e.changed, e.closed
	e.mu.Unlock()
	if closed {
		return ha.ErrClosed
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// waitWatch waits until the ZooKeeper watch fires, the next state change, or ctx.
func (e *Elector) waitWatch(ctx context.Context, fired <-chan zk.Event) error {
	e.mu.Lock()
	ch, closed := e.changed, e.closed
	e.mu.Unlock()
	if closed {
		return ha.ErrClosed
	}
	select {
	case <-fired:
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// published is the content of the leader-info znode.
type published struct {
	ha.LeaderInfo
	Latch string `json:"latch"` // the leader's latch znode name
}

// Campaign implements ha.Elector.
func (e *Elector) Campaign(ctx context.Context, cand ha.Candidate) (ha.Leadership, error) {
	payload, err := json.Marshal(cand)
	if err != nil {
		return nil, err
	}
	for {
		conn, _, err := e.waitSession(ctx)
		if err != nil {
			return nil, err
		}
		node, err := e.createLatch(conn, payload)
		if err != nil {
			if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		}
		owner, err := e.latchOwner(ctx, conn, node)
		if err == nil {
			var l *leadership
			if l, err = e.waitLead(ctx, conn, node, owner, cand); err == nil {
				return l, nil
			}
		}
		if errors.Is(err, errRecampaign) {
			e.log.Info("campaign restarts", "latch", node, "reason", err)
			continue
		}
		// Withdraw: ctx is done or the elector stopped. The delete fails harmlessly when
		// the session is already closed.
		if derr := conn.Delete(node, -1); derr != nil && !errors.Is(derr, zk.ErrNoNode) && !errors.Is(derr, zk.ErrConnectionClosed) {
			e.log.Warn("withdrawing candidate: latch znode not deleted, it goes with the session", "latch", node, "err", derr)
		}
		return nil, err
	}
}

// latchOwner returns the session that owns node, errRecampaign if it is gone.
func (e *Elector) latchOwner(ctx context.Context, conn *zk.Conn, node string) (int64, error) {
	for {
		if !e.current(conn) {
			return 0, fmt.Errorf("%w: the ZooKeeper client was replaced", errRecampaign)
		}
		ok, st, err := conn.Exists(node)
		if err == nil {
			if !ok {
				return 0, fmt.Errorf("%w: %s is gone", errRecampaign, node)
			}
			return st.EphemeralOwner, nil
		}
		if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

func (e *Elector) createLatch(conn *zk.Conn, payload []byte) (string, error) {
	for range 2 {
		node, err := conn.CreateProtectedEphemeralSequential(e.paths.latchDir+"/latch-", payload, zk.WorldACL(zk.PermAll))
		if errors.Is(err, zk.ErrNoNode) {
			if err := ensurePath(conn, e.paths.latchDir); err != nil {
				return "", err
			}
			continue
		}
		return node, err
	}
	return "", fmt.Errorf("create %s: parent keeps disappearing", e.paths.latchDir)
}

// ensurePath creates path and its parents as persistent znodes.
func ensurePath(conn *zk.Conn, path string) error {
	cur := ""
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		cur += "/" + part
		if _, err := conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}

// seq returns the sequence number ZooKeeper appended to a latch znode name.
func seq(name string) (int64, bool) {
	if len(name) < 10 || !strings.Contains(name, "latch-") {
		return 0, false
	}
	n, err := strconv.ParseInt(name[len(name)-10:], 10, 64)
	return n, err == nil
}

// waitLead waits until node is the lowest latch znode, watching only its predecessor.
func (e *Elector) waitLead(ctx context.Context, conn *zk.Conn, node string, session int64, cand ha.Candidate) (*leadership, error) {
	name := node[strings.LastIndex(node, "/")+1:]
	mySeq, _ := seq(name)
	for {
		if conn.SessionID() != session || !e.current(conn) {
			return nil, fmt.Errorf("%w: session changed", errRecampaign)
		}
		children, _, err := conn.Children(e.paths.latchDir)
		if err != nil {
			if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		}
		var pred string
		var predSeq int64 = -1
		found := false
		for _, c := range children {
			s, ok := seq(c)
			if !ok {
				continue
			}
			if c == name {
				found = true
			} else if s < mySeq && s > predSeq {
				pred, predSeq = c, s
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %s is gone", errRecampaign, name)
		}
		if pred == "" {
			l, err := e.lead(conn, node, session, cand)
			if err != nil && !errors.Is(err, errRecampaign) {
				// A connection problem while taking office: retry on the same latch.
				if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
					return nil, err
				}
				continue
			}
			return l, err
		}
		exists, _, watch, err := conn.ExistsW(e.paths.latchDir + "/" + pred)
		if err != nil {
			if err := e.waitChange(ctx, 200*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		}
		if !exists {
			continue
		}
		e.log.Debug("standing by", "latch", name, "watching", pred)
		// Wake when the predecessor goes, or on a state change to check the session again.
		if err := e.waitWatch(ctx, watch); err != nil {
			return nil, err
		}
	}
}

// lead takes office for the lowest latch znode: bump the epoch and publish leader-info in
// one Multi guarded by the latch znode.
func (e *Elector) lead(conn *zk.Conn, node string, session int64, cand ha.Candidate) (*leadership, error) {
	for {
		var epochOp any
		var epoch int64
		data, st, err := conn.Get(e.paths.epoch)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			epoch = 1
			epochOp = &zk.CreateRequest{Path: e.paths.epoch, Data: []byte("1"), Acl: zk.WorldACL(zk.PermAll)}
		case err != nil:
			return nil, err
		default:
			prev, perr := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			if perr != nil {
				return nil, fmt.Errorf("%w: epoch znode %s holds %q, not a number", errRecampaign, e.paths.epoch, data)
			}
			epoch = prev + 1
			epochOp = &zk.SetDataRequest{Path: e.paths.epoch, Data: []byte(strconv.FormatInt(epoch, 10)), Version: st.Version}
		}
		if e.cfg.MinEpoch != nil {
			if floor := e.cfg.MinEpoch(); epoch <= floor {
				e.log.Warn("the epoch in ZooKeeper is behind the checkpoint storage (ZooKeeper lost its data?): continuing above it",
					"zookeeper", epoch-1, "storage", floor)
				epoch = floor + 1
				switch op := epochOp.(type) {
				case *zk.CreateRequest:
					op.Data = []byte(strconv.FormatInt(epoch, 10))
				case *zk.SetDataRequest:
					op.Data = []byte(strconv.FormatInt(epoch, 10))
				}
			}
		}
		name := node[strings.LastIndex(node, "/")+1:]
		info := published{LeaderInfo: ha.LeaderInfo{Candidate: cand, Epoch: epoch}, Latch: name}
		infoJSON, _ := json.Marshal(info)
		ops := []any{&zk.CheckVersionRequest{Path: node, Version: 0}, epochOp}
		// A leader-info left by a leader whose session is still open but whose latch is
		// gone (it cannot be current: we are the lowest latch) is replaced.
		if _, ist, err := conn.Get(e.paths.info); err == nil {
			ops = append(ops, &zk.DeleteRequest{Path: e.paths.info, Version: ist.Version})
		} else if !errors.Is(err, zk.ErrNoNode) {
			return nil, err
		}
		ops = append(ops, &zk.CreateRequest{Path: e.paths.info, Data: infoJSON, Acl: zk.WorldACL(zk.PermAll), Flags: zk.FlagEphemeral})

		res, err := conn.Multi(ops...)
		if err != nil {
			if len(res) > 0 && res[0].Error != nil {
				return nil, fmt.Errorf("%w: %s: %v", errRecampaign, name, res[0].Error)
			}
			if len(res) > 0 {
				continue // the epoch or leader-info changed under us: read again
			}
			return nil, err
		}
		l := &leadership{e: e, conn: conn, node: node, session: session, info: info.LeaderInfo, done: make(chan struct{})}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, ha.ErrClosed
		}
		e.leaders[l] = struct{}{}
		e.checkLeasesLocked(time.Now())
		e.notifyLocked()
		e.mu.Unlock()
		e.log.Info("leading", "epoch", epoch, "id", cand.ID, "address", cand.Address, "latch", name)
		return l, nil
	}
}

// endLocked ends l with err (once). A leadership lost while its session may still be alive
// leaves its latch znode behind, which would block every other candidate until the session
// ends: a cleanup goroutine deletes it when the connection is back on that session.
func (e *Elector) endLocked(l *leadership, err error) {
	if l.err != nil {
		return
	}
	l.err = err
	close(l.done)
	delete(e.leaders, l)
	e.log.Warn("leadership ended", "epoch", l.info.Epoch, "reason", err)
	if errors.Is(err, ErrConnectionLost) && !e.closed {
		e.routines.Add(1)
		go func() {
			defer e.routines.Done()
			e.cleanup(l)
		}()
	}
}

// cleanup deletes the latch znode and leader-info of an ended leadership once the
// connection is back on its session; nothing is left to do when the session changed.
func (e *Elector) cleanup(l *leadership) {
	for {
		conn, sid, err := e.waitSession(context.Background())
		if err != nil || sid != l.session {
			return
		}
		if err := l.remove(conn); err == nil || errors.Is(err, zk.ErrNoNode) {
			e.log.Info("deleted the latch znode of an ended leadership", "epoch", l.info.Epoch)
			return
		}
		if e.waitChange(context.Background(), time.Second) != nil {
			return
		}
	}
}

// Observe implements ha.Elector.
func (e *Elector) Observe(ctx context.Context) <-chan ha.LeaderInfo {
	return follow(ctx, e, e.readInfo, func(a, b ha.LeaderInfo) bool { return a == b })
}

// follow sends what read returns on a channel that holds the latest value only, until
// ctx ends or the elector stops (then it closes the channel). read runs once a session
// is there, again when the ZooKeeper watch it set fires or the session state changes,
// and 200 ms after it failed; a value equal to the last one sent is not sent again.
func follow[T any](ctx context.Context, e *Elector, read func(*zk.Conn) (T, <-chan zk.Event, error), equal func(a, b T) bool) <-chan T {
	out := make(chan T, 1)
	loop := func() {
		defer close(out)
		var last T
		first := true
		for {
			conn, _, err := e.waitSession(ctx)
			if err != nil {
				return
			}
			v, fired, err := read(conn)
			if err != nil {
				if e.waitChange(ctx, 200*time.Millisecond) != nil {
					return
				}
				continue
			}
			if first || !equal(v, last) {
				first, last = false, v
				select {
				case <-out: // latest wins
				default:
				}
				out <- v
			}
			if e.waitWatch(ctx, fired) != nil {
				return
			}
		}
	}
	if !e.goFunc(loop) {
		close(out)
	}
	return out
}

// readInfo reads leader-info and sets a watch on it.
func (e *Elector) readInfo(conn *zk.Conn) (ha.LeaderInfo, <-chan zk.Event, error) {
	for {
		data, _, watch, err := conn.GetW(e.paths.info)
		if errors.Is(err, zk.ErrNoNode) {
			exists, _, watch, err := conn.ExistsW(e.paths.info)
			if err != nil {
				return ha.LeaderInfo{}, nil, err
			}
			if exists {
				continue
			}
			return ha.LeaderInfo{}, watch, nil
		}
		if err != nil {
			return ha.LeaderInfo{}, nil, err
		}
		var p published
		if err := json.Unmarshal(data, &p); err != nil {
			e.log.Warn("leader-info znode is not valid JSON", "err", err)
			return ha.LeaderInfo{}, watch, nil
		}
		return p.LeaderInfo, watch, nil
	}
}

// Leader returns the current leader once, as Observe would first report it.
func (e *Elector) Leader(ctx context.Context) (ha.LeaderInfo, error) {
	conn, _, err := e.waitSession(ctx)
	if err != nil {
		return ha.LeaderInfo{}, err
	}
	info, _, err := e.readInfo(conn)
	return info, err
}
