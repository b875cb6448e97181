package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/metrics"
	"github.com/redoflow/redoflow/rest"
	"github.com/redoflow/redoflow/restart"
)

// Config configures a Coordinator. Names in brackets are the environment variables the
// commands read.
type Config struct {
	// ID names this coordinator in the cluster (default host:port of Address).
	ID string
	// Address is the host:port other processes reach this coordinator's REST API at
	// [REDOFLOW_ADVERTISED_HOST + REST_PORT].
	Address string
	// Listener serves the REST API; nil listens on Listen.
	Listener net.Listener
	// Listen is the REST listen address, e.g. ":8081" [REST_PORT].
	Listen string
	// InternalAddress is the host:port workers reach this coordinator's internal protocol
	// at [REDOFLOW_ADVERTISED_HOST + REDOFLOW_INTERNAL_PORT]: checkpoints and task
	// events, never served on the REST port.
	InternalAddress string
	// InternalListener serves the internal protocol; nil listens on InternalListen,
	// e.g. ":6123" [REDOFLOW_INTERNAL_PORT].
	InternalListener net.Listener
	InternalListen   string
	// Auth signs the commands to workers and checks the requests of the internal
	// protocol [REDOFLOW_CLUSTER_SECRET]. Required: wire.Insecure() is the explicit
	// development mode.
	Auth *wire.Auth
	// RestToken, when set, is the bearer token the REST API's operations require
	// [REDOFLOW_REST_TOKEN].
	RestToken string
	// Mode is HA_MODE, reported by GET /ha.
	Mode string
	// JobID and JobName name the one job the configuration defines [REDOFLOW_JOB_ID].
	JobID, JobName string
	// CheckpointDir and SavepointDir are shared directories [CHECKPOINT_DIR, SAVEPOINT_DIR].
	CheckpointDir, SavepointDir string
	// Retain is how many checkpoints are kept (default 3).
	Retain int
	// Elector elects the leader; Registry lists the workers. ha.None serves both for
	// HA_MODE=NONE, ha/zookeeper's Elector otherwise.
	Elector  ha.Elector
	Registry ha.Registry
	// Restart is the restart strategy of a task that failed with a retryable error, or
	// whose worker was lost (default: Flink's exponential-delay) [RESTART_STRATEGY and
	// the restart-strategy.* options]. A fatal error fails the job whatever it says.
	Restart restart.Config
	// Rand draws the exponential-delay jitter, in [0, 1); nil is math/rand/v2.
	Rand func() float64
	// CommandTimeout bounds a command to a worker (default 10 s).
	CommandTimeout time.Duration
	// Client sends commands to workers; nil uses a plain http.Client.
	Client  *http.Client
	Logger  *slog.Logger
	Metrics *metrics.Metrics // nil records nothing
}

// DefaultConfig returns the defaults; Elector, Registry, Address, InternalAddress, Auth,
// directories and the job must still be set.
func DefaultConfig() Config {
	return Config{Listen: ":8081", InternalListen: ":6123", Mode: "NONE", JobID: "redoflow", JobName: "redoflow", Retain: 3,
		Restart: restart.DefaultConfig(), CommandTimeout: 10 * time.Second}
}

// Validate reports the first setting that cannot work, as an error matching
// config.ErrInvalid.
func (c Config) Validate() error {
	bad := func(f string, a ...any) error { return config.Invalid("coordinator", f, a...) }
	switch {
	case c.Elector == nil || c.Registry == nil:
		return bad("no elector or registry (HA_MODE)")
	case c.Address == "":
		return bad("Address is empty: set REDOFLOW_ADVERTISED_HOST so that workers and the standby reach this coordinator")
	case c.Listener == nil && c.Listen == "":
		return bad("REST_PORT: no listen address")
	case c.InternalAddress == "":
		return bad("InternalAddress is empty: set REDOFLOW_ADVERTISED_HOST so that workers reach this coordinator")
	case c.InternalListener == nil && c.InternalListen == "":
		return bad("REDOFLOW_INTERNAL_PORT: no listen address")
	case c.Auth == nil:
		return bad("no cluster authentication: set REDOFLOW_CLUSTER_SECRET (or REDOFLOW_INSECURE_CLUSTER=true for development)")
	case c.JobID == "":
		return bad("REDOFLOW_JOB_ID is empty")
	case c.CheckpointDir == "":
		return bad("CHECKPOINT_DIR is empty: name a directory every coordinator can reach")
	case c.SavepointDir == "":
		return bad("SAVEPOINT_DIR is empty: name a directory every worker can reach")
	case c.Retain < 1:
		return bad("retain %d: keep at least 1 checkpoint", c.Retain)
	case c.CommandTimeout <= 0:
		return bad("CommandTimeout must be positive")
	}
	if err := c.Restart.Validate(); err != nil {
		return bad("%v", err)
	}
	return nil
}

// Coordinator is one coordinator process's role: candidate, and leader while elected.
type Coordinator struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client

	mu       sync.Mutex
	observed ha.LeaderInfo // latest leader seen through Observe
	leader   *leader       // non-nil while this coordinator leads
}

// New checks cfg.
func New(cfg Config) (*Coordinator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ID == "" {
		cfg.ID = cfg.Address
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, client: cfg.Auth.Client(cfg.Client)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "coordinator", "id", cfg.ID)
	return c, nil
}

