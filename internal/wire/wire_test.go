package wire_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/wire"
)

// TestRefusalsMatchAcrossTheWire: a refusal wrapped on one side matches its sentinel on the
// other, through the code of the answer.
func TestRefusalsMatchAcrossTheWire(t *testing.T) {
	refusals := map[string]error{
		"/epoch":   fmt.Errorf("%w: command of epoch 3, newest seen 4", wire.ErrStaleEpoch),
		"/attempt": fmt.Errorf("%w: attempt 1 on w0, current attempt 2 on \"w1\"", wire.ErrStaleAttempt),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch err := refusals[r.URL.Path]; {
		case errors.Is(err, wire.ErrStaleEpoch):
			wire.WriteError(w, http.StatusConflict, wire.CodeStaleEpoch, "%v", err)
		case errors.Is(err, wire.ErrStaleAttempt):
			wire.WriteError(w, http.StatusConflict, wire.CodeStaleAttempt, "%v", err)
		default:
			wire.WriteError(w, http.StatusServiceUnavailable, wire.CodeNotLeader, "does not lead")
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	call := func(path string) error {
		err := wire.Call(context.Background(), srv.Client(), addr, path, nil, nil)
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		return fmt.Errorf("calling %s: %w", path, err)
	}
	for _, tc := range []struct {
		path     string
		code     string
		is, isnt error
	}{
		{"/epoch", wire.CodeStaleEpoch, wire.ErrStaleEpoch, wire.ErrStaleAttempt},
		{"/attempt", wire.CodeStaleAttempt, wire.ErrStaleAttempt, wire.ErrStaleEpoch},
	} {
		err := call(tc.path)
		if wire.CodeOf(err) != tc.code || !errors.Is(err, tc.is) || errors.Is(err, tc.isnt) {
			t.Errorf("%s: %v: code %q, Is(%v) %v, Is(%v) %v", tc.path, err, wire.CodeOf(err),
				tc.is, errors.Is(err, tc.is), tc.isnt, errors.Is(err, tc.isnt))
		}
		if !strings.Contains(err.Error(), refusals[tc.path].Error()) {
			t.Errorf("%s: %q does not carry the refusal %q", tc.path, err, refusals[tc.path])
		}
	}
	if err := call("/other"); errors.Is(err, wire.ErrStaleEpoch) || errors.Is(err, wire.ErrStaleAttempt) {
		t.Errorf("a %s answer matches a refusal: %v", wire.CodeOf(err), err)
	}
}

// TestFailureClassCrossesTheWire: a failure answered with WriteFailure keeps its class on
// the calling side: a fatal one matches failure.ErrFatal, a retryable one does not.
func TestFailureClassCrossesTheWire(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := errors.New("csv sink: OUTPUT_PATH is not writable")
		if r.URL.Path == "/fatal" {
			err = failure.MarkFatal(fmt.Errorf("logminer: %w", err))
		}
		wire.WriteFailure(w, http.StatusInternalServerError, wire.CodeTaskFailed, err)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for path, want := range map[string]failure.Class{"/fatal": failure.Fatal, "/retryable": failure.Retryable} {
		err := wire.Call(context.Background(), srv.Client(), addr, path, nil, nil)
		if got := failure.ClassOf(fmt.Errorf("assign: %w", err)); got != want || wire.CodeOf(err) != wire.CodeTaskFailed {
			t.Errorf("%s: %v: class %q, code %q; want %q, %q", path, err, got, wire.CodeOf(err), want, wire.CodeTaskFailed)
		}
		if !strings.Contains(err.Error(), "OUTPUT_PATH is not writable") {
			t.Errorf("%s: %q lost the message", path, err)
		}
	}
}
