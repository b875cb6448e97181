package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/rest"
)

func TestSavepointTarget(t *testing.T) {
	for _, tc := range []struct {
		req, want string
		ok        bool
	}{
		{"", "/sp", true},
		{"/sp", "/sp", true},
		{"file:///sp/a", "/sp/a", true},
		{"a/b", "/sp/a/b", true},
		{"/sp/../etc", "", false},
		{"../x", "", false},
		{"/opt/flink/savepoints", "", false},
		{"/spx", "", false},
		{"s3://bucket/x", "", false},
	} {
		got, err := rest.SavepointTarget("/sp", tc.req)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("SavepointTarget(/sp, %q) = %q, %v; want %q ok=%v", tc.req, got, err, tc.want, tc.ok)
		}
	}
}

// fake is a Backend with one job "j".
type fake struct {
	cancelled bool
	triggered string
}

func (f *fake) Overview(context.Context) (rest.Overview, error) {
	return rest.Overview{TaskManagers: 3, SlotsTotal: 12, SlotsAvailable: 11, JobsRunning: 1}, nil
}
func (f *fake) Jobs(context.Context) ([]rest.JobOverview, error) {
	return []rest.JobOverview{{JID: "j", State: "RUNNING"}}, nil
}
func (f *fake) Job(_ context.Context, id string) (rest.JobDetail, error) {
	if id != "j" {
		return rest.JobDetail{}, rest.ErrNotFound
	}
	return rest.JobDetail{JID: "j", State: "RUNNING"}, nil
}
func (f *fake) Checkpoints(context.Context, string) (rest.Checkpoints, error) {
	return rest.Checkpoints{}, nil
}
func (f *fake) TaskManagers(context.Context) ([]rest.TaskManager, error) { return nil, nil }
func (f *fake) Exceptions(_ context.Context, id string) (rest.JobExceptions, error) {
	if id != "j" {
		return rest.JobExceptions{}, rest.ErrNotFound
	}
	root, ts := "redoflow.FatalError: logminer: redo log missing", int64(3000)
	out := rest.JobExceptions{RootException: &root, Timestamp: &ts}
	for i, class := range []string{"fatal", "retryable", "retryable"} {
		out.ExceptionHistory.Entries = append(out.ExceptionHistory.Entries, rest.RootExceptionInfo{
			ExceptionName: "e" + strconv.Itoa(i), Timestamp: int64(3000 - i), FailureLabels: map[string]string{"class": class}})
	}
	return out, nil
}
func (f *fake) TriggerSavepoint(_ context.Context, _, dir string, _ bool) (string, error) {
	f.triggered = dir
	return "t1", nil
}
func (f *fake) Stop(_ context.Context, _, dir string) (string, error) {
	f.triggered = dir
	return "t2", nil
}
func (f *fake) SavepointStatus(context.Context, string, string) (rest.SavepointStatus, error) {
	return rest.SavepointStatus{}, errors.New("boom")
}
func (f *fake) Cancel(context.Context, string) error { f.cancelled = true; return nil }
func (f *fake) Resume(_ context.Context, _, sp string) error {
	f.triggered = "resume:" + sp
	return nil
}

