package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/testport"
)

// TestCommandsAgainstCoordinator runs the operator commands and the seed's
// monitor script against a real coordinator process (HA_MODE=NONE, its
// in-process worker) capturing from the simulator over TCP: jobs, status,
// savepoint (and a refused target), cancel.
func TestCommandsAgainstCoordinator(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the coordinator")
	}
	bin := buildCommands(t, "coordinator")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	simAddr := startSim(t, ctx)
	simHost, simPort, _ := net.SplitHostPort(simAddr)

	data := t.TempDir()
	rest, metrics, workerPort := freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	url := "http://127.0.0.1:" + rest
	output := filepath.Join(data, "output", "cdc")
	exited := startProcess(t, filepath.Join(bin, "coordinator"), filepath.Join(data, "coordinator.log"),
		"HA_MODE=NONE",
		"REST_PORT="+rest, "METRICS_PORT="+metrics, "REDOFLOW_WORKER_PORT="+workerPort, "REDOFLOW_INTERNAL_PORT="+freeTCPPort(t),
		"REDOFLOW_ADVERTISED_HOST=127.0.0.1",
		"DATABASE_HOST="+simHost, "DATABASE_PORT="+simPort, "DATABASE_SID=REDOFLOW",
		"DATABASE_USERNAME=system", "DATABASE_PASSWORD=helowin",
		"DATABASE_SCHEMA=FINANCE_USER", "DATABASE_TABLES=TRANS_INFO,TRANS_LOG",
		"SCAN_STARTUP_MODE=latest-offset",
		"OUTPUT_PATH="+output,
		"CHECKPOINT_DIR=file://"+filepath.Join(data, "checkpoints"),
		"SAVEPOINT_DIR=file://"+filepath.Join(data, "savepoints"),
		"HA_STORAGE_DIR=file://"+filepath.Join(data, "ha"),
		"CHECKPOINT_INTERVAL=500",
		"REDOFLOW_ROLL_AGE=1s",
		"TASK_MANAGER_NUMBER_OF_TASK_SLOTS=4",
	).exited

	// The health check the compose file runs turns healthy.
	waitFor(t, exited, "the coordinator to answer /overview", func() bool {
		code, _, _ := runQuiet("health", "--url", url+"/overview")
		return code == exitOK
	})
	// jobs: the configured job, RUNNING.
	var job string
	waitFor(t, exited, "the job to run", func() bool {
		code, out, _ := runQuiet("jobs", "--json", "--rest", url)
		var jo jobsOverview
		if code != exitOK || json.Unmarshal([]byte(out), &jo) != nil || len(jo.Jobs) == 0 {
			return false
		}
		job = jo.Jobs[0].ID
		return jo.Jobs[0].State == "RUNNING"
	})
	code, out, _ := run(t, "jobs", "--rest", url)
	if code != exitOK || !strings.Contains(out, job) || !strings.Contains(out, "RUNNING") {
		t.Errorf("jobs: exit %d, %q", code, out)
	}

	// A completed checkpoint and a committed CSV file, then status shows them.
	waitFor(t, exited, "a completed checkpoint and a committed CSV file", func() bool {
		var cs checkpointStats
		c, _ := newRESTClient(url, 5*time.Second)
		if _, err := c.do(context.Background(), http.MethodGet, "/jobs/"+job+"/checkpoints", nil, &cs); err != nil || cs.Latest.Completed == nil {
			return false
		}
		files, _ := newestCSV(output, 1)
		return len(files) > 0
	})
	code, out, _ = run(t, "status", "--rest", deadURL(t)+","+url, "--output", output)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	for _, want := range []string{"DOWN", "UP", "slots total: 4", job, "RUNNING", "latest: id", ".csv"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q", want)
		}
	}

	// The seed's monitor script, with its python3 and curl, reads the same API.
	fakeDocker := t.TempDir()
	if err := os.WriteFile(filepath.Join(fakeDocker, "docker"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mon := exec.Command("bash", filepath.Join("..", "..", "scripts", "monitor-ha-cluster.sh"))
	mon.Env = append(os.Environ(), "PATH="+fakeDocker+string(os.PathListSeparator)+os.Getenv("PATH"),
		"REDOFLOW_REST_PORTS="+rest, "REDOFLOW_HOST=127.0.0.1", "REDOFLOW_OUTPUT_DIR="+output)
	b, err := mon.CombinedOutput()
	t.Logf("monitor-ha-cluster.sh:\n%s", b)
	if err != nil {
		t.Errorf("monitor-ha-cluster.sh: %v", err)
	}
	for _, want := range []string{"leader: port " + rest, "slots total: 4", "job id: " + job, "status: RUNNING", "latest checkpoint: "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("monitor-ha-cluster.sh output lacks %q", want)
		}
	}

	// savepoint: the location, inside SAVEPOINT_DIR.
	code, out, _ = run(t, "savepoint", job, "--rest", url, "--poll", "100ms", "--wait", "2m")
	loc := strings.TrimPrefix(strings.TrimSpace(out), "file:")
	loc = strings.TrimPrefix(loc, "//")
	if code != exitOK || !strings.HasPrefix(loc, filepath.Join(data, "savepoints")) {
		t.Errorf("savepoint: exit %d, location %q: want one under SAVEPOINT_DIR", code, out)
	} else if _, err := os.Stat(loc); err != nil {
		t.Errorf("savepoint location: %v", err)
	}
	// A target outside SAVEPOINT_DIR is refused, with the coordinator's reason.
	code, _, errs := run(t, "savepoint", job, "--rest", url, "--target-directory", filepath.Join(data, "elsewhere"))
	if code != exitFailure || !strings.Contains(errs, "400") {
		t.Errorf("savepoint outside SAVEPOINT_DIR: exit %d, %q", code, errs)
	}

	// cancel: CANCELED, and jobs says so.
	code, out, _ = run(t, "cancel", job, "--rest", url, "--poll", "100ms", "--wait", "1m")
	if code != exitOK || !strings.Contains(out, "CANCEL") {
		t.Errorf("cancel: exit %d, %q", code, out)
	}
	code, out, _ = run(t, "jobs", "--rest", url)
	if code != exitOK || !strings.Contains(out, "CANCEL") {
		t.Errorf("jobs after cancel: exit %d, %q", code, out)
	}
}

