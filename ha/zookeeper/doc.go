// Package zookeeper elects redoflow's leader coordinator through ZooKeeper. It is the only
// package of redoflow that imports a ZooKeeper client (github.com/go-zookeeper/zk v1.0.4).
//
// # Layout under <HA_ZOOKEEPER_PATH_ROOT>/<HA_CLUSTER_ID>
//
//	leader/_c_<guid>-latch-NNNNNNNNNN  ephemeral sequential, one per candidate; lowest leads
//	leader-info                        ephemeral, written by the leader: {id, address, epoch}
//	epoch                              the last epoch handed out (decimal), bumped by each leader
//	data/<key>                         values written by Leadership.FencedSet
//
// # Recipe
//
// A candidate creates its latch znode (protected: the guid finds it again when the create's
// answer is lost with the connection) and leads when its sequence number is the lowest; else
// it watches only its predecessor (no herd effect when a leader goes). The new leader, in one
// Multi guarded by Check(own latch znode), increments the epoch znode with a compare-and-set
// and creates leader-info: epochs grow by one per leadership even if the leader/ directory is
// removed and its sequence counter restarts. Every later leader write is
// Multi(Check(own latch znode), Set/Create(...)): once the latch znode is gone (resigned,
// session expired) ZooKeeper itself refuses the write, however late the old leader learns.
//
// # When leadership ends
//
// Done closes on session expiry, when the connection's session id changes, on Resign, when
// the Elector stops, and when nothing has been read from ZooKeeper for 2/3 of the negotiated
// session timeout. The last rule is a lease: the server expires the session (and lets a
// standby lead) no earlier than one session timeout after it last heard from the client,
// which is before the client last read the server's answer, so the old leader stops at least
// 1/3 of the session timeout before anyone else can start. The client pings every 1/3 of the
// timeout, so a healthy connection reads often enough never to trip the rule. The time of the
// last read is taken from the socket itself (a wrapped net.Conn), not from the library's
// connection state, which reports a dead server only after 2/3 of the timeout on its own.
//
// The default session timeout is 6 s: after a kill -9 of the leader its session expires 6 s
// (plus at most a server tick) after its last packet, the standby's watch fires at once and it
// leads, leaving about 3 s of the 10 s failover goal for restarting the job. A partitioned
// leader stops after 4 s, 2 s before anyone else can lead. Lower values trade false failovers
// on GC pauses or a loaded ZooKeeper for speed; note that a ZooKeeper server only grants
// timeouts between its minSessionTimeout and maxSessionTimeout (by default 2 and 20 ticks,
// 4 s to 40 s with Debian's tickTime=2000). The granted timeout, not the requested one, is what
// the lease rule uses; a shorter one than requested is logged as a warning.
//
// On Resign the leader deletes its latch znode and leader-info in one Multi, so the standby
// leads within a round trip (the SIGTERM path). Closing the Elector closes the session,
// which deletes both as well.
package zookeeper
