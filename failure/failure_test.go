package failure_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/redoflow/redoflow/failure"
)

func TestClasses(t *testing.T) {
	base := errors.New("redo thread 1 sequence 7 is missing")
	fatal := failure.MarkFatal(base)
	wrapped := fmt.Errorf("worker: task: %w", fatal)
	for _, tt := range []struct {
		name string
		err  error
		want failure.Class
	}{
		{"plain", base, failure.Retryable},
		{"marked", fatal, failure.Fatal},
		{"wrapped", wrapped, failure.Fatal},
		{"remote fatal", failure.Remote("boom", failure.Fatal), failure.Fatal},
		{"remote retryable", failure.Remote("boom", failure.Retryable), failure.Retryable},
		{"remote of an old sender", failure.Remote("boom", ""), failure.Retryable},
		{"joined", errors.Join(base, fatal), failure.Fatal},
	} {
		if got := failure.ClassOf(tt.err); got != tt.want {
			t.Errorf("%s: ClassOf = %q, want %q", tt.name, got, tt.want)
		}
	}
	if fatal.Error() != base.Error() || !errors.Is(wrapped, base) {
		t.Errorf("marking changed the message or the chain: %q", fatal)
	}
	if failure.MarkFatal(fatal) != fatal || failure.MarkFatal(nil) != nil {
		t.Error("MarkFatal of a fatal error or nil is not the identity")
	}
	if failure.ParseClass("FATAL") != failure.Retryable || failure.ParseClass("fatal") != failure.Fatal {
		t.Error("ParseClass reads only the exact spelling as fatal")
	}
}
