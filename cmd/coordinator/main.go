// Command coordinator is redoflow's coordinator (Flink's JobManager). With HA_MODE=zookeeper
// it campaigns for leadership in ZooKeeper next to its standbys; with HA_MODE=NONE it is
// the only coordinator and runs a worker in the same process. It serves the REST API on
// REST_PORT and Prometheus metrics on METRICS_PORT. Settings come from the environment
// (the Flink deployment's variables); flags override them.
package main

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
	"github.com/redoflow/redoflow/coordinator"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/ha/zookeeper"
	"github.com/redoflow/redoflow/internal/cliexit"
	"github.com/redoflow/redoflow/metrics"
	"github.com/redoflow/redoflow/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	return cliexit.Code(ctx, "coordinator", runE(ctx, args, stderr), stderr)
}

func runE(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.RestPort, "rest-port", cfg.RestPort, "REST API port [REST_PORT]")
	fs.IntVar(&cfg.MetricsPort, "metrics-port", cfg.MetricsPort, "Prometheus metrics port [METRICS_PORT]")
	fs.StringVar(&cfg.Node.ID, "node-id", cfg.Node.ID, "this coordinator's id [REDOFLOW_NODE_ID] (default host:port)")
	fs.StringVar(&cfg.Node.AdvertisedHost, "advertised-host", cfg.Node.AdvertisedHost, "host others reach this coordinator at [REDOFLOW_ADVERTISED_HOST] (default the host name)")
	fs.IntVar(&cfg.Node.WorkerPort, "worker-port", cfg.Node.WorkerPort, "HA_MODE=NONE: port of the in-process worker's command API [REDOFLOW_WORKER_PORT]")
	untilTruth := fs.String("until-truth", "", "HA_MODE=NONE: drain to DIR/_final_scn once redoflow sim wrote it, then finish the job")
	bind := fs.String("bind", "", "address to listen on (default all interfaces)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return cliexit.UsageError{Err: err}
	}
	if err := cfg.Validate(); err != nil {
		return cliexit.UsageError{Err: err}
	}
	host := cfg.Node.AdvertisedHost
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return cliexit.UsageError{Err: fmt.Errorf("REDOFLOW_ADVERTISED_HOST is empty and the host name is unknown: %w", err)}
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return err
	}

	cc := coordinator.DefaultConfig()
	cc.Address = net.JoinHostPort(host, strconv.Itoa(cfg.RestPort))
	cc.ID, cc.Listen, cc.Mode = cfg.Node.ID, net.JoinHostPort(*bind, strconv.Itoa(cfg.RestPort)), cfg.HA.Mode
	cc.JobID, cc.JobName = cfg.JobID, cfg.JobID
	cc.CheckpointDir, cc.SavepointDir = cfg.CheckpointDir, cfg.SavepointDir
	cc.Logger, cc.Metrics = log, m

	// Shutdown order: on SIGTERM the coordinator resigns at once (its Run does so first);
	// the elector's session closes after the coordinator and worker have returned, so the
	// resignation and the worker's deregistration still reach ZooKeeper; the metrics
	// server stops last.
	g, gctx := errgroup.WithContext(ctx)
	electorCtx, stopElector := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElector()
	var roleRuns []func(context.Context) error
	switch cfg.HA.Mode {
	case "zookeeper":
		zc := zookeeper.DefaultConfig()
		zc.Quorum, zc.PathRoot, zc.ClusterID = cfg.HA.Quorum, cfg.HA.PathRoot, strings.Trim(cfg.HA.ClusterID, "/")
		zc.SessionTimeout, zc.Logger = cfg.HA.SessionTimeout, log
		el, err := zookeeper.New(zc)
		if err != nil {
			return cliexit.UsageError{Err: err}
		}
		cc.Elector, cc.Registry = el, el
		g.Go(func() error {
			err := el.Run(electorCtx)
			if electorCtx.Err() != nil {
				return nil
			}
			return err
		})
	default:
		n := ha.NewNone()
		defer n.Close()
		cc.Elector, cc.Registry = n, n
		wc := worker.DefaultConfig()
		wc.ID, wc.Address = "local", net.JoinHostPort(host, strconv.Itoa(cfg.Node.WorkerPort))
		wc.Listen, wc.Slots = net.JoinHostPort(*bind, strconv.Itoa(cfg.Node.WorkerPort)), cfg.Slots
		wc.Leader, wc.Registry, wc.Logger, wc.Metrics = n, n, log, m
		wc.Tasks = worker.ConfigTasks{Config: cfg, UntilTruth: *untilTruth, Logger: log, Metrics: m}
		w, err := worker.New(wc)
		if err != nil {
			return cliexit.UsageError{Err: err}
		}
		roleRuns = append(roleRuns, w.Run)
	}
	c, err := coordinator.New(cc)
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	roleRuns = append(roleRuns, c.Run)
	roles, rctx := errgroup.WithContext(gctx)
	for _, f := range roleRuns {
		roles.Go(func() error { return f(rctx) })
	}
	g.Go(func() error {
		err := roles.Wait()
		stopElector() // only once the roles are done: they resign and deregister through it
		return err
	})
	msrv := &http.Server{Addr: net.JoinHostPort(*bind, strconv.Itoa(cfg.MetricsPort)), Handler: metrics.Handler(reg), ReadHeaderTimeout: 10 * time.Second}
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
	log.Info("coordinator starting", "mode", cfg.HA.Mode, "address", cc.Address, "metrics", cfg.MetricsPort)
	return g.Wait()
}
