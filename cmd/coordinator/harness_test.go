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
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/testport"
	"github.com/redoflow/redoflow/internal/testzk"
	"github.com/redoflow/redoflow/verify"
)

// The process-level drills run the real binaries, built once by TestMain: two coordinators
// and three workers (as the deployment it replaces: JobManager leader and standby, three
// TaskManagers with 4 slots), redoflow sim in its own process as the Oracle database, and
// real ZooKeeper servers (internal/testzk). No assertion is about time: measured failover
// times are logged.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redoflow-cluster-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	build := exec.Command("go", "build", "-o", dir+"/",
		"github.com/redoflow/redoflow/cmd/coordinator", "github.com/redoflow/redoflow/cmd/worker", "github.com/redoflow/redoflow/cmd/redoflow")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binaries:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitLimit bounds every wait; it guards against hangs and asserts nothing about speed.
const waitLimit = 90 * time.Second

// secret is DATABASE_PASSWORD: it must appear in no log and no REST answer.
const secret = "s3cret-Pa55word"

// clusterSecret is REDOFLOW_CLUSTER_SECRET of every process of the test clusters: it
// must appear in no log either.
const clusterSecret = "harness-cluster-secret-0123456789abcdef"

type proc struct {
	name     string
	args     []string
	env      []string
	log      string
	cmd      *exec.Cmd
	done     chan struct{}
	port     int // REST or command port
	metrics  int // METRICS_PORT
	internal int // REDOFLOW_INTERNAL_PORT of a coordinator
}

type cluster struct {
	t       testing.TB
	dir     string
	zk      *testzk.Cluster
	truth   string
	out     string
	env     []string
	sim     *proc
	coords  []*proc
	workers []*proc
	mu      sync.Mutex
}

// freePort returns a port that only this test process can hand out until
// it exits, so a restarted process can bind it again (see testport).
func freePort(t testing.TB) int { return testport.Get(t) }

// newCluster starts ZooKeeper (zkServers servers) and the simulator with a workload of
// changes at rate per second.
func newCluster(t testing.TB, zkServers int, changes, rate int) *cluster {
	c := &cluster{t: t, dir: t.TempDir()}
	c.truth, c.out = filepath.Join(c.dir, "truth"), filepath.Join(c.dir, "output", "cdc")
	if zkServers > 0 {
		c.zk = testzk.Start(t, zkServers)
	}
	simPort := freePort(t)
	simArgs := []string{"sim", "--listen", fmt.Sprintf("127.0.0.1:%d", simPort), "--rate", fmt.Sprint(rate), "--password", secret}
	if changes > 0 {
		simArgs = append(simArgs, "--changes", fmt.Sprint(changes), "--truth", c.truth)
	}
	c.sim = c.start("sim", filepath.Join(binDir, "redoflow"), simArgs, nil, simPort)
	c.waitListening(simPort)
	mode := "NONE"
	quorum := ""
	if c.zk != nil {
		mode, quorum = "zookeeper", strings.Join(c.zk.Servers(), ",")
	}
	c.env = []string{
		"HA_MODE=" + mode, "HA_ZOOKEEPER_QUORUM=" + quorum, "HA_ZOOKEEPER_PATH_ROOT=/flink", "HA_CLUSTER_ID=/realtime-pipeline",
		"HA_STORAGE_DIR=file://" + filepath.Join(c.dir, "ha"),
		"DATABASE_HOST=127.0.0.1", fmt.Sprintf("DATABASE_PORT=%d", simPort), "DATABASE_USERNAME=FINANCE_USER",
		"DATABASE_PASSWORD=" + secret, "DATABASE_SID=ORCLPDB1", "DATABASE_SCHEMA=FINANCE_USER", "DATABASE_TABLES=TRANS_INFO,TRANS_LOG",
		"OUTPUT_PATH=" + c.out, "CHECKPOINT_DIR=file://" + filepath.Join(c.dir, "checkpoints"),
		"SAVEPOINT_DIR=file://" + filepath.Join(c.dir, "savepoints"), "CHECKPOINT_INTERVAL=500", "REDOFLOW_ROLL_AGE=300ms",
		"REDOFLOW_ADVERTISED_HOST=127.0.0.1", "PARALLELISM_DEFAULT=4", "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=4",
		"REDOFLOW_CLUSTER_SECRET=" + clusterSecret,
	}
	return c
}

