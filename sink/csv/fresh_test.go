package csv

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/failure"
)

// TestFreshStartRefusedOverCommittedOutput: a fresh start (Restore without a
// state) in an OUTPUT_PATH holding committed files of the task is refused,
// naming the directory and a file, and leaves every file as it was;
// uncommitted leftovers alone, or committed files of another task, do not
// stop it.
func TestFreshStartRefusedOverCommittedOutput(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	write := func(s *Sink, n int) {
		t.Helper()
		for i := range n {
			ev := &change.Event{Op: change.OpCreate, Table: transInfo, SCN: uint64(i), Row: []change.Value{val(strconv.Itoa(i)), val("x"), val("1")}}
			if err := s.Write(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A first run writes, and is stopped before any checkpoint: only
	// uncommitted files, which a fresh start sweeps.
	s := newSink(t, dir, c, 64)
	write(s, 3)
	s.Close()
	if err := (PipelineSink{S: newSink(t, dir, c, 64)}).Restore(context.Background(), nil); err != nil {
		t.Fatalf("fresh start beside uncommitted files only: %v", err)
	}

	// Committed files of another task are not this task's output.
	other := DefaultConfig()
	other.Dir, other.Task, other.Now, other.RollSize = dir, "1", c.now, 64
	o, err := New(other)
	if err != nil {
		t.Fatal(err)
	}
	write(o, 2)
	st, err := o.PreCommit()
	if err == nil {
		err = o.Commit(st)
	}
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if err := (PipelineSink{S: newSink(t, dir, c, 64)}).Restore(context.Background(), nil); err != nil {
		t.Fatalf("fresh start beside another task's output: %v", err)
	}

	// This task commits files: a fresh start is refused from then on.
	s = newSink(t, dir, c, 64)
	write(s, 3)
	if st, err = s.PreCommit(); err == nil {
		err = s.Commit(st)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	err = (PipelineSink{S: newSink(t, dir, c, 64)}).Restore(context.Background(), nil)
	var oe *OutputError
	if !errors.Is(err, ErrOutputWithoutCheckpoint) || !failure.IsFatal(err) || !errors.As(err, &oe) || len(oe.Files) != 3 ||
		!strings.Contains(err.Error(), strconv.Quote(dir)) || !strings.Contains(err.Error(), filepath.Join("FINANCE_USER.TRANS_INFO", "part-0-")) ||
		!strings.Contains(err.Error(), "start from a savepoint") {
		t.Fatalf("fresh start over committed output: %v", err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if strings.Join(before, ",") != strings.Join(after, ",") {
		t.Fatalf("the refused start changed the files: %v, was %v", after, before)
	}
	// A restore from a checkpoint's state is no fresh start.
	if err := (PipelineSink{S: newSink(t, dir, c, 64)}).Restore(context.Background(), []byte(`{"tables":[]}`)); err != nil {
		t.Fatalf("restore from a state: %v", err)
	}
}