// buildCommands builds ./cmd/NAME for each name into a temporary directory.
func buildCommands(t *testing.T, names ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, name := range names {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, name), "./cmd/"+name)
		build.Dir = filepath.Join("..", "..")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
		}
	}
	return bin
}

// process is a child process a test started.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// stop sends SIGTERM and waits for the exit, SIGKILL after 20 s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// startProcess starts path with env added to the test's environment and
// its output in logPath. The cleanup stops it and logs its output when the
// test failed.
func startProcess(t *testing.T, path, logPath string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", filepath.Base(logPath), b)
		}
	})
	return p
}

// startSim runs redoflow sim in this process on a free loopback port and
// returns its address; it stops when ctx is cancelled (before the test's
// cleanups return).
func startSim(t *testing.T, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = runSim(ctx, []string{"--listen", "127.0.0.1:0", "--service", "REDOFLOW", "--rate", "200"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("redoflow sim: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	// "redoflow sim: listening on ADDR, service S"
	var addr, svc string
	if _, err := fmt.Sscanf(line, "redoflow sim: listening on %s service %s", &addr, &svc); err != nil {
		t.Fatalf("redoflow sim said %q: %v", line, err)
	}
	return strings.TrimSuffix(addr, ",")
}

func runQuiet(args ...string) (int, string, string) {
	var out, errb strings.Builder
	code := realMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// waitFor polls cond until it holds; it fails the test when the process
// exits first or after two minutes (a bound for a loaded machine, not a
// timing assertion).
func waitFor(t *testing.T, exited <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("a process exited while waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// freeTCPPort returns a port that only this test process can hand out
// until it exits (see testport).
func freeTCPPort(t *testing.T) string { return strconv.Itoa(testport.Get(t)) }
