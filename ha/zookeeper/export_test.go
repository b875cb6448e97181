package zookeeper

import (
	"context"

	"github.com/redoflow/redoflow/ha"
)

// Partition cuts the elector's connection and refuses new ones (on) or lets them through
// again (off), as a network partition between this process and ZooKeeper would.
func (e *Elector) Partition(on bool) { e.sock.partition(on) }

// ConnectedServer returns the server the client uses (or last used).
func (e *Elector) ConnectedServer() string {
	e.mu.Lock()
	c := e.conn
	e.mu.Unlock()
	if c == nil {
		return ""
	}
	return c.Server()
}

// FencedSetUnchecked writes without the local check of the leadership, so that tests can
// show ZooKeeper itself refusing a stale leader.
func FencedSetUnchecked(ctx context.Context, l ha.Leadership, key string, value []byte) error {
	return l.(*leadership).fencedSet(ctx, key, value)
}
