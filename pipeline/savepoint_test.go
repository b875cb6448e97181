package pipeline_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
)

// TestSavepointThenResume takes a savepoint from a running job, and starts
// a job from it: the savepoint's position is mid-stream and the restarted
// job completes the output exactly.
func TestSavepointThenResume(t *testing.T) {
	dir := t.TempDir()
	newJob := func(from string, txns int) *pipeline.Job {
		cfg := csv.DefaultConfig()
		cfg.Dir, cfg.Task = filepath.Join(dir, "out"), "0"
		s, err := csv.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		j, err := pipeline.New(pipeline.Config{JobID: "sp", Source: scripted{txns: txns, pause: time.Millisecond},
			Sink: pipeline.CSVSink{S: s}, CheckpointDir: filepath.Join(dir, "chk"), CheckpointInterval: time.Hour, FromSavepoint: from})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	j := newJob("", 1000)
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return j.Run(ctx) })
	time.Sleep(50 * time.Millisecond)
	path, err := j.Savepoint(ctx, filepath.Join(dir, "savepoints"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(); err != context.Canceled {
		t.Fatalf("job ended with %v, want context.Canceled", err)
	}
	m, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var pos int
	if err := json.Unmarshal(m.Source, &pos); err != nil || !m.Savepoint || pos <= 0 || pos >= 1000 {
		t.Fatalf("savepoint %s: position %s (%v), savepoint=%v", path, m.Source, err, m.Savepoint)
	}
	if err := newJob(path, 1000).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readIDs(t, filepath.Join(dir, "out", "S.T"))
	want := 0
	for i := range 1000 {
		want += i%5 + 1
	}
	if len(got) != want {
		t.Fatalf("%d rows after resuming from the savepoint at %d, want %d", len(got), pos, want)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("row %s twice", id)
		}
		seen[id] = true
	}
}

func readIDs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	files, _ := filepath.Glob(filepath.Join(dir, "part-*.csv"))
	for _, f := range files {
		_, recs := readCSVFile(t, f)
		for _, r := range recs {
			out = append(out, r[6])
		}
	}
	return out
}
