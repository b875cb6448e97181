// Command worker is redoflow's worker (Flink's TaskManager): it registers in ZooKeeper with
// TASK_MANAGER_NUMBER_OF_TASK_SLOTS slots, follows the leader coordinator, and runs the
// task of the job the configuration defines when the leader assigns it. It needs
// HA_MODE=zookeeper: with HA_MODE=NONE the coordinator runs its worker itself. Settings
// come from the environment (the Flink deployment's variables); flags override them.
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
	return cliexit.Code(ctx, "worker", runE(ctx, args, stderr), stderr)
}

func runE(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Node.WorkerPort, "port", cfg.Node.WorkerPort, "command API port [REDOFLOW_WORKER_PORT]")
	fs.IntVar(&cfg.MetricsPort, "metrics-port", cfg.MetricsPort, "Prometheus metrics port [METRICS_PORT]")
	fs.IntVar(&cfg.Slots, "slots", cfg.Slots, "task slots [TASK_MANAGER_NUMBER_OF_TASK_SLOTS]")
	fs.StringVar(&cfg.Node.ID, "node-id", cfg.Node.ID, "this worker's id [REDOFLOW_NODE_ID] (default host:port)")
	fs.StringVar(&cfg.Node.AdvertisedHost, "advertised-host", cfg.Node.AdvertisedHost, "host coordinators reach this worker at [REDOFLOW_ADVERTISED_HOST] (default the host name)")
	untilTruth := fs.String("until-truth", "", "drain to DIR/_final_scn once redoflow sim wrote it, then finish the job")
	bind := fs.String("bind", "", "address to listen on (default all interfaces)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return cliexit.UsageError{Err: err}
	}
	if cfg.HA.Mode != "zookeeper" {
		return cliexit.UsageError{Err: errors.New("HA_MODE=NONE: a separate worker needs HA_MODE=zookeeper; without it the coordinator runs the job's worker itself")}
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
	zc := zookeeper.DefaultConfig()
	zc.Quorum, zc.PathRoot, zc.ClusterID = cfg.HA.Quorum, cfg.HA.PathRoot, strings.Trim(cfg.HA.ClusterID, "/")
	zc.SessionTimeout, zc.Logger = cfg.HA.SessionTimeout, log
	el, err := zookeeper.New(zc)
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	wc := worker.DefaultConfig()
	wc.Address = net.JoinHostPort(host, strconv.Itoa(cfg.Node.WorkerPort))
	wc.ID, wc.Listen, wc.Slots = cfg.Node.ID, net.JoinHostPort(*bind, strconv.Itoa(cfg.Node.WorkerPort)), cfg.Slots
	if wc.ID == "" {
		wc.ID = wc.Address
	}
	wc.Leader, wc.Registry, wc.Logger, wc.Metrics = el, el, log, m
	wc.Tasks = worker.ConfigTasks{Config: cfg, UntilTruth: *untilTruth, Logger: log, Metrics: m}
	w, err := worker.New(wc)
	if err != nil {
		return cliexit.UsageError{Err: err}
	}

	// Shutdown order: the worker stops its tasks and deregisters first; the ZooKeeper
	// session closes after it has returned; the metrics server stops last.
	g, gctx := errgroup.WithContext(ctx)
	electorCtx, stopElector := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElector()
	g.Go(func() error {
		err := el.Run(electorCtx)
		if electorCtx.Err() != nil {
			return nil
		}
		return err
	})
	g.Go(func() error {
		err := w.Run(gctx)
		stopElector()
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
	log.Info("worker starting", "id", wc.ID, "address", wc.Address, "slots", wc.Slots)
	return g.Wait()
}
