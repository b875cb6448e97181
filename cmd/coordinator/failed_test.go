package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/rest"
)

// TestFailedJobSurvivesFailover: a fatal error (the workers name a table that is not in
// the database) fails the job at once, without restarts: FAILED with its cause in
// /jobs/{id}, /overview and /jobs/{id}/exceptions. The leader is killed: the new one,
// from ZooKeeper, shows the job FAILED with the same cause, and does not start it. Once
// the cause is fixed (the workers restarted with the right tables), a resume runs the job
// to the end, and verify finds every change exactly once.
func TestFailedJobSurvivesFailover(t *testing.T) {
	c := newCluster(t, 1, 8000, 400)
	defer c.dumpLogs()
	c.startCoordinator(0)
	c.startCoordinator(1)
	bad := append(slices.Clone(c.env), "DATABASE_TABLES=TRANS_INFO,TRANS_LOG,NO_SUCH_TABLE")
	w := c.startWorkerEnv(0, bad)
	l, _ := c.leader(nil)
	if d := c.waitJob(l, "FAILED"); d.Restarts != 0 {
		t.Errorf("restarts = %d: the fatal error was retried", d.Restarts)
	}
	root := c.checkFailed(l, "NO_SUCH_TABLE")

	c.kill(l, syscall.SIGKILL)
	nl, _ := c.leader(l)
	c.waitJob(nl, "FAILED")
	if again := c.checkFailed(nl, "NO_SUCH_TABLE"); again != root {
		t.Errorf("the new leader's root exception %q, the old one's %q", again, root)
	}
	c.restart(l) // back as standby

	// The cause fixed, the job resumes.
	c.kill(w, syscall.SIGTERM)
	w.env = c.env
	c.restart(w)
	c.post(nl, "/jobs/redoflow/resume", "{}")
	c.finish(nl)
}

// checkFailed checks that coordinator p shows the job FAILED in /overview and
// /jobs/{id}/exceptions, with a fatal root exception that mentions want, and returns it.
func (c *cluster) checkFailed(p *proc, want string) string {
	c.t.Helper()
	var o rest.Overview
	if _, err := get(p.port, "/overview", &o); err != nil || o.JobsFailed != 1 {
		c.t.Errorf("%s /overview: %+v, %v; want jobs-failed 1", p.name, o, err)
	}
	var x rest.JobExceptions
	if _, err := get(p.port, "/jobs/redoflow/exceptions", &x); err != nil {
		c.t.Fatal(err)
	}
	if x.RootException == nil || !strings.HasPrefix(*x.RootException, "redoflow.FatalError: ") || !strings.Contains(*x.RootException, want) {
		c.t.Fatalf("%s root exception %v: want a fatal error naming %s", p.name, x.RootException, want)
	}
	if h := x.ExceptionHistory.Entries; len(h) == 0 || h[0].FailureLabels["class"] != "fatal" {
		c.t.Errorf("%s exception history %+v: want the fatal failure first", p.name, h)
	}
	return *x.RootException
}

// post POSTs body to http://127.0.0.1:port/path of p and requires 202 Accepted.
func (c *cluster) post(p *proc, path, body string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d%s", p.port, path), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("POST %s: %s", path, resp.Status)
	}
}
