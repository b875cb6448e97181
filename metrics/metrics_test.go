package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redoflow/redoflow/metrics"
)

func TestMetricsOnTheirOwnRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Fatal("registering twice on one registry succeeded")
	}
	m.SetLeader(true, false)
	m.LeaderChanged()
	m.Checkpoint(true, 0.02)
	m.Checkpoint(false, 0)
	m.Record("FINANCE_USER.TRANS_INFO")
	m.Slots(12, 11)
	m.Restart()
	m.JobState("redoflow", true, 3)
	var none *metrics.Metrics // records nothing, panics never
	none.SetLeader(true, true)
	none.Record("X")
	none.Checkpoint(true, 1)
	none.JobState("redoflow", true, 1)

	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		"redoflow_has_leader 1", "redoflow_is_leader 0", "redoflow_leader_changes_total 1",
		"redoflow_checkpoints_completed_total 1", "redoflow_checkpoints_failed_total 1",
		"redoflow_checkpoint_duration_seconds_count 1", `redoflow_records_out_total{table="FINANCE_USER.TRANS_INFO"} 1`,
		"redoflow_slots_total 12", "redoflow_slots_free 11", "redoflow_restarts_total 1",
		"redoflow_lag_milliseconds 0", "redoflow_lag_scn 0", "redoflow_open_transactions 0",
		`redoflow_jobmanager_job_numRestarts{job_id="redoflow"} 3`, `redoflow_jobmanager_job_fullRestarts{job_id="redoflow"} 3`,
		"redoflow_jobs_failed 1",
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
}
