package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/worker"
)

// TestForgedCommandsAreRefused tries on a worker's command port each call a forger
// would send (issue 14, finding 2): an epoch of 999999 that would make the worker refuse
// every real leader, an assignment that would start a second attempt, a cancel, a
// savepoint and a status read. Without the cluster secret, or with another one, every
// call is refused with 401 and an answer that names neither the worker nor an attempt;
// the worker's epoch and tasks are untouched. With the secret, an epoch no leader was
// elected with is still refused. The real leader's commands go through.
func TestForgedCommandsAreRefused(t *testing.T) {
	out := t.TempDir()
	n := ha.NewNone()
	defer n.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	auth := newAuth(t, testSecret)
	cfg := worker.DefaultConfig()
	cfg.ID, cfg.Address, cfg.Listener, cfg.Slots = "worker-7", ln.Addr().String(), ln, 2
	cfg.Leader, cfg.Registry, cfg.Auth, cfg.CheckpointTimeout = n, n, auth, 2*time.Second
	cfg.Tasks = worker.PipelineTasks{CheckpointInterval: 50 * time.Millisecond, New: func(spec worker.TaskSpec) (pipeline.Source, pipeline.Sink, error) {
		kc := csv.DefaultConfig()
		kc.Dir, kc.Task = out, spec.Task
		s, err := csv.New(kc)
		return endless{}, csv.PipelineSink{S: s}, err
	}}
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	fake := fakeLeader(t, auth, func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathLatest:
			wire.WriteJSON(rw, 200, wire.Latest{})
		case wire.PathCheckpoint:
			wire.WriteJSON(rw, 200, wire.CheckpointAck{Path: "/acknowledged"})
		default:
			wire.WriteJSON(rw, 200, struct{}{})
		}
	})
	l, err := n.Campaign(ctx, fake)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	leader := auth.Client(&http.Client{Timeout: 10 * time.Second})
	ref := wire.TaskRef{Job: "j", Task: "0", Epoch: l.Epoch(), Attempt: 3}
	if err := wire.Call(ctx, leader, addr, wire.PathAssign, wire.Assign{Ref: ref}, nil); err != nil {
		t.Fatal(err)
	}
	status := func() wire.Status {
		t.Helper()
		var st wire.Status
		if err := wire.Call(ctx, leader, addr, wire.PathStatus, nil, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := status()
	if before.Epoch != l.Epoch() || len(before.Tasks) != 1 || before.Tasks[0] != ref {
		t.Fatalf("status before the forged calls: %+v", before)
	}

	forged := []forgedCall{
		{http.MethodPost, wire.PathEpoch, wire.EpochNotice{Epoch: 999999}},
		{http.MethodPost, wire.PathAssign, wire.Assign{Ref: wire.TaskRef{Job: "j", Task: "0", Epoch: 999999, Attempt: 1}}},
		{http.MethodPost, wire.PathAssign, wire.Assign{Ref: wire.TaskRef{Job: "j", Task: "1", Epoch: l.Epoch(), Attempt: 1}}},
		{http.MethodPost, wire.PathCancel, wire.Cancel{Ref: ref}},
		{http.MethodPost, wire.PathSavepoint, wire.SavepointRequest{Ref: ref, Dir: t.TempDir()}},
		{http.MethodGet, wire.PathStatus, nil},
	}
	refuseAll(t, addr, cfg.ID, forged)
	// A member of the cluster cannot raise the epoch past the election's either.
	err = wire.Call(ctx, leader, addr, wire.PathEpoch, wire.EpochNotice{Epoch: 999999}, nil)
	if !errors.Is(err, wire.ErrUnknownEpoch) {
		t.Errorf("signed epoch 999999: %v, want %v", err, wire.ErrUnknownEpoch)
	}
	after := status()
	if after.Epoch != before.Epoch || len(after.Tasks) != 1 || after.Tasks[0] != ref {
		t.Errorf("after the forged calls: %+v, want %+v", after, before)
	}
	// The real leader's commands still work.
	if err := wire.Call(ctx, leader, addr, wire.PathCancel, wire.Cancel{Ref: ref}, nil); err != nil {
		t.Fatal(err)
	}
	if st := status(); len(st.Tasks) != 0 {
		t.Errorf("after the leader's cancel: %+v", st)
	}
}

type forgedCall struct {
	method, path string
	body         any
}

// refuseAll sends each call to addr without the cluster secret and with another, and
// requires 401 answers that tell nothing of the worker.
func refuseAll(t *testing.T, addr, id string, calls []forgedCall) {
	t.Helper()
	wrong := newAuth(t, []byte("another-cluster-secret-0123456789abcdef")).Client(nil)
	for _, f := range calls {
		for name, c := range map[string]*http.Client{"no secret": {}, "another secret": wrong} {
			status, body := send(t, c, f.method, "http://"+addr+f.path, f.body)
			if status != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: HTTP %d %s, want 401", f.method, f.path, name, status, body)
			}
			if strings.Contains(body, id) || strings.Contains(body, `"attempt"`) || strings.Contains(body, `"tasks"`) {
				t.Errorf("%s %s with %s: the refusal tells of the worker: %s", f.method, f.path, name, body)
			}
		}
	}
}

// send makes one request through c and returns the status and body; a refused answer
// of a signed call is its UnverifiedAnswerError's.
func send(t *testing.T, c *http.Client, method, url string, in any) (int, string) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	resp, err := c.Do(req)
	var ua *wire.UnverifiedAnswerError
	if errors.As(err, &ua) {
		return ua.Status, ua.Text
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
