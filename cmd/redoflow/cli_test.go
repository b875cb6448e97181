package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redoflow/redoflow/internal/testport"
)

// flinkAPI is a stand-in coordinator speaking Flink's REST API for the
// commands' unit tests: one job, savepoints that complete on the second
// status poll, cancel that takes effect at once. The commands' tests
// against a real coordinator process are in cli_cluster_test.go.
type flinkAPI struct {
	mu         sync.Mutex
	role       string
	state      string
	polls      int
	cancelJob  bool
	target     string
	savepoints int
	patches    []string
	// oldAPI: no GET /jobs/overview, as a coordinator with only the
	// seed manual's routes.
	oldAPI bool
}

const testJob = "a1b2c3d4e5f60718293a4b5c6d7e8f90"

func (f *flinkAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch p := r.Method + " " + r.URL.Path; p {
	case "GET /ha":
		if f.role == "none" {
			reply(200, map[string]any{"role": "none", "epoch": 0, "mode": "zookeeper"})
			return
		}
		reply(200, map[string]any{"role": f.role, "leader-address": "coordinator:8081", "epoch": 3, "mode": "zookeeper"})
	case "GET /overview":
		if f.role == "none" {
			reply(503, map[string]any{"errors": []string{"no leader coordinator is elected yet; retry shortly"}})
			return
		}
		reply(200, map[string]any{"taskmanagers": 3, "slots-total": 12, "slots-available": 11, "jobs-running": 1, "flink-version": "redoflow"})
	case "GET /jobs":
		reply(200, map[string]any{"jobs": []any{map[string]any{"id": testJob, "status": f.state}}})
	case "GET /jobs/overview":
		if f.oldAPI {
			reply(404, map[string]any{"errors": []string{"Not found: /jobs/overview"}})
			return
		}
		reply(200, map[string]any{"jobs": []any{map[string]any{"jid": testJob, "name": "redoflow", "state": f.state, "start-time": 1764000000000, "end-time": -1, "duration": 125000}}})
	case "GET /jobs/" + testJob:
		reply(200, map[string]any{"jid": testJob, "name": "redoflow", "state": f.state})
	case "PATCH /jobs/" + testJob:
		f.patches = append(f.patches, r.URL.RawQuery)
		f.state = "CANCELED"
		reply(202, map[string]any{})
	case "GET /jobs/" + testJob + "/checkpoints":
		reply(200, map[string]any{
			"counts": map[string]any{"completed": 12, "failed": 0, "in_progress": 1, "total": 13},
			"latest": map[string]any{"completed": map[string]any{"id": 12, "latest_ack_timestamp": 1764000100000, "state_size": 2048, "external_path": "file:/opt/redoflow/checkpoints/chk-12"}},
		})
	case "GET /taskmanagers":
		reply(200, map[string]any{"taskmanagers": []any{
			map[string]any{"id": "worker-a", "slotsNumber": 4, "freeSlots": 3, "timeSinceLastHeartbeat": 1200},
			map[string]any{"id": "worker-b", "slotsNumber": 4, "freeSlots": 4},
			map[string]any{"id": "worker-c", "slotsNumber": 4, "freeSlots": 4},
		}})
	case "POST /jobs/" + testJob + "/savepoints":
		var body struct {
			Target string `json:"target-directory"`
			Cancel bool   `json:"cancel-job"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			reply(400, map[string]any{"errors": []string{err.Error()}})
			return
		}
		if body.Target == "/elsewhere" {
			reply(400, map[string]any{"errors": []string{"target-directory /elsewhere is outside SAVEPOINT_DIR"}})
			return
		}
		f.savepoints++
		f.polls, f.cancelJob, f.target = 0, body.Cancel, body.Target
		reply(202, map[string]any{"request-id": "trigger-1"})
	case "GET /jobs/" + testJob + "/savepoints/trigger-1":
		f.polls++
		if f.polls < 2 {
			reply(200, map[string]any{"status": map[string]any{"id": "IN_PROGRESS"}})
			return
		}
		if f.target == "/opt/redoflow/savepoints/full" {
			reply(200, map[string]any{"status": map[string]any{"id": "COMPLETED"}, "operation": map[string]any{"failure-cause": map[string]any{
				"class": "checkpoint.ErrNoSpace", "stack-trace": "no space left on device\n\tat ..."}}})
			return
		}
		if f.cancelJob {
			f.state = "CANCELED"
		}
		reply(200, map[string]any{"status": map[string]any{"id": "COMPLETED"}, "operation": map[string]any{"location": "file:/opt/redoflow/savepoints/savepoint-1"}})
	default:
		reply(404, map[string]any{"errors": []string{"Not found: " + p}})
	}
}

func startFlinkAPI(t *testing.T, role string) (*flinkAPI, string) {
	t.Helper()
	f := &flinkAPI{role: role, state: "RUNNING"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	// A port testport handed out is one no other test can listen on.
	return "http://127.0.0.1:" + strconv.Itoa(testport.Get(t))
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = realMain(context.Background(), args, &out, &errb)
	t.Logf("redoflow %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

func TestJobsCommand(t *testing.T) {
	_, url := startFlinkAPI(t, "leader")
	// The first coordinator is down: the command moves on to the next.
	code, out, _ := run(t, "jobs", "--rest", deadURL(t)+","+url)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"JOB ID", testJob, "redoflow", "RUNNING", "2m5s"} {
		if !strings.Contains(out, want) {
			t.Errorf("jobs output lacks %q", want)
		}
	}
	code, out, _ = run(t, "jobs", "--json", "--rest", url)
	var got jobsOverview
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || len(got.Jobs) != 1 || got.Jobs[0].ID != testJob {
		t.Errorf("jobs --json: exit %d, %q", code, out)
	}
	if code, _, errs := run(t, "jobs", "--rest", deadURL(t)); code != exitFailure || !strings.Contains(errs, "no coordinator reachable") {
		t.Errorf("no coordinator: exit %d, %q", code, errs)
	}
	if code, _, _ := run(t, "jobs", "--rest", "ftp://x"); code != exitUsage {
		t.Errorf("bad --rest: exit %d, want %d", code, exitUsage)
	}
	// A coordinator without /jobs/overview: ids and states from /jobs.
	f, oldURL := startFlinkAPI(t, "leader")
	f.mu.Lock()
	f.oldAPI = true
	f.mu.Unlock()
	if code, out, _ := run(t, "jobs", "--rest", oldURL); code != exitOK || !strings.Contains(out, testJob) || !strings.Contains(out, "RUNNING") {
		t.Errorf("jobs from /jobs: exit %d, %q", code, out)
	}
	t.Setenv("REDOFLOW_REST", url)
	if code, out, _ := run(t, "jobs"); code != exitOK || !strings.Contains(out, testJob) {
		t.Errorf("REDOFLOW_REST: exit %d", code)
	}
}

func TestSavepointCommand(t *testing.T) {
	f, url := startFlinkAPI(t, "leader")
	// A unique prefix of the id is enough; flags may follow the job.
	code, out, _ := run(t, "savepoint", testJob[:6], "--rest", url, "--poll", "1ms")
	if code != exitOK || strings.TrimSpace(out) != "file:/opt/redoflow/savepoints/savepoint-1" {
		t.Fatalf("savepoint: exit %d, stdout %q", code, out)
	}
	f.mu.Lock()
	if f.state != "RUNNING" || f.cancelJob {
		t.Errorf("a plain savepoint cancelled the job")
	}

	f.mu.Unlock()
	code, out, _ = run(t, "savepoint", "--rest", url, "--poll", "1ms", "--cancel", "--target-directory", "/opt/redoflow/savepoints/upgrade", testJob)
	if code != exitOK || !strings.Contains(out, "savepoint-1") {
		t.Fatalf("savepoint --cancel: exit %d", code)
	}
	f.mu.Lock()
	if !f.cancelJob || f.state != "CANCELED" || f.target != "/opt/redoflow/savepoints/upgrade" {
		t.Errorf("savepoint --cancel: cancel-job %v, state %s, target %q", f.cancelJob, f.state, f.target)
	}
	f.mu.Unlock()

	code, out, _ = run(t, "savepoint", testJob, "--rest", url, "--wait", "0")
	if code != exitOK || strings.TrimSpace(out) != "trigger-1" {
		t.Errorf("savepoint --wait 0: exit %d, %q: want the request-id", code, out)
	}

	code, _, errs := run(t, "savepoint", testJob, "--rest", url, "--target-directory", "/elsewhere")
	if code != exitFailure || !strings.Contains(errs, "outside SAVEPOINT_DIR") {
		t.Errorf("refused target: exit %d, %q: want the coordinator's reason", code, errs)
	}
	code, _, errs = run(t, "savepoint", testJob, "--rest", url, "--poll", "1ms", "--target-directory", "/opt/redoflow/savepoints/full")
	if code != exitFailure || !strings.Contains(errs, "failed: checkpoint.ErrNoSpace no space left on device") {
		t.Errorf("failed savepoint: exit %d, %q: want the failure cause's first line", code, errs)
	}
	if code, _, errs := run(t, "savepoint", "--rest", url); code != exitUsage || !strings.Contains(errs, "JOB") {
		t.Errorf("no job: exit %d, %q", code, errs)
	}
	if code, _, errs := run(t, "savepoint", "ffff", "--rest", url); code != exitFailure || !strings.Contains(errs, `no job "ffff"`) {
		t.Errorf("unknown job: exit %d, %q", code, errs)
	}
}

func TestCancelCommand(t *testing.T) {
	f, url := startFlinkAPI(t, "standby")
	code, out, _ := run(t, "cancel", testJob, "--rest", url, "--poll", "1ms")
	if code != exitOK || !strings.Contains(out, "CANCELED") {
		t.Fatalf("cancel: exit %d, %q", code, out)
	}
	f.mu.Lock()
	if len(f.patches) != 1 || f.patches[0] != "mode=cancel" {
		t.Errorf("cancel sent %v, want one PATCH ?mode=cancel", f.patches)
	}
	f.mu.Unlock()
	if code, _, _ := run(t, "cancel", testJob, "extra", "--rest", url); code != exitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, exitUsage)
	}
}

func TestStatusCommand(t *testing.T) {
	_, standby := startFlinkAPI(t, "standby")
	_, leader := startFlinkAPI(t, "leader")
	dead := deadURL(t)
	out := t.TempDir()
	dir := filepath.Join(out, "FINANCE_USER.TRANS_INFO")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"part-0-0.csv", "part-0-1.csv.inprogress"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("op,id\nI,1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, got, _ := run(t, "status", "--rest", standby+","+dead+","+leader, "--output", out)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	for _, want := range []string{
		"UP    (standby, leader coordinator:8081, epoch 3)",
		dead, "DOWN",
		"leader: " + leader,
		"workers: 3", "slots total: 12", "slots available: 11", "jobs running: 1",
		"worker-a  slots 4, free 3, last heartbeat 1.2s ago",
		testJob + "  redoflow  RUNNING",
		"completed 12, failed 0, in progress 1",
		"latest: id 12", "chk-12",
		"part-0-0.csv  10 bytes",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status output lacks %q", want)
		}
	}
	if strings.Contains(got, "inprogress") {
		t.Errorf("status lists an in-progress part as a CSV file")
	}
	code, got, _ = run(t, "status", "--rest", dead, "--output", "")
	if code != exitFailure || !strings.Contains(got, "no coordinator answers") {
		t.Errorf("status with no coordinator: exit %d", code)
	}

	// Coordinators up but none leading: said so, and exit 1 with the reason.
	_, none := startFlinkAPI(t, "none")
	code, got, errs := run(t, "status", "--rest", none, "--output", "")
	if code != exitFailure || !strings.Contains(got, "UP    (none, epoch 0)") || !strings.Contains(got, "leader: none elected yet") ||
		!strings.Contains(errs, "no leader coordinator is elected yet") {
		t.Errorf("status with no leader: exit %d", code)
	}
}

func TestHealthCommand(t *testing.T) {
	_, url := startFlinkAPI(t, "leader")
	if code, _, _ := run(t, "health", "--url", url+"/overview"); code != exitOK {
		t.Errorf("healthy URL: exit %d", code)
	}
	if code, _, _ := run(t, "health", "--url", url+"/nothing"); code != exitFailure {
		t.Errorf("404: exit %d, want %d", code, exitFailure)
	}
	if code, _, _ := run(t, "health", "--url", deadURL(t)); code != exitFailure {
		t.Errorf("nothing listening: exit %d, want %d", code, exitFailure)
	}
	host := strings.TrimPrefix(url, "http://")
	if code, out, _ := run(t, "health", "--tcp", host, "-q"); code != exitOK || out != "" {
		t.Errorf("--tcp -q: exit %d, %q", code, out)
	}
	if code, _, _ := run(t, "health", "--tcp", strings.TrimPrefix(deadURL(t), "http://")); code != exitFailure {
		t.Errorf("--tcp nothing listening: exit %d", code)
	}
	_, port, _ := net.SplitHostPort(host)
	t.Setenv("REST_PORT", port)
	if code, _, _ := run(t, "health"); code != exitOK {
		t.Errorf("REST_PORT default: exit %d", code)
	}
	if code, _, _ := run(t, "health", "--url", url, "--tcp", host); code != exitUsage {
		t.Errorf("--url and --tcp: exit %d, want %d", code, exitUsage)
	}
}
