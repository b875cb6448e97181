package node_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/internal/cliexit"
	"github.com/redoflow/redoflow/internal/node"
)

func setEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"DATABASE_TABLES": "T", "OUTPUT_PATH": filepath.Join(dir, "o"), "CHECKPOINT_DIR": filepath.Join(dir, "c"),
		"SAVEPOINT_DIR": filepath.Join(dir, "s"), "REDOFLOW_ADVERTISED_HOST": "host1", "METRICS_PORT": "9000",
	} {
		t.Setenv(k, v)
	}
}

func command(check func(config.Config) error) node.Command {
	return node.Command{
		Name: "test",
		Flags: func(fs *flag.FlagSet, cfg *config.Config) {
			fs.IntVar(&cfg.RestPort, "rest-port", cfg.RestPort, "REST API port")
		},
		Check: check,
	}
}

func TestSetup(t *testing.T) {
	setEnv(t)
	n, err := node.Setup(command(nil), []string{"-rest-port", "8181", "-metrics-port", "9001", "-node-id", "n1", "-bind", "127.0.0.1", "-until-truth", "/truth"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n.Config.RestPort != 8181 || n.Config.MetricsPort != 9001 || n.Config.Node.ID != "n1" || n.UntilTruth != "/truth" || n.Log == nil || n.Metrics == nil {
		t.Errorf("Setup = %+v", n)
	}
	if got := n.Address(8181); got != "host1:8181" {
		t.Errorf("Address = %q", got)
	}
	if got := n.Listen(9001); got != "127.0.0.1:9001" {
		t.Errorf("Listen = %q", got)
	}
}

func TestSetupRefuses(t *testing.T) {
	setEnv(t)
	if _, err := node.Setup(command(nil), []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
	var ue cliexit.UsageError
	if _, err := node.Setup(command(nil), []string{"-bogus"}, io.Discard); !errors.As(err, &ue) {
		t.Errorf("unknown flag: %v, want a UsageError", err)
	}
	refused := errors.New("refused")
	os.Unsetenv("DATABASE_TABLES") // restored by setEnv's t.Setenv; Validate refuses no tables, after the check
	if _, err := node.Setup(command(func(config.Config) error { return refused }), nil, io.Discard); !errors.As(err, &ue) || !errors.Is(err, refused) {
		t.Errorf("Check: %v, want a UsageError wrapping its error", err)
	}
	if _, err := node.Setup(command(nil), nil, io.Discard); !errors.As(err, &ue) || !errors.Is(err, config.ErrInvalid) {
		t.Errorf("invalid configuration: %v, want a UsageError matching config.ErrInvalid", err)
	}
}

// Names and ports are checked after the flags, which set them past the environment's
// checks: a node id that is no znode name made a worker retry its registration forever,
// a bad advertised host or port failed later, far from its setting.
func TestSetupChecksFlagsAndNames(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"node id env":       {map[string]string{"REDOFLOW_NODE_ID": "a/b"}, nil, `REDOFLOW_NODE_ID="a/b"`},
		"node id flag":      {nil, []string{"-node-id", "a/b"}, `REDOFLOW_NODE_ID="a/b"`},
		"advertised env":    {map[string]string{"REDOFLOW_ADVERTISED_HOST": "bad host!"}, nil, `REDOFLOW_ADVERTISED_HOST="bad host!"`},
		"advertised flag":   {nil, []string{"-advertised-host", "bad host!"}, `REDOFLOW_ADVERTISED_HOST="bad host!"`},
		"metrics port flag": {nil, []string{"-metrics-port", "0"}, `METRICS_PORT="0"`},
		"rest port flag":    {nil, []string{"-rest-port", "99999"}, `REST_PORT="99999"`},
		"ha mode empty":     {map[string]string{"HA_MODE": ""}, nil, `HA_MODE=""`},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var ue cliexit.UsageError
			_, err := node.Setup(command(nil), tc.args, io.Discard)
			if !errors.As(err, &ue) || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Setup = %v, want a UsageError naming %s", err, tc.want)
			}
		})
	}
}

// TestAuth: a cluster process refuses to start without the cluster secret (exit 2,
// naming the variables) unless it runs alone (HA_MODE=NONE: a random secret) or in the
// insecure mode, which it logs loudly.
func TestAuth(t *testing.T) {
	setEnv(t)
	var log bytes.Buffer
	n, err := node.Setup(command(nil), nil, &log)
	if err != nil {
		t.Fatal(err)
	}
	var ue cliexit.UsageError
	if _, err := n.Auth(false); !errors.As(err, &ue) || !errors.Is(err, config.ErrInvalid) ||
		!strings.Contains(err.Error(), "REDOFLOW_CLUSTER_SECRET") || !strings.Contains(err.Error(), "REDOFLOW_CLUSTER_SECRET_FILE") {
		t.Errorf("no secret: %v, want a UsageError naming the variables", err)
	}
	if a, err := n.Auth(true); err != nil || a.IsInsecure() {
		t.Errorf("alone: %v, insecure %v; want a random secret", err, a != nil && a.IsInsecure())
	}

	t.Setenv("REDOFLOW_CLUSTER_SECRET", "too-short")
	if n, err = node.Setup(command(nil), nil, &log); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Auth(true); !errors.As(err, &ue) || !strings.Contains(err.Error(), "REDOFLOW_CLUSTER_SECRET") || strings.Contains(err.Error(), "too-short") {
		t.Errorf("short secret: %v, want a UsageError naming the variable, not showing the secret", err)
	}
	t.Setenv("REDOFLOW_CLUSTER_SECRET", strings.Repeat("x", 32))
	if n, err = node.Setup(command(nil), nil, &log); err != nil {
		t.Fatal(err)
	}
	if a, err := n.Auth(false); err != nil || a.IsInsecure() {
		t.Errorf("with a secret: %v", err)
	}

	t.Setenv("REDOFLOW_CLUSTER_SECRET", "")
	t.Setenv("REDOFLOW_INSECURE_CLUSTER", "true")
	log.Reset()
	if n, err = node.Setup(command(nil), nil, &log); err != nil {
		t.Fatal(err)
	}
	if a, err := n.Auth(false); err != nil || !a.IsInsecure() || !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "INSECURE CLUSTER") {
		t.Errorf("insecure: %v; log %s", err, log.String())
	}
}
