// Package metrics owns redoflow's Prometheus metrics. New registers them on the
// prometheus.Registerer it is given (never the global registry), and Handler serves them
// on METRICS_PORT (default 9249). Coordinators set the cluster metrics (has-leader, leader
// changes, checkpoints, slots, restarts); workers set the task metrics (records out per
// table, open transactions, lag).
package metrics
