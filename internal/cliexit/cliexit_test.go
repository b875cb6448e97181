package cliexit_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/redoflow/redoflow/internal/cliexit"
)

func TestCode(t *testing.T) {
	live := context.Background()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{live, nil, 0},
		{live, flag.ErrHelp, 0},
		{stopped, fmt.Errorf("run: %w", context.Canceled), 0},
		{live, context.Canceled, 1},
		{live, cliexit.UsageError{Err: errors.New(`REST_PORT="x": want a number`)}, 2},
		{live, fmt.Errorf("wrapped: %w", cliexit.UsageError{Err: errors.New("bad")}), 2},
		{live, errors.New("ORA-01291"), 1},
	} {
		var buf bytes.Buffer
		if got := cliexit.Code(tt.ctx, "worker", tt.err, &buf); got != tt.want {
			t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if tt.want != 0 && !bytes.HasPrefix(buf.Bytes(), []byte("worker: ")) {
			t.Errorf("Code(%v) printed %q", tt.err, buf.String())
		}
	}
}
