package rest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoflow/redoflow/ha"
	"github.com/redoflow/redoflow/internal/wire"
)

// Backend answers the API on the leader. The coordinator implements it.
//
// An error that wraps ErrNotFound answers 404, ErrConflict 409, ha.ErrNotLeader (a leader
// that just lost its leadership) 503; any other 500.
type Backend interface {
	Overview(ctx context.Context) (Overview, error)
	Jobs(ctx context.Context) ([]JobOverview, error)
	Job(ctx context.Context, id string) (JobDetail, error)
	Checkpoints(ctx context.Context, id string) (Checkpoints, error)
	// Exceptions returns the job's failures: its root exception and the whole history
	// the leader keeps, newest first (the handler applies maxExceptions and
	// failureLabelFilter).
	Exceptions(ctx context.Context, id string) (JobExceptions, error)
	TaskManagers(ctx context.Context) ([]TaskManager, error)
	// TriggerSavepoint starts a savepoint into dir (inside SAVEPOINT_DIR, checked by the
	// handler) and returns its trigger id; with cancelJob the job is cancelled after it.
	TriggerSavepoint(ctx context.Context, id, dir string, cancelJob bool) (string, error)
	// Stop takes a savepoint into dir and then stops the job (FINISHED).
	Stop(ctx context.Context, id, dir string) (string, error)
	SavepointStatus(ctx context.Context, id, trigger string) (SavepointStatus, error)
	Cancel(ctx context.Context, id string) error
	// Resume runs a failed, cancelled or finished job again: from savepoint when it is not empty
	// (a savepoint directory inside SAVEPOINT_DIR, checked by the handler), else from the
	// latest checkpoint. Jobs are defined by configuration: this replaces Flink's
	// re-submission with `flink run -s`.
	Resume(ctx context.Context, id, savepoint string) error
}

// Headers of forwarded answers.
const (
	// HeaderForwardedTo is set on answers a standby forwarded; it names the leader.
	HeaderForwardedTo = "X-Redoflow-Forwarded-To"
	// HeaderRole is set on every answer: leader, standby or none.
	HeaderRole = "X-Redoflow-Role"
	// headerForwardedBy marks a forwarded request, so that two coordinators that both
	// believe the other leads do not forward in a loop.
	headerForwardedBy = "X-Redoflow-Forwarded-By"
)

