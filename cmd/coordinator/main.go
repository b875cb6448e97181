// Command coordinator is redoflow's coordinator (Flink's JobManager). With HA_MODE=zookeeper
// it campaigns for leadership in ZooKeeper next to its standbys; with HA_MODE=NONE it is
// the only coordinator and runs a worker in the same process. It serves the REST API on
// REST_PORT, the internal protocol workers call on REDOFLOW_INTERNAL_PORT (signed with
// REDOFLOW_CLUSTER_SECRET) and Prometheus metrics on METRICS_PORT. Settings come from the environment
// (the Flink deployment's variables); flags override them.
package main

import (
	"context"
	"flag"
	"io"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/coordinator"
	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/cliexit"
	"github.com/redoflow/redoflow/internal/node"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/worker"
)

func main() { node.Main("coordinator", runE) }

func runE(ctx context.Context, args []string, stderr io.Writer) error {
	n, err := node.Setup(node.Command{
		Name:               "coordinator",
		NodeIDHelp:         "this coordinator's id [REDOFLOW_NODE_ID] (default host:port)",
		AdvertisedHostHelp: "host others reach this coordinator at [REDOFLOW_ADVERTISED_HOST] (default the host name)",
		UntilTruthHelp:     "HA_MODE=NONE: drain to DIR/_final_scn once redoflow sim wrote it, then finish the job",
		Flags: func(fs *flag.FlagSet, cfg *config.Config) {
			fs.IntVar(&cfg.RestPort, "rest-port", cfg.RestPort, "REST API port [REST_PORT]")
			fs.IntVar(&cfg.Node.WorkerPort, "worker-port", cfg.Node.WorkerPort, "HA_MODE=NONE: port of the in-process worker's command API [REDOFLOW_WORKER_PORT]")
			fs.IntVar(&cfg.Cluster.InternalPort, "internal-port", cfg.Cluster.InternalPort, "port of the internal protocol workers call [REDOFLOW_INTERNAL_PORT]")
		},
	}, args, stderr)
	if err != nil {
		return err
	}
	cfg, log, m := n.Config, n.Log, n.Metrics
	auth, err := n.Auth(cfg.HA.Mode != "zookeeper")
	if err != nil {
		return err
	}

	cc := coordinator.DefaultConfig()
	cc.Address, cc.InternalAddress = n.Address(cfg.RestPort), n.Address(cfg.Cluster.InternalPort)
	cc.ID, cc.Listen, cc.InternalListen, cc.Mode = cfg.Node.ID, n.Listen(cfg.RestPort), n.Listen(cfg.Cluster.InternalPort), cfg.HA.Mode
	cc.Auth, cc.RestToken = auth, string(cfg.Cluster.RestToken)
	cc.JobID, cc.JobName = cfg.JobID, cfg.JobID
	cc.CheckpointDir, cc.SavepointDir = cfg.CheckpointDir, cfg.SavepointDir
	cc.Restart = cfg.Restart
	cc.Logger, cc.Metrics = log, m

	// On SIGTERM the coordinator resigns at once (its Run does so first); the ZooKeeper
	// session closes after the coordinator and worker have returned (node.Run), so the
	// resignation and the worker's deregistration still reach ZooKeeper.
	var session node.Session
	var roles []func(context.Context) error
	switch cfg.HA.Mode {
	case "zookeeper":
		el, err := n.ZooKeeper(func() int64 { return coordinator.HighestEpoch(cfg.CheckpointDir, cfg.JobID) })
		if err != nil {
			return err
		}
		cc.Elector, cc.Registry, session = el, el, el
	default:
		tasks := worker.ConfigTasks{Config: cfg, UntilTruth: n.UntilTruth, Logger: log, Metrics: m}
		if err := tasks.Check(); err != nil {
			return cliexit.UsageError{Err: err}
		}
		// The only coordinator runs the job itself: like a standalone job, it
		// holds the job's directories for its life, so that a second one
		// started by mistake (a standby with HA_MODE=NONE) is refused.
		release, err := jobspec.Lock(cfg, true)
		if err != nil {
			return err
		}
		defer release()
		none := ha.NewNone()
		defer none.Close()
		cc.Elector, cc.Registry = none, none
		wc := worker.DefaultConfig()
		wc.ID, wc.Address = "local", n.Address(cfg.Node.WorkerPort)
		wc.Listen, wc.Slots = n.Listen(cfg.Node.WorkerPort), cfg.Slots
		wc.Leader, wc.Registry, wc.Logger, wc.Metrics, wc.Auth = none, none, log, m, auth
		wc.Tasks = tasks
		w, err := worker.New(wc)
		if err != nil {
			return cliexit.UsageError{Err: err}
		}
		roles = append(roles, w.Run)
	}
	c, err := coordinator.New(cc)
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	roles = append(roles, c.Run)
	return n.Run(ctx, session, roles, "coordinator starting", "mode", cfg.HA.Mode, "address", cc.Address, "internal", cc.InternalAddress,
		"metrics", cfg.MetricsPort, "authenticated", !auth.IsInsecure())
}
