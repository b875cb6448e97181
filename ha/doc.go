// Package ha owns leader election for redoflow's coordinators, behind one small interface so
// that the ZooKeeper recipe (ha/zookeeper), the single-coordinator mode (None, HA_MODE=NONE)
// and a later Raft mode are interchangeable.
//
// Leadership is a value: Campaign blocks until the candidate leads and returns a Leadership
// whose Done channel closes when leadership is lost. Every leadership has an epoch that is
// strictly larger than the epoch of every earlier leadership of the same cluster; workers
// refuse commands carrying an older epoch. Writes a leader must not make once it is deposed
// (checkpoint pointers) go through Leadership.FencedSet, which the store itself rejects with
// ErrFenced when the writer no longer leads, however late the writer learns about it.
//
// This package is driver-free: it imports no ZooKeeper client.
package ha
