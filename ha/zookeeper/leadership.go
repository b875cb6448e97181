package zookeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/redoflow/redoflow/ha"
)

// leadership is held while its latch znode is the lowest and its lease holds.
type leadership struct {
	e       *Elector
	conn    *zk.Conn
	node    string // full path of the latch znode
	session int64  // the session owning node
	info    ha.LeaderInfo
	done    chan struct{}
	err     error // guarded by e.mu; set once when done closes
}

var _ ha.Leadership = (*leadership)(nil)

func (l *leadership) Done() <-chan struct{} { return l.done }
func (l *leadership) Epoch() int64          { return l.info.Epoch }
func (l *leadership) Info() ha.LeaderInfo   { return l.info }

func (l *leadership) Err() error {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	return l.err
}

// FencedSet implements ha.Leadership: Multi(Check(latch znode), Set or Create(data/key)).
func (l *leadership) FencedSet(ctx context.Context, key string, value []byte) error {
	if err := l.Err(); err != nil {
		return err
	}
	return l.fencedSet(ctx, key, value)
}

// fencedSet is FencedSet without the local check: ZooKeeper alone decides.
func (l *leadership) fencedSet(ctx context.Context, key string, value []byte) error {
	path, err := l.e.keyPath(key)
	if err != nil {
		return err
	}
	check := &zk.CheckVersionRequest{Path: l.node, Version: 0}
	for range 3 {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := l.conn.Multi(check, &zk.SetDataRequest{Path: path, Data: value, Version: -1})
		if err == nil {
			return nil
		}
		if ferr := l.fenced(res); ferr != nil {
			return ferr
		}
		if len(res) < 2 || !errors.Is(res[1].Error, zk.ErrNoNode) {
			return fmt.Errorf("ha/zookeeper: set %s: %w", key, err)
		}
		// First write of this key: create it (its parents need no fencing, they hold nothing).
		if err := ensurePath(l.conn, path[:strings.LastIndex(path, "/")]); err != nil {
			return fmt.Errorf("ha/zookeeper: set %s: %w", key, err)
		}
		res, err = l.conn.Multi(check, &zk.CreateRequest{Path: path, Data: value, Acl: zk.WorldACL(zk.PermAll)})
		if err == nil {
			return nil
		}
		if ferr := l.fenced(res); ferr != nil {
			return ferr
		}
		if len(res) < 2 || !errors.Is(res[1].Error, zk.ErrNodeExists) {
			return fmt.Errorf("ha/zookeeper: set %s: %w", key, err)
		}
	}
	return fmt.Errorf("ha/zookeeper: set %s: created and deleted concurrently, giving up", key)
}

// fenced maps a failed Check of the latch znode to ha.ErrFenced and ends the leadership:
// ZooKeeper says it no longer holds.
func (l *leadership) fenced(res []zk.MultiResponse) error {
	if len(res) == 0 || res[0].Error == nil {
		return nil
	}
	err := fmt.Errorf("%w: latch znode %s: %v", ha.ErrFenced, l.node, res[0].Error)
	l.e.mu.Lock()
	l.e.endLocked(l, fmt.Errorf("%w: %w", ha.ErrNotLeader, err))
	l.e.mu.Unlock()
	return err
}

// Get implements ha.Leadership.
func (l *leadership) Get(ctx context.Context, key string) ([]byte, error) {
	path, err := l.e.keyPath(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, _, err := l.conn.Get(path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, fmt.Errorf("%w: %s", ha.ErrNoKey, key)
	}
	if err != nil {
		return nil, fmt.Errorf("ha/zookeeper: get %s: %w", key, err)
	}
	return data, nil
}

// Resign implements ha.Leadership: Done closes first, then the latch znode and leader-info
// are deleted in one Multi so that the next candidate leads at once.
func (l *leadership) Resign(ctx context.Context) error {
	l.e.mu.Lock()
	l.e.endLocked(l, ErrResigned)
	l.e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	err := l.remove(l.conn)
	if err == nil || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrSessionExpired) {
		return nil
	}
	// The session may still be alive: delete when the connection is back.
	if !l.e.goFunc(func() { l.e.cleanup(l) }) {
		return nil // the elector stopped: closing the session deleted the znodes
	}
	return fmt.Errorf("ha/zookeeper: resign: %w (the latch znode will be deleted when the connection returns, or goes with the session)", err)
}

// remove deletes the latch znode, and leader-info if it is this leadership's.
func (l *leadership) remove(conn *zk.Conn) error {
	ops := []any{}
	data, st, err := conn.Get(l.e.paths.info)
	switch {
	case err == nil:
		var p published
		if json.Unmarshal(data, &p) == nil && l.node[strings.LastIndex(l.node, "/")+1:] == p.Latch {
			ops = append(ops, &zk.DeleteRequest{Path: l.e.paths.info, Version: st.Version})
		}
	case !errors.Is(err, zk.ErrNoNode):
		return err
	}
	ops = append(ops, &zk.DeleteRequest{Path: l.node, Version: -1})
	_, err = conn.Multi(ops...)
	return err
}

// keyPath maps a FencedSet key to its znode.
func (e *Elector) keyPath(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return "", fmt.Errorf("ha/zookeeper: key %q must be a relative path like checkpoints/latest", key)
	}
	for _, p := range strings.Split(key, "/") {
		if p == "." || p == ".." {
			return "", fmt.Errorf("ha/zookeeper: key %q must not have . or .. as an element", key)
		}
	}
	return e.paths.data + "/" + key, nil
}