func (c *cluster) start(name, bin string, args, env []string, port int) *proc {
	c.t.Helper()
	p := &proc{name: name, args: append([]string{bin}, args...), env: env, log: filepath.Join(c.dir, name+".log"), port: port}
	c.launch(p)
	c.t.Cleanup(func() { c.kill(p, syscall.SIGKILL) })
	return p
}

func (c *cluster) launch(p *proc) {
	c.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	c.mu.Lock()
	p.cmd, p.done = cmd, done
	c.mu.Unlock()
}

// kill signals p (if running) and, unless sig is SIGSTOP/SIGCONT, waits for it to exit.
func (c *cluster) kill(p *proc, sig syscall.Signal) {
	c.mu.Lock()
	cmd, done := p.cmd, p.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if sig == syscall.SIGSTOP || sig == syscall.SIGCONT {
		return
	}
	if sig == syscall.SIGTERM {
		select {
		case <-done:
		case <-time.After(waitLimit):
			c.t.Errorf("%s did not exit after SIGTERM", p.name)
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	} else {
		_ = cmd.Process.Signal(syscall.SIGCONT) // a frozen process must run to die
		<-done
	}
	c.mu.Lock()
	p.cmd = nil
	c.mu.Unlock()
}

func (c *cluster) waitListening(port int) {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("nothing listens on port %d after %v", port, waitLimit)
}

func (c *cluster) startCoordinator(i int) *proc {
	port, mport, iport := freePort(c.t), freePort(c.t), freePort(c.t)
	p := c.start(fmt.Sprintf("coordinator%d", i), filepath.Join(binDir, "coordinator"), []string{"-bind", "127.0.0.1",
		"-rest-port", fmt.Sprint(port), "-metrics-port", fmt.Sprint(mport), "-node-id", fmt.Sprintf("c%d", i),
		"-worker-port", fmt.Sprint(freePort(c.t)), "-until-truth", c.truth}, append(slices.Clone(c.env), fmt.Sprintf("REDOFLOW_INTERNAL_PORT=%d", iport)), port)
	p.metrics, p.internal = mport, iport
	c.coords = append(c.coords, p)
	c.waitListening(port)
	return p
}

func (c *cluster) startWorker(i int) *proc { return c.startWorkerEnv(i, c.env) }

// startWorkerEnv starts worker i with env instead of the cluster's.
func (c *cluster) startWorkerEnv(i int, env []string) *proc {
	port := freePort(c.t)
	p := c.start(fmt.Sprintf("worker%d", i), filepath.Join(binDir, "worker"), []string{"-bind", "127.0.0.1",
		"-port", fmt.Sprint(port), "-metrics-port", fmt.Sprint(freePort(c.t)), "-node-id", fmt.Sprintf("w%d", i),
		"-until-truth", c.truth}, env, port)
	c.workers = append(c.workers, p)
	return p
}

func (c *cluster) restart(p *proc) {
	c.t.Helper()
	c.launch(p)
	c.waitListening(p.port)
}

// get GETs http://127.0.0.1:port/path into v and returns the answer's headers.
func get(port int, path string, v any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.Header, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return resp.Header, json.Unmarshal(b, v)
}

type haStatus struct {
	Role          string `json:"role"`
	ID            string `json:"id"`
	LeaderID      string `json:"leader-id"`
	LeaderAddress string `json:"leader-address"`
	Epoch         int64  `json:"epoch"`
}

// leader waits until a running coordinator (not skip) leads and returns it and its epoch.
func (c *cluster) leader(skip *proc) (*proc, int64) {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		for _, p := range c.coords {
			if p == skip || p.cmd == nil {
				continue
			}
			var st haStatus
			if _, err := get(p.port, "/ha", &st); err == nil && st.Role == "leader" {
				return p, st.Epoch
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no leader within %v", waitLimit)
	return nil, 0
}

type jobDetail struct {
	JID      string `json:"jid"`
	State    string `json:"state"`
	Restarts int    `json:"restarts"`
	Vertices []struct {
		TM string `json:"taskmanager-id"`
	} `json:"vertices"`
}

// job returns the job as coordinator p reports it.
func (c *cluster) job(p *proc) (jobDetail, error) {
	var d jobDetail
	_, err := get(p.port, "/jobs/redoflow", &d)
	return d, err
}

// waitJob waits until p reports the job in state with a task on a worker (RUNNING) or
// in state (others).
func (c *cluster) waitJob(p *proc, state string) jobDetail {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last jobDetail
	var lastErr error
	for time.Now().Before(deadline) {
		d, err := c.job(p)
		last, lastErr = d, err
		if err == nil && d.State == state && (state != "RUNNING" || (len(d.Vertices) == 1 && d.Vertices[0].TM != "")) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("job not %s on %s within %v: last %+v, %v", state, p.name, waitLimit, last, lastErr)
	return last
}

// rows counts the committed CSV rows (files part-*.csv, headers excluded).
func (c *cluster) rows() int {
	n := 0
	filepath.WalkDir(c.out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") || !strings.HasSuffix(d.Name(), ".csv") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 64<<20)
		lines := 0
		for s.Scan() {
			lines++
		}
		if lines > 0 {
			n += lines - 1
		}
		return nil
	})
	return n
}

// waitRows waits until more than n rows are committed and returns when it saw them.
func (c *cluster) waitRows(n int, what string) time.Time {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if c.rows() > n {
			return time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("%s: no committed rows beyond %d within %v", what, n, waitLimit)
	return time.Time{}
}

// finish waits for the workload's truth and the job to finish, then verifies the output.
func (c *cluster) finish(p *proc) {
	c.t.Helper()
	// The simulator keeps serving after its workload: its truth is complete once
	// _final_scn appears.
	deadline := time.Now().Add(3 * waitLimit)
	for {
		if _, err := os.Stat(filepath.Join(c.truth, "_final_scn")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the simulator wrote no truth within %v\n%s", 3*waitLimit, tail(c.sim.log))
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.waitJob(p, "FINISHED")
	c.verify()
}

func (c *cluster) verify() {
	c.t.Helper()
	rep, err := verify.Run(c.out, c.truth)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("verify:\n%s", rep)
	if !rep.Ran(verify.ModePerChange) {
		c.t.Fatal("verify did not run the per-change check")
	}
	if !rep.OK() {
		c.t.Fatal("verify: the output does not match the truth")
	}
}

// noSecret checks every log for DATABASE_PASSWORD.
func (c *cluster) noSecret() {
	c.t.Helper()
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, l := range logs {
		if strings.Contains(filepath.Base(l), "sim") {
			continue // the simulator is the database: it knows the password
		}
		b, _ := os.ReadFile(l)
		if strings.Contains(string(b), secret) {
			c.t.Errorf("%s contains DATABASE_PASSWORD", l)
		}
		if strings.Contains(string(b), clusterSecret) {
			c.t.Errorf("%s contains REDOFLOW_CLUSTER_SECRET", l)
		}
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// dumpLogs logs the tail of every process log when the test failed.
func (c *cluster) dumpLogs() {
	if !c.t.Failed() {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, l := range logs {
		c.t.Logf("---- %s\n%s", filepath.Base(l), tail(l))
	}
}
