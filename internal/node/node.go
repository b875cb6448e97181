// Package node is the startup that the coordinator and worker commands share: the
// configuration from the environment with flags over it, the logger, the metrics and
// their server on METRICS_PORT, the ZooKeeper session's lifetime, signals and exit codes.
package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/ha/zookeeper"
	"github.com/redoflow/redoflow/internal/cliexit"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/metrics"
)

// Main runs run as the process named name: SIGINT and SIGTERM cancel its context, and the
// process exits with the code of its error (internal/cliexit), reported on stderr.
func Main(name string, run func(ctx context.Context, args []string, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cliexit.Code(ctx, name, run(ctx, os.Args[1:], os.Stderr), os.Stderr))
}

// Command is what tells the two commands' startups apart.
type Command struct {
	// Name is the flag set's name: coordinator or worker.
	Name string
	// The help of the flags that both commands take but describe each its own way.
	NodeIDHelp, AdvertisedHostHelp, UntilTruthHelp string
	// Flags adds the command's own flags, which set fields of cfg.
	Flags func(fs *flag.FlagSet, cfg *config.Config)
	// Check, when not nil, refuses a configuration before it is validated.
	Check func(cfg config.Config) error
}

// Node is a process set up by Setup.
type Node struct {
	Config config.Config
	// Host is the host other processes reach this one at (REDOFLOW_ADVERTISED_HOST, else
	// the host name).
	Host string
	// Bind is the address to listen on, "" for all interfaces (--bind).
	Bind string
	// UntilTruth is --until-truth: drain to DIR/_final_scn, then finish the job.
	UntilTruth string
	Log        *slog.Logger
	Metrics    *metrics.Metrics

	registry *prometheus.Registry
}

