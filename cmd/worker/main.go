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
	"io"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/internal/cliexit"
	"github.com/redoflow/redoflow/internal/node"
	"github.com/redoflow/redoflow/worker"
)

func main() { node.Main("worker", runE) }

func runE(ctx context.Context, args []string, stderr io.Writer) error {
	n, err := node.Setup(node.Command{
		Name:               "worker",
		NodeIDHelp:         "this worker's id [REDOFLOW_NODE_ID] (default host:port)",
		AdvertisedHostHelp: "host coordinators reach this worker at [REDOFLOW_ADVERTISED_HOST] (default the host name)",
		UntilTruthHelp:     "drain to DIR/_final_scn once redoflow sim wrote it, then finish the job",
		Flags: func(fs *flag.FlagSet, cfg *config.Config) {
			fs.IntVar(&cfg.Node.WorkerPort, "port", cfg.Node.WorkerPort, "command API port [REDOFLOW_WORKER_PORT]")
			fs.IntVar(&cfg.Slots, "slots", cfg.Slots, "task slots [TASK_MANAGER_NUMBER_OF_TASK_SLOTS]")
		},
		Check: func(cfg config.Config) error {
			if cfg.HA.Mode != "zookeeper" {
				return errors.New("HA_MODE=NONE: a separate worker needs HA_MODE=zookeeper; without it the coordinator runs the job's worker itself")
			}
			return nil
		},
	}, args, stderr)
	if err != nil {
		return err
	}
	cfg := n.Config
	tasks := worker.ConfigTasks{Config: cfg, UntilTruth: n.UntilTruth, Logger: n.Log, Metrics: n.Metrics, SharedLocks: true}
	if err := tasks.Check(); err != nil {
		return cliexit.UsageError{Err: err}
	}
	auth, err := n.Auth(false)
	if err != nil {
		return err
	}
	el, err := n.ZooKeeper(nil)
	if err != nil {
		return err
	}
	wc := worker.DefaultConfig()
	wc.Address = n.Address(cfg.Node.WorkerPort)
	wc.ID, wc.Listen, wc.Slots = cfg.Node.ID, n.Listen(cfg.Node.WorkerPort), cfg.Slots
	if wc.ID == "" {
		wc.ID = wc.Address
	}
	wc.Leader, wc.Registry, wc.Logger, wc.Metrics, wc.Auth = el, el, n.Log, n.Metrics, auth
	wc.Tasks = tasks
	w, err := worker.New(wc)
	if err != nil {
		return cliexit.UsageError{Err: err}
	}
	// The worker stops its tasks and deregisters before the ZooKeeper session closes
	// (node.Run).
	return n.Run(ctx, el, []func(context.Context) error{w.Run}, "worker starting", "id", wc.ID, "address", wc.Address, "slots", wc.Slots,
		"authenticated", !auth.IsInsecure())
}
