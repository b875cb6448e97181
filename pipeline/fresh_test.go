package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/internal/scripted"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/verify"
)

// freshJob runs the scripted source's first txns transactions into out with
// checkpoints in chk.
func freshJob(t *testing.T, out, chk string, txns int) error {
	t.Helper()
	cfg := csv.DefaultConfig()
	cfg.Dir, cfg.Task, cfg.RollSize, cfg.RollAge = out, "0", 700, time.Millisecond
	s, err := csv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return pipeline.Run(context.Background(), pipeline.Config{
		JobID: "fresh", Source: scripted.Source{Txns: txns}, Sink: csv.PipelineSink{S: s},
		CheckpointDir: chk, CheckpointInterval: 5 * time.Millisecond,
	})
}

// damage flips a byte in every checkpoint's metadata and returns a function
// that puts them back.
func damage(t *testing.T, chk string) (repair func()) {
	t.Helper()
	metas, _ := filepath.Glob(filepath.Join(chk, "fresh", "chk-*", "_metadata"))
	if len(metas) == 0 {
		t.Fatal("no checkpoint to damage")
	}
	saved := map[string][]byte{}
	for _, m := range metas {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		saved[m] = b
		bad := append([]byte(nil), b...)
		bad[len(bad)-3] ^= 0x20
		if err := os.WriteFile(m, bad, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for m, b := range saved {
			if err := os.WriteFile(m, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func verifyScripted(t *testing.T, out string, txns int) {
	t.Helper()
	truth := t.TempDir()
	if err := scripted.WriteTruth(truth, txns); err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Run(out, truth)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ran(verify.ModePerChange) || !rep.OK() {
		t.Fatalf("verify:\n%s", rep)
	}
}

// TestNoReadableCheckpointOverOutput: a job whose output holds committed
// files but whose checkpoints are all unreadable, or gone, fails instead of
// starting fresh and writing them again, saying why; with the checkpoints
// back it resumes, and verify finds every change once.
func TestNoReadableCheckpointOverOutput(t *testing.T) {
	dir := t.TempDir()
	out, chk := filepath.Join(dir, "out"), filepath.Join(dir, "chk")
	if err := freshJob(t, out, chk, 100); err != nil {
		t.Fatal(err)
	}

	repair := damage(t, chk)
	err := freshJob(t, out, chk, 200)
	if !errors.Is(err, csv.ErrOutputWithoutCheckpoint) || !strings.Contains(err.Error(), "none of the ") {
		t.Fatalf("unreadable checkpoints: %v", err)
	}
	repair()

	if err := os.Rename(chk, chk+".moved"); err != nil {
		t.Fatal(err)
	}
	err = freshJob(t, out, chk, 200)
	if !errors.Is(err, csv.ErrOutputWithoutCheckpoint) || !strings.Contains(err.Error(), "no completed checkpoint in "+filepath.Join(chk, "fresh")) {
		t.Fatalf("checkpoint directory gone: %v", err)
	}
	if err := os.RemoveAll(chk); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(chk+".moved", chk); err != nil {
		t.Fatal(err)
	}

	if err := freshJob(t, out, chk, 200); err != nil {
		t.Fatalf("with the checkpoints back: %v", err)
	}
	verifyScripted(t, out, 200)
}

// TestFreshStartBesideUnreadableCheckpoints: with the output moved away, a
// job starts fresh beside its unreadable checkpoints; its own checkpoints
// are numbered past them, so that neither overwrites nor prunes the other
// first, and the next start resumes from them.
func TestFreshStartBesideUnreadableCheckpoints(t *testing.T) {
	dir := t.TempDir()
	out, chk := filepath.Join(dir, "out"), filepath.Join(dir, "chk")
	if err := freshJob(t, out, chk, 100); err != nil {
		t.Fatal(err)
	}
	damage(t, chk)
	// As after a long run: the unreadable checkpoints have high numbers.
	dirs, _ := filepath.Glob(filepath.Join(chk, "fresh", "chk-*"))
	for _, d := range dirs {
		n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "chk-"))
		if err := os.Rename(d, filepath.Join(chk, "fresh", "chk-"+strconv.Itoa(n+1000))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(out, out+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := freshJob(t, out, chk, 150); err != nil {
		t.Fatalf("fresh start with the output moved away: %v", err)
	}
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID = chk, "fresh"
	st, err := checkpoint.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := st.Latest()
	if err != nil || m.ID <= 1000 {
		t.Fatalf("the fresh start's checkpoints: newest readable %d, %v; want one numbered past the unreadable ones", m.ID, err)
	}
	if err := freshJob(t, out, chk, 200); err != nil {
		t.Fatalf("resuming from checkpoint %d: %v", m.ID, err)
	}
	verifyScripted(t, out, 200)
}