// Setup reads the configuration from the environment, parses args over it (the
// command's flags, --metrics-port, --node-id, --advertised-host, --until-truth, --bind,
// -v), validates it, and makes the logger (on stderr) and the metrics. A bad flag or
// setting is a cliexit.UsageError; -h returns flag.ErrHelp.
func Setup(cmd Command, args []string, stderr io.Writer) (*Node, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, cliexit.UsageError{Err: err}
	}
	n := &Node{}
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cmd.Flags(fs, &cfg)
	fs.IntVar(&cfg.MetricsPort, "metrics-port", cfg.MetricsPort, "Prometheus metrics port [METRICS_PORT]")
	fs.StringVar(&cfg.Node.ID, "node-id", cfg.Node.ID, cmd.NodeIDHelp)
	fs.StringVar(&cfg.Node.AdvertisedHost, "advertised-host", cfg.Node.AdvertisedHost, cmd.AdvertisedHostHelp)
	fs.StringVar(&n.UntilTruth, "until-truth", "", cmd.UntilTruthHelp)
	fs.StringVar(&n.Bind, "bind", "", "address to listen on (default all interfaces)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, cliexit.UsageError{Err: err}
	}
	if cmd.Check != nil {
		if err := cmd.Check(cfg); err != nil {
			return nil, cliexit.UsageError{Err: err}
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, cliexit.UsageError{Err: err}
	}
	n.Config, n.Host = cfg, cfg.Node.AdvertisedHost
	if n.Host == "" {
		if n.Host, err = os.Hostname(); err != nil {
			return nil, cliexit.UsageError{Err: fmt.Errorf("REDOFLOW_ADVERTISED_HOST is empty and the host name is unknown: %w", err)}
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	n.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	n.registry = prometheus.NewRegistry()
	if n.Metrics, err = metrics.New(n.registry); err != nil {
		return nil, err
	}
	return n, nil
}

// Address is the host:port other processes reach port of this one at.
func (n *Node) Address(port int) string { return net.JoinHostPort(n.Host, strconv.Itoa(port)) }

// Listen is the address to listen on for port.
func (n *Node) Listen(port int) string { return net.JoinHostPort(n.Bind, strconv.Itoa(port)) }

// Auth returns what signs and checks the internal protocol between coordinators and
// workers: the cluster secret (REDOFLOW_CLUSTER_SECRET or REDOFLOW_CLUSTER_SECRET_FILE),
// or, with REDOFLOW_INSECURE_CLUSTER=true, nothing, which it logs loudly. Without
// either it refuses (a cliexit.UsageError naming the variables), unless alone is true:
// a process whose protocol has no other party (HA_MODE=NONE) then uses a random secret.
func (n *Node) Auth(alone bool) (*wire.Auth, error) {
	cl := n.Config.Cluster
	if cl.Insecure {
		n.Log.Warn("INSECURE CLUSTER: REDOFLOW_INSECURE_CLUSTER=true: the internal protocol (REDOFLOW_INTERNAL_PORT on coordinators, " +
			"REDOFLOW_WORKER_PORT on workers) accepts commands from anyone who reaches it: a forged call can stop the job or corrupt " +
			"its output. For development only: set REDOFLOW_CLUSTER_SECRET in every process of a real cluster")
		return wire.Insecure(), nil
	}
	secret, err := cl.ClusterSecret()
	if errors.Is(err, config.ErrNoClusterSecret) && alone {
		n.Log.Info("no cluster secret set: HA_MODE=NONE, the coordinator and its worker share a random one")
		return wire.RandomAuth(), nil
	}
	if err != nil {
		return nil, cliexit.UsageError{Err: err}
	}
	a, err := wire.NewAuth(secret)
	if err != nil {
		return nil, cliexit.UsageError{Err: err}
	}
	return a, nil
}

// ZooKeeper returns the elector of HA_MODE=zookeeper (HA_ZOOKEEPER_*, HA_CLUSTER_ID); a
// setting it refuses is a cliexit.UsageError. Give it to Run, which runs its session.
// minEpoch (nil: none) is the elector's zookeeper.Config.MinEpoch.
func (n *Node) ZooKeeper(minEpoch func() int64) (*zookeeper.Elector, error) {
	zc := zookeeper.DefaultConfig()
	zc.Quorum, zc.PathRoot, zc.ClusterID = n.Config.HA.Quorum, n.Config.HA.PathRoot, strings.Trim(n.Config.HA.ClusterID, "/")
	zc.SessionTimeout, zc.Logger, zc.MinEpoch = n.Config.HA.SessionTimeout, n.Log, minEpoch
	el, err := zookeeper.New(zc)
	if err != nil {
		return nil, cliexit.UsageError{Err: err}
	}
	return el, nil
}

// Session is the ZooKeeper elector's session: Run keeps it until ctx ends.
type Session interface {
	Run(ctx context.Context) error
}

// Run runs the roles, and the metrics server on METRICS_PORT, until ctx ends or one of
// them fails, and returns the first error. It logs msg with args once they are started.
//
// Shutdown order: the roles stop first, and may still resign and deregister through
// session (nil: none), which closes only once every role has returned; the metrics
// server stops last.
func (n *Node) Run(ctx context.Context, session Session, roles []func(context.Context) error, msg string, args ...any) error {
	g, gctx := errgroup.WithContext(ctx)
	sessionCtx, stopSession := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSession()
	if session != nil {
		g.Go(func() error {
			err := session.Run(sessionCtx)
			if sessionCtx.Err() != nil {
				return nil
			}
			return err
		})
	}
	rg, rctx := errgroup.WithContext(gctx)
	for _, f := range roles {
		rg.Go(func() error { return f(rctx) })
	}
	g.Go(func() error {
		err := rg.Wait()
		stopSession() // only once the roles are done: they resign and deregister through it
		return err
	})
	msrv := &http.Server{Addr: n.Listen(n.Config.MetricsPort), Handler: metrics.Handler(n.registry), ReadHeaderTimeout: 10 * time.Second}
	g.Go(func() error {
		if err := msrv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("METRICS_PORT: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 2*time.Second)
		defer cancel()
		return msrv.Shutdown(sctx)
	})
	n.Log.Info(msg, args...)
	return g.Wait()
}
