package rest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/redoflow/redoflow/internal/wire"
)

// JobExceptions is GET /jobs/{id}/exceptions in the shape of Flink 1.18's
// JobExceptionsInfoWithHistory: the job's latest failure as root-exception and timestamp
// (null when it never failed), all-exceptions and truncated (deprecated in Flink, kept for
// scripts that read them), and exceptionHistory, the failures newest first.
type JobExceptions struct {
	RootException    *string          `json:"root-exception"`
	Timestamp        *int64           `json:"timestamp"`
	AllExceptions    []ExceptionInfo  `json:"all-exceptions"`
	Truncated        bool             `json:"truncated"`
	ExceptionHistory ExceptionHistory `json:"exceptionHistory"`
}

// ExceptionInfo is an entry of all-exceptions.
type ExceptionInfo struct {
	Exception     string `json:"exception"`
	Task          string `json:"task"`
	Location      string `json:"location"`
	Timestamp     int64  `json:"timestamp"`
	TaskManagerID string `json:"taskManagerId"`
}

// ExceptionHistory is exceptionHistory.
type ExceptionHistory struct {
	Entries   []RootExceptionInfo `json:"entries"`
	Truncated bool                `json:"truncated"`
}

// RootExceptionInfo is one failure of the job. Stacktrace is the error's text after its
// name (a Go error has no stack). FailureLabels carry redoflow's class of the error
// ("class": "fatal" or "retryable") and the task attempt ("attempt").
type RootExceptionInfo struct {
	ExceptionName        string              `json:"exceptionName"`
	Stacktrace           string              `json:"stacktrace"`
	Timestamp            int64               `json:"timestamp"`
	TaskName             *string             `json:"taskName"`
	Location             *string             `json:"location"`
	Endpoint             *string             `json:"endpoint"`
	TaskManagerID        *string             `json:"taskManagerId"`
	FailureLabels        map[string]string   `json:"failureLabels"`
	ConcurrentExceptions []RootExceptionInfo `json:"concurrentExceptions"`
}

// defaultMaxExceptions is how many history entries an answer holds unless maxExceptions
// says otherwise (Flink's default).
const defaultMaxExceptions = 20

// exceptions serves GET /jobs/{id}/exceptions with Flink's query parameters:
// maxExceptions bounds the history entries (and all-exceptions), failureLabelFilter
// ("key:value", comma-separated) keeps the entries that carry every label given.
func (h *handler) exceptions(w http.ResponseWriter, r *http.Request) {
	limit := defaultMaxExceptions
	if v := r.URL.Query().Get("maxExceptions"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "maxExceptions %q: want a whole number, 0 or more", v)
			return
		}
		limit = n
	}
	filter := map[string]string{}
	if v := r.URL.Query().Get("failureLabelFilter"); v != "" {
		for _, kv := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(kv, ":")
			if !ok || k == "" {
				wire.WriteError(w, http.StatusBadRequest, wire.CodeBadRequest, "failureLabelFilter %q: want key:value pairs, comma-separated", v)
				return
			}
			filter[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	v, err := h.cfg.Backend.Exceptions(r.Context(), r.PathValue("id"))
	if err == nil {
		v = limitExceptions(v, limit, filter)
	}
	h.reply(w, http.StatusOK, v, err)
}

// limitExceptions keeps the history entries that carry every label of filter, at most
// limit of them, and marks the answer truncated when it dropped some for the limit.
func limitExceptions(v JobExceptions, limit int, filter map[string]string) JobExceptions {
	entries := []RootExceptionInfo{}
	for _, e := range v.ExceptionHistory.Entries {
		match := true
		for k, want := range filter {
			if e.FailureLabels[k] != want {
				match = false
			}
		}
		if match {
			entries = append(entries, e)
		}
	}
	if len(entries) > limit {
		entries, v.ExceptionHistory.Truncated = entries[:limit], true
	}
	v.ExceptionHistory.Entries = entries
	if v.AllExceptions == nil {
		v.AllExceptions = []ExceptionInfo{}
	}
	if len(v.AllExceptions) > limit {
		v.AllExceptions, v.Truncated = v.AllExceptions[:limit], true
	}
	return v
}
