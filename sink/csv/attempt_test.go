package csv

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
)

func TestAttemptTokens(t *testing.T) {
	for _, a := range []Attempt{{0, 0}, {5, 2}, {1 << 40, 1<<62 + 3}} {
		got, err := ParseAttempt(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAttempt(%q) = %v, %v; want %v", a.String(), got, err, a)
		}
	}
	for _, bad := range []string{"", "e", "e1", "a1", "e1a", "ea1", "e01a1", "e1a-1", "e-1a1", "x1a1", "e1a1x", "e1b1"} {
		if a, err := ParseAttempt(bad); err == nil {
			t.Errorf("ParseAttempt(%q) = %v, want an error", bad, a)
		}
	}
	ordered := []Attempt{{0, 9}, {1, 0}, {1, 1}, {2, 0}}
	for i := range ordered {
		for j := range ordered {
			if got, want := ordered[i].Before(ordered[j]), i < j; got != want {
				t.Errorf("%v.Before(%v) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func row(id string) *change.Event {
	return &change.Event{Op: change.OpCreate, Table: transInfo, Row: []change.Value{val(id), val("x"), val("1")}}
}

func writeRows(t *testing.T, s *Sink, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.Write(row(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			names = append(names, p+" "+strconv.FormatInt(fi.Size(), 10))
		}
		return nil
	})
	return names
}

// TestDeposedAttemptCannotTouchItsSuccessorsFiles is the zombie worker: an
// attempt paused past its lease resumes after its successor has restored
// from their common checkpoint and goes on writing, rolling and syncing.
// The successor's in-progress and committed files come out exactly as if
// the zombie had never woken.
func TestDeposedAttemptCannotTouchItsSuccessorsFiles(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	a := newSinkAt(t, dir, c, 200, Attempt{Epoch: 3, N: 1})
	writeRows(t, a, "1", "2", "3", "4")
	st, err := a.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(st); err != nil {
		t.Fatal(err)
	}
	writeRows(t, a, "5") // after the checkpoint: lost with the attempt

	b := newSinkAt(t, dir, c, 200, Attempt{Epoch: 4, N: 1})
	if err := b.Restore(st); err != nil {
		t.Fatal(err)
	}
	writeRows(t, b, "5", "6")
	// The zombie wakes: it writes enough to roll files and reach the disk.
	for i := range 20 {
		writeRows(t, a, "z"+strconv.Itoa(i))
	}
	if _, err := a.PreCommit(); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(st); err != nil { // a late notice of the completed checkpoint
		t.Fatal(err)
	}
	writeRows(t, b, "7")
	c.t = c.t.Add(time.Hour)
	st2, err := b.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(st2); err != nil {
		t.Fatal(err)
	}
	got := readCommitted(t, filepath.Join(dir, transInfo.ID()))
	if want := []string{"1", "2", "3", "4", "5", "6", "7"}; !slices.Equal(got, want) {
		t.Fatalf("committed %v, want %v", got, want)
	}
	for _, ts := range st2.Tables {
		if ts.Owner != "e4a1" {
			t.Errorf("state of %s owned by %q, want e4a1", ts.Table, ts.Owner)
		}
	}
	a.Close()
	b.Close()
}

// TestOlderAttemptLeavesNewerFilesAlone: an attempt that restores late
// (its assignment was overtaken by a newer one while it was paused) removes
// neither the newer attempt's in-progress files nor its own leftovers'
// successors; only older leftovers go.
func TestOlderAttemptLeavesNewerFilesAlone(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	newer := newSinkAt(t, dir, c, 1<<20, Attempt{Epoch: 2, N: 7})
	writeRows(t, newer, "1", "2")
	if _, err := newer.PreCommit(); err != nil {
		t.Fatal(err)
	}
	older := newSinkAt(t, dir, c, 1<<20, Attempt{Epoch: 2, N: 6})
	if err := older.Restore(State{}); err != nil {
		t.Fatal(err)
	}
	writeRows(t, older, "x") // a fresh table for it: its sweep runs here
	tbl := filepath.Join(dir, transInfo.ID())
	if _, err := os.Stat(filepath.Join(tbl, ".part-0-0.csv.e2a7.inprogress")); err != nil {
		t.Fatalf("the newer attempt's in-progress file is gone: %v", err)
	}
	older.Close()
	writeRows(t, newer, "3")
	c.t = c.t.Add(time.Hour)
	st, err := newer.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if err := newer.Commit(st); err != nil {
		t.Fatal(err)
	}
	if got := readCommitted(t, tbl); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("committed %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(tbl, ".*.e2a6.inprogress")); len(left) != 0 {
		t.Errorf("the older attempt's leftovers survive the newer one's commit: %v", left)
	}
}

// TestFenceStopsEveryFileOperation: once the fence fails, the sink opens,
// flushes, syncs, renames and removes nothing.
func TestFenceStopsEveryFileOperation(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	s := newSinkAt(t, dir, c, 1<<20, Attempt{Epoch: 1, N: 1})
	var fenced bool
	s.cfg.Fence = func() error {
		if fenced {
			return ErrFenced
		}
		return nil
	}
	writeRows(t, s, "1")
	st, err := s.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	writeRows(t, s, "2")
	fenced = true
	before := listDir(t, dir)
	big := row(string(make([]byte, 300<<10))) // more than the write buffer
	ops := map[string]func() error{
		"write":     func() error { return s.Write(big) },
		"precommit": func() error { _, err := s.PreCommit(); return err },
		"commit":    func() error { return s.Commit(st) },
		"restore":   func() error { return s.Restore(st) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrFenced) {
			t.Errorf("%s while fenced: %v, want ErrFenced", name, err)
		}
	}
	fresh := &change.Table{Schema: "S", Name: "NEW", Columns: []change.Column{{Name: "A"}}}
	if err := s.Write(&change.Event{Table: fresh, Row: []change.Value{val("1")}}); !errors.Is(err, ErrFenced) {
		t.Errorf("first write to a new table while fenced: %v, want ErrFenced", err)
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("files changed while fenced:\nbefore %v\nafter  %v", before, after)
	}
}

// TestRestoreFromUnnamedAttempt: a checkpoint written before in-progress
// names carried the attempt continues in a file of the restoring attempt.
func TestRestoreFromUnnamedAttempt(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	tbl := filepath.Join(dir, transInfo.ID())
	if err := os.MkdirAll(tbl, 0o755); err != nil {
		t.Fatal(err)
	}
	content := string(appendHeader(nil, transInfo)) + "c,0,0,,,0,1,x,1\n"
	if err := os.WriteFile(filepath.Join(tbl, ".part-0-0.csv.inprogress"), []byte(content+"c,0,0,,,0,9,x,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := State{Tables: []TableState{{Table: transInfo.ID(), Next: 1, Current: &PartState{N: 0, Length: int64(len(content))}}}}
	s := newSinkAt(t, dir, c, 1<<20, Attempt{Epoch: 1, N: 2})
	if err := s.Restore(st); err != nil {
		t.Fatal(err)
	}
	writeRows(t, s, "2")
	commit := func() {
		st, err := s.PreCommit()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(st); err != nil {
			t.Fatal(err)
		}
	}
	commit()
	// The file continued from stays while falling back to that checkpoint
	// may still need it; the end of the job removes it.
	if _, err := os.Stat(filepath.Join(tbl, ".part-0-0.csv.inprogress")); err != nil {
		t.Errorf("the file restored from is gone after the first commit: %v", err)
	}
	if err := s.FinishAll(); err != nil {
		t.Fatal(err)
	}
	commit()
	if got := readCommitted(t, tbl); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("committed %v, want [1 2]", got)
	}
	if left, _ := filepath.Glob(filepath.Join(tbl, ".*inprogress")); len(left) != 0 {
		t.Errorf("left after the final commit: %v", left)
	}
}
