package zookeeper

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/config"
)

// Config configures an Elector. The field comments name the environment variables of the
// deployment that set them.
type Config struct {
	// Quorum lists the ZooKeeper servers as host:port (HA_ZOOKEEPER_QUORUM, comma-separated;
	// see ParseQuorum).
	Quorum []string
	// PathRoot is the root znode of all redoflow clusters (HA_ZOOKEEPER_PATH_ROOT).
	PathRoot string
	// ClusterID separates clusters sharing one ZooKeeper (HA_CLUSTER_ID).
	ClusterID string
	// SessionTimeout is the ZooKeeper session timeout requested (HA_ZOOKEEPER_SESSION_TIMEOUT).
	// A leader that cannot reach ZooKeeper steps down after 2/3 of it; a crashed leader is
	// replaced after it. See the package documentation for the choice of the default.
	SessionTimeout time.Duration
	// Logger receives the elector's log and the ZooKeeper client's (at debug level).
	// nil discards both.
	Logger *slog.Logger
	// MinEpoch, when set, returns an epoch that every new leadership must exceed, from
	// outside ZooKeeper (a coordinator: the highest epoch in its checkpoint storage), so
	// that epochs keep growing when ZooKeeper loses its data and the epoch znode with it:
	// workers refuse commands of an epoch older than one they have seen.
	MinEpoch func() int64
}

// DefaultConfig returns the defaults: path root /redoflow, cluster "default", a 6 s session
// timeout, the default slog logger. Quorum has no default.
func DefaultConfig() Config {
	return Config{
		PathRoot:       "/redoflow",
		ClusterID:      "default",
		SessionTimeout: 6 * time.Second,
		Logger:         slog.Default(),
	}
}

// ParseQuorum splits HA_ZOOKEEPER_QUORUM ("zk1:2181,zk2:2181") into Config.Quorum.
func ParseQuorum(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate reports the first invalid field, naming its environment variable, as an error
// matching ErrInvalidConfig (config.ErrInvalid).
func (c Config) Validate() error {
	invalid := func(f string, a ...any) error { return config.Invalid("ZooKeeper HA", f, a...) }
	if len(c.Quorum) == 0 {
		return invalid("HA_ZOOKEEPER_QUORUM is empty: list the ZooKeeper servers as host:port[,host:port...]")
	}
	for _, s := range c.Quorum {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return invalid("HA_ZOOKEEPER_QUORUM entry %q is not host:port (e.g. zk1:2181)", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid("HA_ZOOKEEPER_QUORUM entry %q has no valid port (1-65535)", s)
		}
	}
	if !strings.HasPrefix(c.PathRoot, "/") || (len(c.PathRoot) > 1 && strings.HasSuffix(c.PathRoot, "/")) || strings.Contains(c.PathRoot, "//") {
		return invalid("HA_ZOOKEEPER_PATH_ROOT %q is not an absolute znode path: use e.g. /redoflow (a leading /, no trailing /)", c.PathRoot)
	}
	if c.PathRoot == "/zookeeper" || strings.HasPrefix(c.PathRoot, "/zookeeper/") || strings.Contains(c.PathRoot+"/", "/./") || strings.Contains(c.PathRoot+"/", "/../") {
		return invalid("HA_ZOOKEEPER_PATH_ROOT %q uses a name ZooKeeper reserves: use e.g. /redoflow", c.PathRoot)
	}
	if c.ClusterID == "" || strings.ContainsAny(c.ClusterID, "/\x00") || c.ClusterID == "." || c.ClusterID == ".." {
		return invalid("HA_CLUSTER_ID %q is not a valid znode name: use letters, digits, - or _ (e.g. prod-cdc)", c.ClusterID)
	}
	if c.SessionTimeout < time.Second || c.SessionTimeout > 5*time.Minute {
		return invalid("HA_ZOOKEEPER_SESSION_TIMEOUT %v is out of range: use 1s to 5m (default 6s; the ZooKeeper servers must allow it)", c.SessionTimeout)
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Logger
}

func (c Config) base() string {
	if c.PathRoot == "/" {
		return "/" + c.ClusterID
	}
	return c.PathRoot + "/" + c.ClusterID
}
