package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/internal/testzk"
)

// TestCommandsAgainstHACluster runs the commands against the compose
// topology on loopback: ZooKeeper, a leader and a standby coordinator, a
// worker. status tells leader from standby; jobs and savepoint work through
// the standby (it forwards); when the leader is stopped, the commands move
// on to the next coordinator and status shows the new leader.
func TestCommandsAgainstHACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs coordinators, a worker and ZooKeeper")
	}
	zk := testzk.Start(t, 1)
	bin := buildCommands(t, "coordinator", "worker")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	simHost, simPort, _ := net.SplitHostPort(startSim(t, ctx))

	data := t.TempDir()
	output := filepath.Join(data, "output", "cdc")
	common := []string{
		"HA_MODE=zookeeper", "HA_ZOOKEEPER_QUORUM=" + zk.Addr(0), "HA_CLUSTER_ID=/cli-test",
		"REDOFLOW_ADVERTISED_HOST=127.0.0.1",
		"DATABASE_HOST=" + simHost, "DATABASE_PORT=" + simPort, "DATABASE_SID=REDOFLOW",
		"DATABASE_USERNAME=system", "DATABASE_PASSWORD=helowin",
		"DATABASE_SCHEMA=FINANCE_USER", "DATABASE_TABLES=TRANS_INFO",
		"SCAN_STARTUP_MODE=latest-offset",
		"OUTPUT_PATH=" + output,
		"CHECKPOINT_DIR=" + filepath.Join(data, "checkpoints"),
		"SAVEPOINT_DIR=" + filepath.Join(data, "savepoints"),
		"HA_STORAGE_DIR=" + filepath.Join(data, "ha"),
		"CHECKPOINT_INTERVAL=500",
		"REDOFLOW_CLUSTER_SECRET=cli-test-cluster-secret-0123456789abcdef",
	}
	coordinator := func(name string) (string, *process) {
		rest := freeTCPPort(t)
		p := startProcess(t, filepath.Join(bin, "coordinator"), filepath.Join(data, name+".log"),
			append(common, "REST_PORT="+rest, "METRICS_PORT="+freeTCPPort(t), "REDOFLOW_INTERNAL_PORT="+freeTCPPort(t), "REDOFLOW_NODE_ID="+name)...)
		return "http://127.0.0.1:" + rest, p
	}
	role := func(url string) string {
		c, err := newRESTClient(url, restTimeout)
		if err != nil {
			t.Fatal(err)
		}
		var ha haInfo
		if _, err := c.do(context.Background(), http.MethodGet, "/ha", nil, &ha); err != nil {
			return ""
		}
		return ha.str("role")
	}

	leader, c1 := coordinator("c1")
	waitFor(t, c1.exited, "c1 to lead", func() bool { return role(leader) == "leader" })
	standby, c2 := coordinator("c2")
	waitFor(t, c2.exited, "c2 to stand by", func() bool { return role(standby) == "standby" })
	w1 := startProcess(t, filepath.Join(bin, "worker"), filepath.Join(data, "w1.log"),
		append(common, "REST_PORT="+freeTCPPort(t), "METRICS_PORT="+freeTCPPort(t),
			"REDOFLOW_WORKER_PORT="+freeTCPPort(t), "REDOFLOW_NODE_ID=w1")...)

	// jobs through the standby, which forwards to the leader.
	var job string
	waitFor(t, w1.exited, "the job to run", func() bool {
		code, out, _ := runQuiet("jobs", "--json", "--rest", standby)
		var jo jobsOverview
		if code != exitOK || json.Unmarshal([]byte(out), &jo) != nil || len(jo.Jobs) == 0 {
			return false
		}
		job = jo.Jobs[0].ID
		return jo.Jobs[0].State == "RUNNING"
	})

	code, out, _ := run(t, "status", "--rest", standby+","+leader, "--output", output)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	for _, want := range []string{"UP    (standby", "UP    (leader", "leader: " + leader, "workers: 1", "w1  slots 4", job + "  "} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q", want)
		}
	}

	// A savepoint through the standby.
	code, out, _ = run(t, "savepoint", job, "--rest", standby, "--poll", "100ms", "--wait", "2m")
	if code != exitOK || !strings.Contains(out, filepath.Join(data, "savepoints")) {
		t.Errorf("savepoint through the standby: exit %d, %q", code, out)
	}

	// Stop the leader (SIGTERM: it resigns): c2 leads, and the commands,
	// given the old leader first, move on to it.
	c1.stop()
	waitFor(t, c2.exited, "c2 to lead", func() bool { return role(standby) == "leader" })
	waitFor(t, c2.exited, "the job to run again", func() bool {
		code, out, _ := runQuiet("jobs", "--rest", leader+","+standby)
		return code == exitOK && strings.Contains(out, "RUNNING")
	})
	code, out, _ = run(t, "status", "--rest", leader+","+standby, "--output", "")
	if code != exitOK || !strings.Contains(out, "DOWN") || !strings.Contains(out, "leader: "+standby) {
		t.Errorf("status after failover: exit %d", code)
	}
}