// Run serves the REST API and the internal protocol, and campaigns until ctx is done,
// leading while elected. It returns ctx.Err() once everything it started has stopped.
func (c *Coordinator) Run(ctx context.Context) error {
	h, err := rest.NewHandler(rest.Config{
		Backend: backend{c}, HA: c.haStatus, SavepointDir: c.cfg.SavepointDir, Token: c.cfg.RestToken, Logger: c.log,
	})
	if err != nil {
		return err
	}
	ln, err := listen(c.cfg.Listener, c.cfg.Listen, "REST_PORT")
	if err != nil {
		return err
	}
	iln, err := listen(c.cfg.InternalListener, c.cfg.InternalListen, "REDOFLOW_INTERNAL_PORT")
	if err != nil {
		ln.Close()
		return err
	}
	internal := http.NewServeMux()
	internal.HandleFunc("POST "+wire.PathCheckpoint, c.serveInternal)
	internal.HandleFunc("GET "+wire.PathLatest, c.serveInternal)
	internal.HandleFunc("POST "+wire.PathTaskEvent, c.serveInternal)
	servers := []struct {
		name string
		srv  *http.Server
		ln   net.Listener
	}{
		{"REST", &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, ln},
		{"internal", &http.Server{Handler: c.cfg.Auth.Handler(c.cfg.InternalAddress, c.log, internal), ReadHeaderTimeout: 10 * time.Second}, iln},
	}

	// Shutdown order: when ctx ends, (1) the campaign loop resigns at once, so a standby
	// leads within a ZooKeeper round trip, and waits for the leader's goroutines; (2) the
	// observer stops; (3) the REST and internal servers stop accepting and finish their
	// requests within 5 s. (1) does not wait for (3): resigning first is the point of
	// SIGTERM handling.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.campaign(gctx) })
	g.Go(func() error { return c.observe(gctx) })
	for _, s := range servers {
		g.Go(func() error {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("coordinator: %s server: %w", s.name, err)
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
			defer cancel()
			return s.srv.Shutdown(sctx)
		})
	}
	err = g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// listen returns ln, or a listener on addr; variable names the setting in errors.
func listen(ln net.Listener, addr, variable string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("coordinator: %s: %w", variable, err)
	}
	return ln, nil
}

// observe follows the leader for /ha, forwarding and the has-leader metric.
func (c *Coordinator) observe(ctx context.Context) error {
	for info := range c.cfg.Elector.Observe(ctx) {
		c.mu.Lock()
		prev := c.observed
		c.observed = info
		leading := c.leader != nil
		c.mu.Unlock()
		if info != prev {
			c.log.Info("leader observed", "leader", info.String())
			if prev.HasLeader() || info.HasLeader() {
				c.cfg.Metrics.LeaderChanged()
			}
		}
		c.cfg.Metrics.SetLeader(info.HasLeader(), leading)
	}
	return ctx.Err()
}

// campaign campaigns and leads, again after every lost leadership, until ctx ends.
func (c *Coordinator) campaign(ctx context.Context) error {
	cand := ha.Candidate{ID: c.cfg.ID, Address: c.cfg.Address, Internal: c.cfg.InternalAddress}
	for {
		l, err := c.cfg.Elector.Campaign(ctx, cand)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ha.ErrClosed) {
				return fmt.Errorf("coordinator: %w", err)
			}
			c.log.Warn("campaign failed, retrying", "err", err)
			if ctxsleep.For(ctx, time.Second) != nil {
				return ctx.Err()
			}
			continue
		}
		c.log.Info("leading", "epoch", l.Epoch())
		err = c.lead(ctx, l)
		if ctx.Err() != nil {
			// SIGTERM: resign at once so that the standby takes over without waiting for
			// the session to expire.
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			rerr := l.Resign(rctx)
			cancel()
			c.log.Info("resigned", "epoch", l.Epoch(), "err", rerr)
			return ctx.Err()
		}
		c.log.Warn("leadership ended", "epoch", l.Epoch(), "reason", err)
	}
}

// lead runs the leader until the leadership or ctx ends.
func (c *Coordinator) lead(ctx context.Context, l ha.Leadership) error {
	ld, err := newLeader(c, l)
	if err != nil {
		_ = l.Resign(context.Background())
		return err
	}
	c.mu.Lock()
	c.leader = ld
	c.mu.Unlock()
	c.cfg.Metrics.SetLeader(true, true)
	err = ld.run(ctx)
	c.mu.Lock()
	c.leader = nil
	c.mu.Unlock()
	c.cfg.Metrics.SetLeader(false, false)
	return err
}

func (c *Coordinator) current() *leader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

func (c *Coordinator) haStatus() rest.HAStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := rest.HAStatus{ID: c.cfg.ID, Mode: c.cfg.Mode, Role: "none"}
	info := c.observed
	if c.leader != nil {
		info = c.leader.l.Info()
		st.Role = "leader"
	} else if info.HasLeader() {
		st.Role = "standby"
	}
	if info.HasLeader() {
		st.LeaderID, st.LeaderAddress, st.Epoch = info.ID, info.Address, info.Epoch
	}
	if st.Role == "none" && c.leader == nil {
		// A candidate that does not lead yet is a standby even before it sees a leader.
		st.Role = "standby"
	}
	return st
}
