package pipeline_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/internal/scripted"
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
		j, err := pipeline.New(pipeline.Config{JobID: "sp", Source: scripted.Source{Txns: txns, Pause: time.Millisecond},
			Sink: csv.PipelineSink{S: s}, CheckpointDir: filepath.Join(dir, "chk"), CheckpointInterval: time.Hour, FromSavepoint: from})
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

// idleSource hands over one transaction, then waits, like a reader on a
// quiet database: no boundary comes any more.
type idleSource struct{}

func (idleSource) Run(ctx context.Context, from change.Position, h change.Handler) error {
	if len(from) == 0 || string(from) == "null" {
		ev := change.Event{Op: change.OpCreate, Table: scripted.Table, XID: "01", Row: []change.Value{{Text: "1"}, {Text: "quiet"}}}
		if err := h.Change(ctx, &ev); err != nil {
			return err
		}
		if err := h.Boundary(ctx, []byte("1")); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestQuietSourceIsPublished: after a burst the source goes quiet (no
// boundary comes); the output is still published by checkpoints taken at
// the last boundary, and a savepoint is still taken.
func TestQuietSourceIsPublished(t *testing.T) {
	dir := t.TempDir()
	cfg := csv.DefaultConfig()
	cfg.Dir, cfg.Task, cfg.RollAge = filepath.Join(dir, "out"), "0", 50*time.Millisecond
	s, err := csv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := pipeline.New(pipeline.Config{JobID: "quiet", Source: idleSource{}, Sink: csv.PipelineSink{S: s},
		CheckpointDir: filepath.Join(dir, "chk"), CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error { return j.Run(ctx) })
	for len(readIDs(t, filepath.Join(dir, "out", "S.T"))) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the quiet source's change was never published")
		}
		time.Sleep(10 * time.Millisecond)
	}
	path, err := j.Savepoint(ctx, filepath.Join(dir, "sp"))
	if err != nil {
		t.Fatalf("savepoint of a quiet job: %v", err)
	}
	if m, err := checkpoint.Load(path); err != nil || string(m.Source) != "1" {
		t.Fatalf("savepoint %s: %+v, %v", path, m, err)
	}
	cancel()
	if err := g.Wait(); err != context.Canceled && err != context.DeadlineExceeded {
		t.Fatalf("job ended with %v", err)
	}
}
