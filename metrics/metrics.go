package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are redoflow's metrics. A nil *Metrics is valid and records nothing.
type Metrics struct {
	HasLeader            prometheus.Gauge
	IsLeader             prometheus.Gauge
	LeaderChanges        prometheus.Counter
	CheckpointsCompleted prometheus.Counter
	CheckpointsFailed    prometheus.Counter
	CheckpointDuration   prometheus.Histogram
	RecordsOut           *prometheus.CounterVec // label: table (SCHEMA.TABLE)
	LagMillis            prometheus.Gauge
	LagSCN               prometheus.Gauge
	OpenTransactions     prometheus.Gauge
	SlotsTotal           prometheus.Gauge
	SlotsFree            prometheus.Gauge
	Restarts             prometheus.Counter
	TasksRunning         prometheus.Gauge
	// The leader's view of the job, as Flink's job metrics name it: restarts under this
	// leadership (numRestarts, and its deprecated alias fullRestarts), and the jobs in
	// state FAILED.
	NumRestarts  *prometheus.GaugeVec // label: job_id
	FullRestarts *prometheus.GaugeVec // label: job_id
	JobsFailed   prometheus.Gauge
	// The initial snapshot's progress, per table (SCHEMA.TABLE).
	SnapshotRowsRead      *prometheus.GaugeVec
	SnapshotRowsEstimated *prometheus.GaugeVec
	SnapshotChunksDone    *prometheus.GaugeVec
	SnapshotChunksTotal   *prometheus.GaugeVec
}

// New creates the metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		HasLeader:            prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_has_leader", Help: "1 when this process knows a current leader coordinator, else 0."}),
		IsLeader:             prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_is_leader", Help: "1 when this coordinator leads."}),
		LeaderChanges:        prometheus.NewCounter(prometheus.CounterOpts{Name: "redoflow_leader_changes_total", Help: "Changes of leader seen by this process."}),
		CheckpointsCompleted: prometheus.NewCounter(prometheus.CounterOpts{Name: "redoflow_checkpoints_completed_total", Help: "Checkpoints stored and acknowledged."}),
		CheckpointsFailed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "redoflow_checkpoints_failed_total", Help: "Checkpoints refused or not acknowledged."}),
		CheckpointDuration:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "redoflow_checkpoint_duration_seconds", Help: "Time from the start of a checkpoint to its acknowledgement.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		RecordsOut:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redoflow_records_out_total", Help: "Changes handed to the sink, per table."}, []string{"table"}),
		LagMillis:            prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_lag_milliseconds", Help: "How old the oldest change not yet delivered to the sink may be: the time since the later of the last delivered commit and the moment the reader had mined everything committed. It grows while the database does not answer."}),
		LagSCN:               prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_lag_scn", Help: "SCNs between the database's current SCN and the last delivered commit."}),
		OpenTransactions:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_open_transactions", Help: "Transactions buffered by the reader, not committed yet."}),
		SlotsTotal:           prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_slots_total", Help: "Task slots of the registered workers (coordinator) or of this worker."}),
		SlotsFree:            prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_slots_free", Help: "Task slots without a task."}),
		Restarts:             prometheus.NewCounter(prometheus.CounterOpts{Name: "redoflow_restarts_total", Help: "Task restarts after a failure, a lost worker or a failover."}),
		TasksRunning:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_tasks_running", Help: "Tasks running in this process."}),
		NumRestarts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_jobmanager_job_numRestarts",
			Help: "Restarts of the job's task under the current leader (Flink's numRestarts)."}, []string{"job_id"}),
		FullRestarts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_jobmanager_job_fullRestarts",
			Help: "The same as redoflow_jobmanager_job_numRestarts (Flink's deprecated fullRestarts)."}, []string{"job_id"}),
		JobsFailed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "redoflow_jobs_failed",
			Help: "Jobs in state FAILED, as the leader sees them (GET /overview jobs-failed)."}),
		SnapshotRowsRead: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_snapshot_rows_read",
			Help: "Rows the initial snapshot has read and handed over, per table (rate() gives rows/s)."}, []string{"table"}),
		SnapshotRowsEstimated: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_snapshot_rows_estimated",
			Help: "The table's row count as ALL_TABLES.NUM_ROWS estimates it."}, []string{"table"}),
		SnapshotChunksDone: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_snapshot_chunks_done",
			Help: "Snapshot chunks read and checkpointed, per table."}, []string{"table"}),
		SnapshotChunksTotal: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redoflow_snapshot_chunks_total",
			Help: "Snapshot chunks of the table."}, []string{"table"}),
	}
	for _, c := range []prometheus.Collector{m.HasLeader, m.IsLeader, m.LeaderChanges, m.CheckpointsCompleted, m.CheckpointsFailed,
		m.CheckpointDuration, m.RecordsOut, m.LagMillis, m.LagSCN, m.OpenTransactions, m.SlotsTotal, m.SlotsFree, m.Restarts, m.TasksRunning,
		m.NumRestarts, m.FullRestarts, m.JobsFailed,
		m.SnapshotRowsRead, m.SnapshotRowsEstimated, m.SnapshotChunksDone, m.SnapshotChunksTotal} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the metrics gathered by g in the Prometheus text format.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// The helpers below make a nil *Metrics a no-op, so that libraries need no checks.

func (m *Metrics) SetLeader(has, is bool) {
	if m == nil {
		return
	}
	m.HasLeader.Set(b2f(has))
	m.IsLeader.Set(b2f(is))
}

func (m *Metrics) LeaderChanged() {
	if m != nil {
		m.LeaderChanges.Inc()
	}
}

func (m *Metrics) Checkpoint(ok bool, seconds float64) {
	if m == nil {
		return
	}
	if ok {
		m.CheckpointsCompleted.Inc()
		m.CheckpointDuration.Observe(seconds)
	} else {
		m.CheckpointsFailed.Inc()
	}
}

func (m *Metrics) Record(table string) {
	if m != nil {
		m.RecordsOut.WithLabelValues(table).Inc()
	}
}

func (m *Metrics) Slots(total, free int) {
	if m == nil {
		return
	}
	m.SlotsTotal.Set(float64(total))
	m.SlotsFree.Set(float64(free))
}

func (m *Metrics) Restart() {
	if m != nil {
		m.Restarts.Inc()
	}
}

// JobState records the leader's view of job: FAILED or not, and its restarts.
func (m *Metrics) JobState(job string, failed bool, restarts int) {
	if m == nil {
		return
	}
	m.NumRestarts.WithLabelValues(job).Set(float64(restarts))
	m.FullRestarts.WithLabelValues(job).Set(float64(restarts))
	m.JobsFailed.Set(b2f(failed))
}

func (m *Metrics) Tasks(n int) {
	if m != nil {
		m.TasksRunning.Set(float64(n))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