// Config configures the handler.
type Config struct {
	// Backend answers on the leader.
	Backend Backend
	// HA reports who leads now. Required.
	HA func() HAStatus
	// SavepointDir is SAVEPOINT_DIR: savepoint targets must lie inside it.
	SavepointDir string
	// Token, when set, is the bearer token the operations (savepoint, stop, cancel,
	// resume) require in an "Authorization: Bearer <token>" header
	// [REDOFLOW_REST_TOKEN]. Reads need none, as in Flink.
	Token string
	// Transport forwards to the leader; nil uses http.DefaultTransport.
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Validate reports a missing field.
func (c Config) Validate() error {
	switch {
	case c.Backend == nil:
		return errors.New("rest: Config.Backend is nil")
	case c.HA == nil:
		return errors.New("rest: Config.HA is nil")
	case c.SavepointDir == "":
		return errors.New("rest: SAVEPOINT_DIR is empty: name the directory savepoints go to")
	}
	return nil
}

type handler struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// NewHandler returns the REST API handler.
func NewHandler(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.cfg.Transport == nil {
		h.cfg.Transport = http.DefaultTransport
	}
	m := h.mux
	m.HandleFunc("GET /overview", h.overview)
	m.HandleFunc("GET /jobs", h.jobs)
	m.HandleFunc("GET /jobs/overview", h.jobsOverview)
	m.HandleFunc("GET /jobs/{id}", h.job)
	m.HandleFunc("PATCH /jobs/{id}", h.cancel)
	m.HandleFunc("GET /jobs/{id}/yarn-cancel", h.cancel)
	m.HandleFunc("GET /jobs/{id}/checkpoints", h.checkpoints)
	m.HandleFunc("GET /jobs/{id}/exceptions", h.exceptions)
	m.HandleFunc("POST /jobs/{id}/savepoints", h.savepoint)
	m.HandleFunc("GET /jobs/{id}/savepoints/{trigger}", h.savepointStatus)
	m.HandleFunc("POST /jobs/{id}/stop", h.stop)
	m.HandleFunc("POST /jobs/{id}/resume", h.resume)
	m.HandleFunc("GET /taskmanagers", h.taskManagers)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		wire.WriteError(w, http.StatusNotFound, wire.CodeNotFound, "no API at %s %s", r.Method, r.URL.Path)
	})
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := h.cfg.HA()
	w.Header().Set(HeaderRole, st.Role)
	switch {
	case r.URL.Path == "/ha":
		wire.WriteJSON(w, http.StatusOK, st)
		return
	case strings.HasPrefix(r.URL.Path, "/internal/"):
		// The coordinator-worker protocol has its own port, and is never forwarded.
		wire.WriteError(w, http.StatusNotFound, wire.CodeNotFound, "no API at %s %s: the internal protocol is not served on the REST port", r.Method, r.URL.Path)
		return
	case isOperation(r) && !h.authorized(r):
		w.Header().Set("WWW-Authenticate", `Bearer realm="redoflow"`)
		wire.WriteError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "%s %s changes the job: it needs the REST token (Authorization: Bearer <REDOFLOW_REST_TOKEN>)", r.Method, r.URL.Path)
		return
	case st.Role == "leader":
		h.mux.ServeHTTP(w, r)
		return
	case st.LeaderAddress == "":
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNoLeader, "no leader coordinator is elected yet; retry shortly")
		return
	case r.Header.Get(headerForwardedBy) != "":
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNotLeader, "forwarded to a coordinator that does not lead (leadership is changing); retry shortly")
		return
	}
	h.forward(w, r, st)
}

// isOperation reports whether r asks for one of the operations that change the job: the
// only requests the API serves that are not reads (savepoint, stop, cancel, resume; any
// method but GET and HEAD, and Flink's legacy GET /jobs/{id}/yarn-cancel).
func isOperation(r *http.Request) bool {
	return (r.Method != http.MethodGet && r.Method != http.MethodHead) || strings.HasSuffix(r.URL.Path, "/yarn-cancel")
}

// authorized reports whether r carries the REST token, or no token is configured. The
// comparison takes the same time whatever the token sent.
func (h *handler) authorized(r *http.Request) bool {
	if h.cfg.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(h.cfg.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// forward proxies the request to the leader.
func (h *handler) forward(w http.ResponseWriter, r *http.Request, st HAStatus) {
	target := &url.URL{Scheme: "http", Host: st.LeaderAddress}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set(headerForwardedBy, st.ID)
		},
		Transport: h.cfg.Transport,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set(HeaderForwardedTo, st.LeaderAddress)
			resp.Header.Set(HeaderRole, st.Role)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			w.Header().Set(HeaderForwardedTo, st.LeaderAddress)
			wire.WriteError(w, http.StatusBadGateway, wire.CodeUnavailable, "forwarding to the leader at %s: %v", st.LeaderAddress, err)
		},
	}
	p.ServeHTTP(w, r)
}

// reply writes v, or the JSON error err maps to.
func (h *handler) reply(w http.ResponseWriter, status int, v any, err error) {
	if err == nil {
		wire.WriteJSON(w, status, v)
		return
	}
	switch {
	case errors.Is(err, ErrNotFound):
		wire.WriteError(w, http.StatusNotFound, wire.CodeNotFound, "%v", err)
	case errors.Is(err, ErrConflict):
		wire.WriteError(w, http.StatusConflict, wire.CodeConflict, "%v", err)
	case errors.Is(err, ha.ErrNotLeader):
		wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNotLeader, "%v", err)
	default:
		h.log.Warn("REST request failed", "err", err)
		wire.WriteError(w, http.StatusInternalServerError, wire.CodeInternal, "%v", err)
	}
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	v, err := h.cfg.Backend.Overview(r.Context())
	h.reply(w, http.StatusOK, v, err)
}

