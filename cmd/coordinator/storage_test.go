package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tableFiles lists the files of the output's table directories with their sizes.
func (c *cluster) tableFiles() map[string]int64 {
	c.t.Helper()
	files := map[string]int64{}
	paths, _ := filepath.Glob(filepath.Join(c.out, "*", "*"))
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			files[p] = fi.Size()
		}
	}
	return files
}

// waitLog waits until p's log contains want.
func (c *cluster) waitLog(p *proc, want string) {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		if b, _ := os.ReadFile(p.log); strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s logged no %q within %v", p.name, want, waitLimit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNoneModeDirectories: with HA_MODE=NONE the coordinator runs the job and holds its
// directories; a second one on them (a standby started without ZooKeeper) is refused, naming
// the first one's pid. Restarted after its checkpoint directory is gone, the coordinator
// finds no checkpoint, and its task refuses to start fresh over the committed output
// instead of writing it again, touching no file. With the checkpoints back the job resumes
// and finishes, and the output verifies clean.
func TestNoneModeDirectories(t *testing.T) {
	c := newCluster(t, 0, 6000, 1000)
	defer c.dumpLogs()
	p := c.startCoordinator(0)
	c.waitJob(p, "RUNNING")
	c.waitRows(0, "first rows")

	second := c.start("coordinator-second", filepath.Join(binDir, "coordinator"), []string{"-bind", "127.0.0.1",
		"-rest-port", fmt.Sprint(freePort(t)), "-metrics-port", fmt.Sprint(freePort(t)), "-node-id", "c9",
		"-worker-port", fmt.Sprint(freePort(t)), "-until-truth", c.truth}, c.env, 0)
	select {
	case <-second.done:
	case <-time.After(waitLimit):
		t.Fatalf("a second coordinator with HA_MODE=NONE on the same directories still runs after %v", waitLimit)
	}
	b, _ := os.ReadFile(second.log)
	if code := second.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(b), "in use by another redoflow job") ||
		!strings.Contains(string(b), fmt.Sprintf("held by pid %d on host ", p.cmd.Process.Pid)) {
		t.Fatalf("second coordinator: exit %d, log %q; want exit 1 naming the first one's pid", code, b)
	}

	c.kill(p, syscall.SIGKILL)
	chk := filepath.Join(c.dir, "checkpoints")
	if err := os.Rename(chk, chk+".moved"); err != nil {
		t.Fatal(err)
	}
	before := c.tableFiles()
	c.restart(p)
	c.waitLog(p, "holds committed files of task 0")
	c.kill(p, syscall.SIGKILL)
	if after := c.tableFiles(); !maps.Equal(before, after) {
		t.Fatalf("the task that refused to start fresh changed the output: %v, was %v", after, before)
	}

	if err := os.RemoveAll(chk); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(chk+".moved", chk); err != nil {
		t.Fatal(err)
	}
	c.restart(p)
	c.finish(p)
}

// TestStandaloneJobRefusedBesideCluster: while a ZooKeeper cluster's worker runs the
// job's task, its attempt holds the job's directories shared: a standalone redoflow run on
// them is refused (exit 1), saying a cluster's workers hold them, and writes nothing; the
// cluster's output verifies clean.
func TestStandaloneJobRefusedBesideCluster(t *testing.T) {
	c := newCluster(t, 1, 6000, 1000)
	defer c.dumpLogs()
	p := c.startCoordinator(0)
	c.startWorker(0)
	c.waitJob(p, "RUNNING")
	c.waitRows(0, "first rows")

	cmd := exec.Command(filepath.Join(binDir, "redoflow"), "run", "--until-truth", c.truth)
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "in use by another redoflow job (shared by the task attempts of a cluster's workers)") {
		t.Fatalf("standalone run beside the cluster: exit %d (%v), output %q; want exit 1, refused", code, err, out)
	}
	c.finish(p)
}
