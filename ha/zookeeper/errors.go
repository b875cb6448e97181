package zookeeper

import (
	"errors"
	"fmt"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/ha"
)

var (
	// ErrInvalidConfig is config.ErrInvalid, which every error of Config.Validate wraps.
	// Fatal: fix the configuration.
	ErrInvalidConfig = config.ErrInvalid

	// ErrSessionExpired ends a leadership whose ZooKeeper session expired.
	ErrSessionExpired = fmt.Errorf("%w: ZooKeeper session expired", ha.ErrNotLeader)

	// ErrSessionChanged ends a leadership when the connection runs on another session than
	// the one that owns the latch znode.
	ErrSessionChanged = fmt.Errorf("%w: ZooKeeper session changed", ha.ErrNotLeader)

	// ErrConnectionLost ends a leadership when nothing was read from ZooKeeper for 2/3 of
	// the session timeout.
	ErrConnectionLost = fmt.Errorf("%w: no answer from ZooKeeper for 2/3 of the session timeout", ha.ErrNotLeader)

	// ErrResigned ends a leadership given up by Resign.
	ErrResigned = fmt.Errorf("%w: resigned", ha.ErrNotLeader)

	// errStopped ends the leaderships of a stopped Elector.
	errStopped = fmt.Errorf("%w: %w", ha.ErrNotLeader, ha.ErrClosed)

	// errRecampaign tells Campaign that its latch znode is gone or unusable and it must
	// start over on the current session.
	errRecampaign = errors.New("latch znode lost, campaign again")
)
