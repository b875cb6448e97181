package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// defaultREST is where the operator commands look for a coordinator: the
// two published REST ports of the compose deployment, leader's first. The
// standby forwards to the leader, so either answers for the cluster.
const defaultREST = "http://localhost:8081,http://localhost:8082"

// restClient talks to the coordinators' Flink-compatible REST API. It tries
// the base URLs in order and moves to the next one only when a connection
// cannot be made, so a request is never sent twice.
type restClient struct {
	bases []string
	hc    *http.Client
}

// restFlag registers --rest on fs, defaulting to $REDOFLOW_REST.
func restFlag(fs interface {
	String(string, string, string) *string
}) *string {
	def := os.Getenv("REDOFLOW_REST")
	if def == "" {
		def = defaultREST
	}
	return fs.String("rest", def, "coordinator REST base URLs, comma-separated, tried in order ($REDOFLOW_REST)")
}

func newRESTClient(list string, timeout time.Duration) (*restClient, error) {
	var bases []string
	for _, b := range strings.Split(list, ",") {
		b = strings.TrimRight(strings.TrimSpace(b), "/")
		if b == "" {
			continue
		}
		if !strings.Contains(b, "://") {
			b = "http://" + b
		}
		u, err := url.Parse(b)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, usageErr(fmt.Errorf("--rest %q: want http://host:port", b))
		}
		bases = append(bases, b)
	}
	if len(bases) == 0 {
		return nil, usageErr(errors.New("--rest is empty: give at least one coordinator URL such as http://localhost:8081"))
	}
	return &restClient{bases: bases, hc: &http.Client{Timeout: timeout}}, nil
}

// apiError is an answer other than 2xx, with Flink's {"errors": [...]}.
type apiError struct {
	Method, URL string
	Status      int
	Errors      []string
}

func (e *apiError) Error() string {
	msg := http.StatusText(e.Status)
	if len(e.Errors) > 0 {
		msg = strings.Join(e.Errors, "; ")
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, msg)
}

// errNoCoordinator says no base URL accepted a connection.
var errNoCoordinator = errors.New("no coordinator reachable")

// do sends the request to the first reachable base and decodes a 2xx JSON
// answer into out (when out is not nil). It returns the base that answered.
func (c *restClient) do(ctx context.Context, method, path string, body, out any) (string, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		payload = b
	}
	var dialErrs []error
	for _, base := range c.bases {
		err := c.doAt(ctx, base, method, path, payload, out)
		if err == nil {
			return base, nil
		}
		if !isDialError(err) {
			return base, err
		}
		dialErrs = append(dialErrs, err)
	}
	return "", fmt.Errorf("%w (tried %s): %w", errNoCoordinator, strings.Join(c.bases, ", "), errors.Join(dialErrs...))
}

// doAt sends one request to one base.
func (c *restClient) doAt(ctx context.Context, base, method, path string, payload []byte, out any) error {
	var r io.Reader
	if payload != nil {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if tok := os.Getenv("REDOFLOW_REST_TOKEN"); tok != "" {
		// The coordinators' operations need it when they have one; reads ignore it.
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, base+path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &apiError{Method: method, URL: base + path, Status: resp.StatusCode}
		var body struct {
			Errors []string `json:"errors"`
		}
		if json.Unmarshal(b, &body) == nil {
			e.Errors = body.Errors
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, base+path, err)
	}
	return nil
}

// isDialError tells a connection that could not be made (nothing was sent)
// from any later failure.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Flink's REST answers, with only the fields redoflow's commands read.

type overview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	JobsFinished   int    `json:"jobs-finished"`
	JobsCancelled  int    `json:"jobs-cancelled"`
	JobsFailed     int    `json:"jobs-failed"`
	Version        string `json:"flink-version"`
}

type jobsList struct {
	Jobs []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"jobs"`
}

type jobOverview struct {
	ID        string `json:"jid"`
	Name      string `json:"name"`
	State     string `json:"state"`
	StartTime int64  `json:"start-time"`
	EndTime   int64  `json:"end-time"`
	Duration  int64  `json:"duration"`
}

type jobsOverview struct {
	Jobs []jobOverview `json:"jobs"`
}

type checkpointStats struct {
	Counts struct {
		Total      int `json:"total"`
		InProgress int `json:"in_progress"`
		Completed  int `json:"completed"`
		Failed     int `json:"failed"`
		Restored   int `json:"restored"`
	} `json:"counts"`
	Latest struct {
		Completed *struct {
			ID                 int64  `json:"id"`
			LatestAckTimestamp int64  `json:"latest_ack_timestamp"`
			StateSize          int64  `json:"state_size"`
			EndToEndDuration   int64  `json:"end_to_end_duration"`
			ExternalPath       string `json:"external_path"`
		} `json:"completed"`
	} `json:"latest"`
}

type taskManagers struct {
	TaskManagers []struct {
		ID                     string `json:"id"`
		Path                   string `json:"path"`
		SlotsNumber            int    `json:"slotsNumber"`
		FreeSlots              int    `json:"freeSlots"`
		TimeSinceLastHeartbeat int64  `json:"timeSinceLastHeartbeat"`
	} `json:"taskmanagers"`
}

type savepointTrigger struct {
	RequestID string `json:"request-id"`
}

type savepointStatus struct {
	Status struct {
		ID string `json:"id"` // IN_PROGRESS or COMPLETED
	} `json:"status"`
	Operation *struct {
		Location     string `json:"location"`
		FailureCause *struct {
			Class      string `json:"class"`
			StackTrace string `json:"stack-trace"`
		} `json:"failure-cause"`
	} `json:"operation"`
}

// jobs returns the jobs with names and times (GET /jobs/overview), or, from
// a coordinator without that route, ids and states (GET /jobs).
func (c *restClient) jobs(ctx context.Context) ([]jobOverview, error) {
	var ov jobsOverview
	_, err := c.do(ctx, http.MethodGet, "/jobs/overview", nil, &ov)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		var l jobsList
		if _, err := c.do(ctx, http.MethodGet, "/jobs", nil, &l); err != nil {
			return nil, err
		}
		out := make([]jobOverview, 0, len(l.Jobs))
		for _, j := range l.Jobs {
			out = append(out, jobOverview{ID: j.ID, State: j.Status, StartTime: -1, EndTime: -1})
		}
		return out, nil
	}
	return ov.Jobs, err
}

// resolveJob turns a job id or a unique prefix of one into the id.
func (c *restClient) resolveJob(ctx context.Context, arg string) (string, error) {
	jobs, err := c.jobs(ctx)
	if err != nil {
		return "", err
	}
	var match []string
	for _, j := range jobs {
		if j.ID == arg {
			return arg, nil
		}
		if strings.HasPrefix(j.ID, arg) {
			match = append(match, j.ID)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("no job %q: redoflow jobs lists them", arg)
	default:
		return "", usageErr(fmt.Errorf("%q matches %d jobs (%s): give more of the id", arg, len(match), strings.Join(match, ", ")))
	}
}