func (h *handler) jobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := h.cfg.Backend.Jobs(r.Context())
	out := struct {
		Jobs []JobIDStatus `json:"jobs"`
	}{Jobs: []JobIDStatus{}}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, JobIDStatus{ID: j.JID, Status: j.State})
	}
	h.reply(w, http.StatusOK, out, err)
}

func (h *handler) jobsOverview(w http.ResponseWriter, r *http.Request) {
	jobs, err := h.cfg.Backend.Jobs(r.Context())
	if jobs == nil {
		jobs = []JobOverview{}
	}
	h.reply(w, http.StatusOK, struct {
		Jobs []JobOverview `json:"jobs"`
	}{jobs}, err)
}

func (h *handler) job(w http.ResponseWriter, r *http.Request) {
	v, err := h.cfg.Backend.Job(r.Context(), r.PathValue("id"))
	h.reply(w, http.StatusOK, v, err)
}

func (h *handler) checkpoints(w http.ResponseWriter, r *http.Request) {
	v, err := h.cfg.Backend.Checkpoints(r.Context(), r.PathValue("id"))
	h.reply(w, http.StatusOK, v, err)
}

func (h *handler) taskManagers(w http.ResponseWriter, r *http.Request) {
	tms, err := h.cfg.Backend.TaskManagers(r.Context())
	if tms == nil {
		tms = []TaskManager{}
	}
	h.reply(w, http.StatusOK, struct {
		TaskManagers []TaskManager `json:"taskmanagers"`
	}{tms}, err)
}

// cancel serves PATCH /jobs/{id} (?mode=cancel, or a body {"state": "cancelled"}, or no
// body at all) and Flink's legacy GET /jobs/{id}/yarn-cancel.
func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	if mode := r.URL.Query().Get("mode"); mode != "" && mode != "cancel" {
		wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "mode %q is not supported: use mode=cancel", mode)
		return
	}
	if r.Method == http.MethodPatch {
		var body struct {
			State string `json:"state"`
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if len(strings.TrimSpace(string(b))) > 0 {
			if err := json.Unmarshal(b, &body); err != nil {
				wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "request body: %v", err)
				return
			}
			if s := strings.ToLower(body.State); s != "" && s != "cancelled" && s != "canceled" && s != "cancel" {
				wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "state %q is not supported: only \"cancelled\"", body.State)
				return
			}
		}
	}
	err := h.cfg.Backend.Cancel(r.Context(), r.PathValue("id"))
	h.reply(w, http.StatusAccepted, struct{}{}, err)
}

func (h *handler) savepoint(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TargetDirectory string `json:"target-directory"`
		CancelJob       bool   `json:"cancel-job"`
	}
	if !h.body(w, r, &body) {
		return
	}
	dir, ok := h.target(w, body.TargetDirectory)
	if !ok {
		return
	}
	id, err := h.cfg.Backend.TriggerSavepoint(r.Context(), r.PathValue("id"), dir, body.CancelJob)
	h.reply(w, http.StatusAccepted, TriggerResponse{RequestID: id}, err)
}

func (h *handler) stop(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TargetDirectory string `json:"targetDirectory"`
		Drain           bool   `json:"drain"`
	}
	if !h.body(w, r, &body) {
		return
	}
	dir, ok := h.target(w, body.TargetDirectory)
	if !ok {
		return
	}
	id, err := h.cfg.Backend.Stop(r.Context(), r.PathValue("id"), dir)
	h.reply(w, http.StatusAccepted, TriggerResponse{RequestID: id}, err)
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SavepointPath string `json:"savepointPath"`
	}
	if !h.body(w, r, &body) {
		return
	}
	path := ""
	if body.SavepointPath != "" {
		var ok bool
		if path, ok = h.target(w, body.SavepointPath); !ok {
			return
		}
	}
	err := h.cfg.Backend.Resume(r.Context(), r.PathValue("id"), path)
	h.reply(w, http.StatusAccepted, struct{}{}, err)
}

