package zookeeper_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha/zookeeper"
)

func TestConfigValidate(t *testing.T) {
	ok := zookeeper.DefaultConfig()
	ok.Quorum = zookeeper.ParseQuorum(" zk1:2181, zk2:2181,,zk3:2181 ")
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if len(ok.Quorum) != 3 || ok.Quorum[1] != "zk2:2181" {
		t.Fatalf("ParseQuorum = %q", ok.Quorum)
	}
	for _, tc := range []struct {
		name   string
		change func(*zookeeper.Config)
		want   string
	}{
		{"no quorum", func(c *zookeeper.Config) { c.Quorum = nil }, "HA_ZOOKEEPER_QUORUM is empty"},
		{"no port", func(c *zookeeper.Config) { c.Quorum = []string{"zk1"} }, "HA_ZOOKEEPER_QUORUM entry \"zk1\""},
		{"bad port", func(c *zookeeper.Config) { c.Quorum = []string{"zk1:99999"} }, "valid port"},
		{"relative root", func(c *zookeeper.Config) { c.PathRoot = "redoflow" }, "HA_ZOOKEEPER_PATH_ROOT"},
		{"trailing slash", func(c *zookeeper.Config) { c.PathRoot = "/redoflow/" }, "HA_ZOOKEEPER_PATH_ROOT"},
		{"reserved root", func(c *zookeeper.Config) { c.PathRoot = "/zookeeper" }, "reserves"},
		{"empty cluster", func(c *zookeeper.Config) { c.ClusterID = "" }, "HA_CLUSTER_ID"},
		{"slash in cluster", func(c *zookeeper.Config) { c.ClusterID = "a/b" }, "HA_CLUSTER_ID"},
		{"short session", func(c *zookeeper.Config) { c.SessionTimeout = 100 * time.Millisecond }, "HA_ZOOKEEPER_SESSION_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if !errors.Is(err, zookeeper.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig mentioning %q", err, tc.want)
			}
			if _, err := zookeeper.New(c); !errors.Is(err, zookeeper.ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