func do(t *testing.T, h http.Handler, method, path, body string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestLeaderAndStandby(t *testing.T) {
	lf := &fake{}
	leader, err := rest.NewHandler(rest.Config{Backend: lf, SavepointDir: "/sp", HA: func() rest.HAStatus {
		return rest.HAStatus{Role: "leader", ID: "c0", Epoch: 4}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(leader)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	// The leader answers with Flink's field names.
	resp, body := do(t, leader, "GET", "/overview", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"slots-total":12`) || resp.Header.Get(rest.HeaderRole) != "leader" {
		t.Fatalf("overview: %d %s", resp.StatusCode, body)
	}
	if _, body = do(t, leader, "GET", "/jobs", ""); body != `{"jobs":[{"id":"j","status":"RUNNING"}]}`+"\n" {
		t.Errorf("jobs: %s", body)
	}
	// Errors have a stable JSON shape.
	resp, body = do(t, leader, "GET", "/jobs/nope", "")
	var e wire.Error
	if resp.StatusCode != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Code != wire.CodeNotFound || len(e.Errors) != 1 {
		t.Errorf("missing job: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, leader, "GET", "/jobs/j/savepoints/x", "")
	if resp.StatusCode != 500 || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("backend error: %d %s", resp.StatusCode, body)
	}
	// Savepoints outside SAVEPOINT_DIR are refused before reaching the backend.
	resp, body = do(t, leader, "POST", "/jobs/j/savepoints", `{"target-directory": "/opt/flink/savepoints", "cancel-job": false}`)
	if resp.StatusCode != 400 || !strings.Contains(body, "outside SAVEPOINT_DIR") || lf.triggered != "" {
		t.Errorf("savepoint outside: %d %s (backend got %q)", resp.StatusCode, body, lf.triggered)
	}
	resp, body = do(t, leader, "POST", "/jobs/j/savepoints", `{"target-directory": "file:///sp/x"}`)
	if resp.StatusCode != 202 || !strings.Contains(body, `"request-id":"t1"`) || lf.triggered != "/sp/x" {
		t.Errorf("savepoint: %d %s (backend got %q)", resp.StatusCode, body, lf.triggered)
	}
	// Cancel by PATCH ?mode=cancel; other modes are refused.
	if resp, body = do(t, leader, "PATCH", "/jobs/j?mode=stop", ""); resp.StatusCode != 400 || lf.cancelled {
		t.Errorf("mode=stop: %d %s", resp.StatusCode, body)
	}
	if resp, body = do(t, leader, "PATCH", "/jobs/j?mode=cancel", ""); resp.StatusCode != 202 || !lf.cancelled {
		t.Errorf("mode=cancel: %d %s", resp.StatusCode, body)
	}

	// Resume from a savepoint inside SAVEPOINT_DIR only.
	if resp, body = do(t, leader, "POST", "/jobs/j/resume", `{"savepointPath": "/etc"}`); resp.StatusCode != 400 {
		t.Errorf("resume from outside: %d %s", resp.StatusCode, body)
	}
	if resp, body = do(t, leader, "POST", "/jobs/j/resume", `{"savepointPath": "/sp/savepoint-j-3"}`); resp.StatusCode != 202 || lf.triggered != "resume:/sp/savepoint-j-3" {
		t.Errorf("resume: %d %s %q", resp.StatusCode, body, lf.triggered)
	}

	// A standby forwards to the leader and says so.
	sf := &fake{}
	leaderKnown := true
	standby, _ := rest.NewHandler(rest.Config{Backend: sf, SavepointDir: "/sp", HA: func() rest.HAStatus {
		if !leaderKnown {
			return rest.HAStatus{Role: "standby", ID: "c1"}
		}
		return rest.HAStatus{Role: "standby", ID: "c1", LeaderID: "c0", LeaderAddress: addr, Epoch: 4}
	}})
	ssrv := httptest.NewServer(standby)
	defer ssrv.Close()
	r, err := http.Get(ssrv.URL + "/overview")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get(rest.HeaderForwardedTo) != addr || r.Header.Get(rest.HeaderRole) != "standby" || !strings.Contains(string(b), `"taskmanagers":3`) {
		t.Errorf("forwarded overview: %d %v %s", r.StatusCode, r.Header, b)
	}
	if _, body = do(t, standby, "GET", "/ha", ""); !strings.Contains(body, `"role":"standby"`) || !strings.Contains(body, `"leader-address":"`+addr+`"`) || !strings.Contains(body, `"epoch":4`) {
		t.Errorf("standby /ha: %s", body)
	}
	// A forwarded request that lands on a non-leader is not forwarded again.
	req := httptest.NewRequest("GET", "/overview", nil)
	req.Header.Set("X-Redoflow-Forwarded-By", "c0")
	rec := httptest.NewRecorder()
	standby.ServeHTTP(rec, req)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), wire.CodeNotLeader) {
		t.Errorf("forwarding loop guard: %d %s", rec.Code, rec.Body)
	}
	leaderKnown = false
	if resp, body = do(t, standby, "GET", "/jobs", ""); resp.StatusCode != 503 || !strings.Contains(body, wire.CodeNoLeader) {
		t.Errorf("no leader: %d %s", resp.StatusCode, body)
	}
}

// TestExceptions: GET /jobs/{id}/exceptions has Flink's shape (root-exception, timestamp,
// all-exceptions, truncated, exceptionHistory.entries and truncated), and takes Flink's
// maxExceptions and failureLabelFilter.
func TestExceptions(t *testing.T) {
	h, err := rest.NewHandler(rest.Config{Backend: &fake{}, SavepointDir: "/sp", HA: func() rest.HAStatus { return rest.HAStatus{Role: "leader"} }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, map[string]any, []string) {
		resp, body := do(t, h, "GET", path, "")
		var v map[string]any
		json.Unmarshal([]byte(body), &v)
		var names []string
		if hist, ok := v["exceptionHistory"].(map[string]any); ok {
			for _, e := range hist["entries"].([]any) {
				names = append(names, e.(map[string]any)["exceptionName"].(string))
			}
		}
		return resp.StatusCode, v, names
	}
	code, v, names := get("/jobs/j/exceptions")
	for _, k := range []string{"root-exception", "timestamp", "all-exceptions", "truncated", "exceptionHistory"} {
		if _, ok := v[k]; !ok {
			t.Errorf("no %q in %v", k, v)
		}
	}
	if code != 200 || v["root-exception"] != "redoflow.FatalError: logminer: redo log missing" || strings.Join(names, ",") != "e0,e1,e2" {
		t.Fatalf("exceptions: %d %v %v", code, v, names)
	}
	if _, v, names = get("/jobs/j/exceptions?maxExceptions=1"); strings.Join(names, ",") != "e0" || v["exceptionHistory"].(map[string]any)["truncated"] != true {
		t.Errorf("maxExceptions=1: %v, %v", names, v["exceptionHistory"])
	}
	if _, _, names = get("/jobs/j/exceptions?failureLabelFilter=class:retryable"); strings.Join(names, ",") != "e1,e2" {
		t.Errorf("failureLabelFilter=class:retryable: %v", names)
	}
	for _, bad := range []string{"?maxExceptions=-1", "?maxExceptions=x", "?failureLabelFilter=class"} {
		if code, _, _ := get("/jobs/j/exceptions" + bad); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	if code, _, _ := get("/jobs/nope/exceptions"); code != 404 {
		t.Errorf("unknown job: %d, want 404", code)
	}
}

// TestOperationsNeedTheToken: with a REST token, the operations (savepoint, stop, cancel,
// resume; Flink's legacy GET yarn-cancel too) need it, on the leader and before a
// standby forwards; reads need none. The internal protocol is not served on the REST
// port at all, whatever the role.
func TestOperationsNeedTheToken(t *testing.T) {
	const token = "rest-token-0123456789"
	lf := &fake{}
	leader, err := rest.NewHandler(rest.Config{Backend: lf, SavepointDir: "/sp", Token: token, HA: func() rest.HAStatus {
		return rest.HAStatus{Role: "leader", ID: "c0", Epoch: 4}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(leader)
	defer srv.Close()
	sf := &fake{}
	standby, _ := rest.NewHandler(rest.Config{Backend: sf, SavepointDir: "/sp", Token: token, HA: func() rest.HAStatus {
		return rest.HAStatus{Role: "standby", ID: "c1", LeaderID: "c0", LeaderAddress: strings.TrimPrefix(srv.URL, "http://"), Epoch: 4}
	}})
	ops := []struct{ method, path, body string }{
		{"POST", "/jobs/j/savepoints", `{"target-directory": "/sp/x"}`},
		{"POST", "/jobs/j/stop", `{"targetDirectory": "/sp/y"}`},
		{"PATCH", "/jobs/j?mode=cancel", ""},
		{"GET", "/jobs/j/yarn-cancel", ""},
		{"POST", "/jobs/j/resume", `{}`},
	}
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"leader", leader}, {"standby", standby}} {
		for _, op := range ops {
			for _, auth := range []string{"", "Bearer wrong-token", "Basic " + token, token} {
				req := httptest.NewRequest(op.method, op.path, strings.NewReader(op.body))
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), wire.CodeUnauthorized) || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s: %s %s with %q: %d %s, want 401", h.name, op.method, op.path, auth, rec.Code, rec.Body)
				}
			}
		}
		if lf.cancelled || lf.triggered != "" || sf.cancelled || sf.triggered != "" {
			t.Fatalf("%s: an operation without the token reached a backend: %+v %+v", h.name, lf, sf)
		}
	}
	// With the token the operations go through; reads never need it.
	for _, op := range ops {
		req := httptest.NewRequest(op.method, op.path, strings.NewReader(op.body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		leader.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			t.Errorf("%s %s with the token: %d %s", op.method, op.path, rec.Code, rec.Body)
		}
	}
	if resp, body := do(t, standby, "GET", "/overview", ""); resp.StatusCode != 200 {
		t.Errorf("read without the token: %d %s", resp.StatusCode, body)
	}
	for _, h := range []http.Handler{leader, standby} {
		for _, p := range []string{wire.PathCheckpoint, wire.PathTaskEvent, wire.PathLatest} {
			if resp, body := do(t, h, "POST", p, `{"ref":{"job":"j","task":"0","epoch":4,"attempt":1},"state":"FINISHED"}`); resp.StatusCode != 404 {
				t.Errorf("POST %s on the REST port: %d %s, want 404", p, resp.StatusCode, body)
			}
		}
	}
}