func (h *handler) savepointStatus(w http.ResponseWriter, r *http.Request) {
	v, err := h.cfg.Backend.SavepointStatus(r.Context(), r.PathValue("id"), r.PathValue("trigger"))
	h.reply(w, http.StatusOK, v, err)
}

// body decodes an optional JSON body.
func (h *handler) body(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "request body: %v", err)
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "request body: %v", err)
		return false
	}
	return true
}

// target resolves a savepoint target directory: SAVEPOINT_DIR when empty, else a
// directory inside SAVEPOINT_DIR (a path or file:// URL). Anything else is refused.
func (h *handler) target(w http.ResponseWriter, dir string) (string, bool) {
	dir, err := SavepointTarget(h.cfg.SavepointDir, dir)
	if err != nil {
		wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
		return "", false
	}
	return dir, true
}

// SavepointTarget resolves a requested savepoint directory against SAVEPOINT_DIR: empty
// is SAVEPOINT_DIR itself; a relative path is taken inside it; an absolute path or
// file:// URL must lie inside it once the symbolic links of both are resolved (of the
// part of each that exists), so that a link inside SAVEPOINT_DIR cannot lead a savepoint
// out of it, and a link to it (the image's /opt/flink -> /opt/redoflow) leads in. It
// returns the resolved path. A name no file system takes (a NUL byte, a component over
// 255 bytes, a path over 4095) is refused here, as a bad request.
func SavepointTarget(savepointDir, requested string) (string, error) {
	base, err := filepath.Abs(savepointDir)
	if err != nil {
		return "", err
	}
	if requested == "" {
		return base, nil
	}
	p := strings.TrimPrefix(requested, "file://")
	if strings.Contains(p, "://") {
		return "", fmt.Errorf("target-directory %q: only local paths and file:// URLs inside SAVEPOINT_DIR (%s) are allowed", requested, base)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	p = filepath.Clean(p)
	if err := checkPathName(p); err != nil {
		return "", fmt.Errorf("target-directory %q: %v", requested, err)
	}
	realBase, err := resolveExisting(base)
	if err != nil {
		return "", fmt.Errorf("SAVEPOINT_DIR %s: %v", base, err)
	}
	real, err := resolveExisting(p)
	if err != nil {
		return "", fmt.Errorf("target-directory %q: %v", requested, err)
	}
	rel, err := filepath.Rel(realBase, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("target-directory %q is outside SAVEPOINT_DIR (%s): savepoints may only be written there", requested, base)
	}
	return real, nil
}

// checkPathName refuses a path that no Linux file system would take.
func checkPathName(p string) error {
	if strings.ContainsRune(p, 0) {
		return errors.New("contains a NUL byte")
	}
	if len(p) > 4095 {
		return fmt.Errorf("is %d bytes long: a path has at most 4095", len(p))
	}
	for _, name := range strings.Split(p, string(filepath.Separator)) {
		if len(name) > 255 {
			return fmt.Errorf("has a name of %d bytes: a name has at most 255", len(name))
		}
	}
	return nil
}

// resolveExisting returns the absolute path p with every symbolic link on it resolved,
// dangling ones included, up to the first name that does not exist; the rest, which
// does not exist yet, is appended as it is. So the result is where a directory created
// at p would be.
func resolveExisting(p string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur, links := "/", 0
	for i := 0; i < len(parts); i++ {
		switch parts[i] {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur) // cur has no links: its parent is the real one
			continue
		}
		next := filepath.Join(cur, parts[i])
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		parts = append(strings.Split(target, "/"), parts[i+1:]...)
		i = -1
	}
	return cur, nil
}
