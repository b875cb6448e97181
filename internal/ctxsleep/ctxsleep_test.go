package ctxsleep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/ctxsleep"
)

func TestFor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	if err := ctxsleep.For(ctx, 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("full pause: %v after %v", err, time.Since(start))
	}
	if err := ctxsleep.For(ctx, 0); err != nil {
		t.Fatalf("zero pause: %v", err)
	}
	time.AfterFunc(10*time.Millisecond, cancel)
	if err := ctxsleep.For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("pause ended by cancel: %v, want context.Canceled", err)
	}
	if err := ctxsleep.For(ctx, -time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("negative pause on an ended context: %v, want context.Canceled", err)
	}
}
