package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/rest"
)

func post(port int, path string, body any, out any) (int, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d%s", port, path), "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", rb, err)
		}
	}
	return resp.StatusCode, nil
}

// TestNoneModeCoordinator runs HA_MODE=NONE: one coordinator process without ZooKeeper,
// running the job's worker itself. A savepoint goes into SAVEPOINT_DIR and its status is
// polled as Flink's API says; the manual's cancel snippet (10.2) cancels the job, which
// then resumes from the savepoint; the metrics endpoint serves the cluster's metrics.
func TestNoneModeCoordinator(t *testing.T) {
	c := newCluster(t, 0, 200000, 400)
	defer c.dumpLogs()
	p := c.startCoordinator(0)
	c.waitJob(p, "RUNNING")
	c.waitRows(0, "first rows")

	var st haStatus
	if _, err := get(p.port, "/ha", &st); err != nil || st.Role != "leader" || st.Epoch != 1 {
		t.Errorf("/ha = %+v, %v", st, err)
	}
	// Savepoint inside SAVEPOINT_DIR, then its status.
	spDir := filepath.Join(c.dir, "savepoints", "manual")
	var trig rest.TriggerResponse
	if code, err := post(p.port, "/jobs/redoflow/savepoints", map[string]any{"target-directory": "file://" + spDir}, &trig); err != nil || code != http.StatusAccepted || trig.RequestID == "" {
		t.Fatalf("trigger savepoint: %d %+v %v", code, trig, err)
	}
	var sp rest.SavepointStatus
	deadline := time.Now().Add(waitLimit)
	for {
		if _, err := get(p.port, "/jobs/redoflow/savepoints/"+trig.RequestID, &sp); err != nil {
			t.Fatal(err)
		}
		if sp.Status.ID == "COMPLETED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sp.Operation == nil || sp.Operation.Location == "" || !strings.HasPrefix(sp.Operation.Location, spDir) {
		t.Fatalf("savepoint status %+v", sp)
	}
	if m, err := checkpoint.Load(sp.Operation.Location); err != nil || !m.Savepoint {
		t.Errorf("savepoint at %s: %+v %v", sp.Operation.Location, m, err)
	}
	t.Logf("savepoint: %s", sp.Operation.Location)

	// The manual's cancel (10.2), verbatim but for the port.
	out := runSnippet(t, p.port, `JOB_ID=$(curl -s http://localhost:8081/jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
jobs = data.get('jobs', [])
if jobs:
    print(jobs[0]['id'])
")
curl -X PATCH http://localhost:8081/jobs/$JOB_ID \
  -H "Content-Type: application/json" \
  -d '{"state": "cancelled"}'`)
	t.Logf("cancel: %s", out)
	c.waitJob(p, "CANCELED")
	var o rest.Overview
	if _, err := get(p.port, "/overview", &o); err != nil || o.JobsCancelled != 1 || o.JobsRunning != 0 {
		t.Errorf("overview after cancel: %+v %v", o, err)
	}
	n := c.rows()
	time.Sleep(time.Second)
	if m := c.rows(); m != n {
		t.Errorf("rows committed after cancel: %d -> %d", n, m)
	}

	// Jobs are defined by configuration: resume replaces re-submitting with flink run -s.
	if code, err := post(p.port, "/jobs/redoflow/resume", map[string]any{"savepointPath": sp.Operation.Location}, nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("resume: %d %v", code, err)
	}
	c.waitJob(p, "RUNNING")
	var ck rest.Checkpoints
	if _, err := get(p.port, "/jobs/redoflow/checkpoints", &ck); err != nil || ck.Latest.Restored == nil || ck.Latest.Restored.ExternalPath != sp.Operation.Location {
		t.Errorf("checkpoints after resume: %+v %v", ck.Latest.Restored, err)
	}
	c.waitRows(c.rows(), "after resume")

	// Metrics.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", p.metrics))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"redoflow_has_leader 1", "redoflow_is_leader 1", "redoflow_slots_total 4",
		`redoflow_records_out_total{table="FINANCE_USER.TRANS_INFO"}`, "redoflow_checkpoint_duration_seconds_bucket", "redoflow_restarts_total 0"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(string(b), "redoflow_checkpoints_completed_total") || strings.Contains(string(b), "redoflow_checkpoints_completed_total 0\n") {
		t.Errorf("no completed checkpoints in the metrics")
	}
	c.noSecret()
}
