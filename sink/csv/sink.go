package csv

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/internal/fsx"
)

// Config configures a Sink.
type Config struct {
	Dir        string        // OUTPUT_PATH
	Task       string        // task id, part of every file name
	RollSize   int64         // finish a file past this many bytes
	RollAge    time.Duration // finish a file this long after it was opened
	BufferSize int           // write buffer per open file
	Now        func() time.Time
	Logger     *slog.Logger
}

// DefaultConfig returns the defaults: files of 128 MiB or 60 s.
func DefaultConfig() Config {
	return Config{RollSize: 128 << 20, RollAge: 60 * time.Second, BufferSize: 256 << 10}
}

// Validate reports a configuration that cannot work, naming the setting.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("csv sink: OUTPUT_PATH is empty: name the directory for the CSV files")
	case c.Task == "" || strings.ContainsAny(c.Task, `/\-.`):
		return fmt.Errorf("csv sink: task id %q must be non-empty, without '/', '\\', '-' or '.'", c.Task)
	case c.RollSize <= 0:
		return fmt.Errorf("csv sink: roll size %d must be positive", c.RollSize)
	case c.RollAge <= 0:
		return fmt.Errorf("csv sink: roll age %s must be positive", c.RollAge)
	case c.BufferSize < 4096:
		return fmt.Errorf("csv sink: buffer size %d is below 4096", c.BufferSize)
	}
	return nil
}

// State is what a checkpoint records of a sink.
type State struct {
	Tables []TableState `json:"tables"`
}

// TableState is one table's files at a checkpoint.
type TableState struct {
	Table   string     `json:"table"`             // SCHEMA.TABLE
	Next    int        `json:"next"`              // number of the next file to open
	Pending []int      `json:"pending,omitempty"` // finished files awaiting commit
	Current *PartState `json:"current,omitempty"` // the in-progress file
}

// PartState is an in-progress file and its valid length.
type PartState struct {
	N      int   `json:"n"`
	Length int64 `json:"length"`
}

// Sink writes changes to per-table CSV files.
type Sink struct {
	cfg    Config
	log    *slog.Logger
	tables map[string]*tableFiles
	byPtr  map[*change.Table]*tableFiles // avoids building SCHEMA.TABLE per write
	row    []byte                        // scratch for one encoded row
}

type tableFiles struct {
	table   *change.Table
	dir     string
	next    int
	pending []int
	cur     *part
}

type part struct {
	n      int
	f      *os.File
	w      *bufio.Writer
	size   int64 // bytes written, buffered included
	synced int64 // bytes known durable
	opened time.Time
}

// New checks cfg and creates OUTPUT_PATH if needed. Call Restore before the
// first Write when resuming from a checkpoint.
func New(cfg Config) (*Sink, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("csv sink: OUTPUT_PATH %q: %w", cfg.Dir, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{cfg: cfg, log: log, tables: map[string]*tableFiles{}, byPtr: map[*change.Table]*tableFiles{}}, nil
}

func (s *Sink) finalName(n int) string { return "part-" + s.cfg.Task + "-" + strconv.Itoa(n) + ".csv" }
func (s *Sink) tmpName(n int) string   { return "." + s.finalName(n) + ".inprogress" }

// Write appends one change to its table's in-progress file.
func (s *Sink) Write(ev *change.Event) error {
	t, err := s.tableFor(ev.Table)
	if err != nil {
		return err
	}
	if len(ev.Row) != len(t.table.Columns) {
		return fmt.Errorf("csv sink: %s has %d columns, change at SCN %d has %d values",
			t.table.ID(), len(t.table.Columns), ev.SCN, len(ev.Row))
	}
	if t.cur != nil && (t.cur.size >= s.cfg.RollSize || s.cfg.Now().Sub(t.cur.opened) >= s.cfg.RollAge) {
		if err := s.finish(t); err != nil {
			return err
		}
	}
	if t.cur == nil {
		if err := s.open(t, t.next, 0); err != nil {
			return err
		}
		t.next++
	}
	s.row = appendRow(s.row[:0], ev)
	n, err := t.cur.w.Write(s.row)
	t.cur.size += int64(n)
	if err != nil {
		return fmt.Errorf("csv sink: write %s: %w", filepath.Join(t.dir, s.tmpName(t.cur.n)), err)
	}
	return nil
}

func (s *Sink) tableFor(tbl *change.Table) (*tableFiles, error) {
	if t, ok := s.byPtr[tbl]; ok {
		return t, nil
	}
	id := tbl.ID()
	if t, ok := s.tables[id]; ok {
		if t.table == nil {
			t.table = tbl
		}
		s.byPtr[tbl] = t
		return t, nil
	}
	t := &tableFiles{table: tbl, dir: filepath.Join(s.cfg.Dir, id)}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return nil, fmt.Errorf("csv sink: %w", err)
	}
	// A fresh table (not in the restored state): this task's committed files
	// from earlier runs are kept and numbering goes on after them; its
	// uncommitted leftovers are removed.
	next, err := s.sweep(t.dir, func(n int, final bool) bool { return !final })
	if err != nil {
		return nil, err
	}
	t.next = next
	s.tables[id] = t
	s.byPtr[tbl] = t
	return t, nil
}

// sweep removes this task's files in dir for which drop says so and returns
// the number after the highest file number it keeps.
func (s *Sink) sweep(dir string, drop func(n int, final bool) bool) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return 0, fmt.Errorf("csv sink: %w", err)
	}
	next := 0
	for _, e := range ents {
		n, final, ok := s.parseName(e.Name())
		if !ok {
			continue
		}
		if drop(n, final) {
			p := filepath.Join(dir, e.Name())
			s.log.Info("removing file written after the checkpoint", "file", p)
			if err := os.Remove(p); err != nil {
				return 0, fmt.Errorf("csv sink: %w", err)
			}
			continue
		}
		next = max(next, n+1)
	}
	return next, nil
}

// parseName recognizes this task's file names.
func (s *Sink) parseName(name string) (n int, final, ok bool) {
	rest, hidden := strings.CutPrefix(name, ".")
	if hidden {
		if rest, ok = strings.CutSuffix(rest, ".inprogress"); !ok {
			return 0, false, false
		}
	}
	rest, ok = strings.CutPrefix(rest, "part-"+s.cfg.Task+"-")
	if !ok {
		return 0, false, false
	}
	rest, ok = strings.CutSuffix(rest, ".csv")
	if !ok {
		return 0, false, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false, false
	}
	return n, !hidden, true
}

// open opens file n as the table's in-progress file, truncated to length
// (0: new, with a header).
func (s *Sink) open(t *tableFiles, n int, length int64) error {
	path := filepath.Join(t.dir, s.tmpName(n))
	flags := os.O_WRONLY | os.O_CREATE
	if length == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	if length > 0 {
		if err := f.Truncate(length); err != nil {
			f.Close()
			return fmt.Errorf("csv sink: truncate %s to %d: %w", path, length, err)
		}
		if _, err := f.Seek(length, 0); err != nil {
			f.Close()
			return fmt.Errorf("csv sink: %w", err)
		}
	}
	p := &part{n: n, f: f, w: bufio.NewWriterSize(f, s.cfg.BufferSize), size: length, synced: length, opened: s.cfg.Now()}
	if length == 0 {
		n, _ := p.w.Write(appendHeader(nil, t.table))
		p.size = int64(n)
		if err := fsx.SyncDir(t.dir); err != nil {
			f.Close()
			return fmt.Errorf("csv sink: %w", err)
		}
	}
	t.cur = p
	return nil
}

// finish flushes, fsyncs and closes the in-progress file; it waits in
// pending for the next checkpoint to commit it.
func (s *Sink) finish(t *tableFiles) error {
	p := t.cur
	if err := s.sync(p); err != nil {
		return err
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	t.pending = append(t.pending, p.n)
	t.cur = nil
	return nil
}

func (s *Sink) sync(p *part) error {
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("csv sink: flush %s: %w", p.f.Name(), err)
	}
	if p.synced == p.size {
		return nil
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("csv sink: fsync %s: %w", p.f.Name(), err)
	}
	p.synced = p.size
	return nil
}

// PreCommit makes everything written so far durable and returns the state
// to record in the checkpoint. Files past their age are finished first, so
// that they become visible with this checkpoint.
func (s *Sink) PreCommit() (State, error) {
	var st State
	now := s.cfg.Now()
	for _, id := range slices.Sorted(mapsKeys(s.tables)) {
		t := s.tables[id]
		if t.cur != nil && (t.cur.size >= s.cfg.RollSize || now.Sub(t.cur.opened) >= s.cfg.RollAge) {
			if err := s.finish(t); err != nil {
				return State{}, err
			}
		}
		ts := TableState{Table: id, Next: t.next, Pending: slices.Clone(t.pending)}
		if t.cur != nil {
			if err := s.sync(t.cur); err != nil {
				return State{}, err
			}
			ts.Current = &PartState{N: t.cur.n, Length: t.cur.size}
		}
		st.Tables = append(st.Tables, ts)
	}
	return st, nil
}

// Commit publishes the files st had finished. It is idempotent: a file
// already renamed is skipped.
func (s *Sink) Commit(st State) error {
	for _, ts := range st.Tables {
		if len(ts.Pending) == 0 {
			continue
		}
		dir := filepath.Join(s.cfg.Dir, ts.Table)
		for _, n := range ts.Pending {
			if err := s.publish(dir, n); err != nil {
				return err
			}
		}
		if err := fsx.SyncDir(dir); err != nil {
			return fmt.Errorf("csv sink: %w", err)
		}
		if t := s.tables[ts.Table]; t != nil {
			t.pending = slices.DeleteFunc(t.pending, func(n int) bool { return slices.Contains(ts.Pending, n) })
		}
	}
	return nil
}

func (s *Sink) publish(dir string, n int) error {
	tmp, final := filepath.Join(dir, s.tmpName(n)), filepath.Join(dir, s.finalName(n))
	err := os.Rename(tmp, final)
	if err == nil {
		return nil
	}
	if _, serr := os.Stat(final); serr == nil {
		return nil // committed before a crash
	}
	return fmt.Errorf("csv sink: commit %s: %w (the file a completed checkpoint needs is gone)", final, err)
}

// Restore brings the output back to st, the state of the latest completed
// checkpoint, before writing resumes. Files this task wrote after that
// checkpoint are removed; the in-progress files are truncated to their
// checkpointed lengths and writing continues in them.
func (s *Sink) Restore(st State) error {
	if err := s.Close(); err != nil {
		return err
	}
	s.tables = map[string]*tableFiles{}
	s.byPtr = map[*change.Table]*tableFiles{}
	known := map[string]bool{}
	for _, ts := range st.Tables {
		known[ts.Table] = true
		dir := filepath.Join(s.cfg.Dir, ts.Table)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("csv sink: %w", err)
		}
		for _, n := range ts.Pending {
			if err := s.publish(dir, n); err != nil {
				return err
			}
		}
		t := &tableFiles{dir: dir, next: ts.Next}
		if c := ts.Current; c != nil {
			// A newer checkpoint may have committed this file already.
			final := filepath.Join(dir, s.finalName(c.N))
			if _, err := os.Stat(final); err == nil {
				if err := os.Rename(final, filepath.Join(dir, s.tmpName(c.N))); err != nil {
					return fmt.Errorf("csv sink: %w", err)
				}
			}
			tmp := filepath.Join(dir, s.tmpName(c.N))
			fi, err := os.Stat(tmp)
			if err != nil || fi.Size() < c.Length {
				return fmt.Errorf("csv sink: %s must hold the %d bytes the checkpoint recorded: %v", tmp, c.Length, err)
			}
		}
		// Everything this task has from file Next on, or uncommitted and
		// neither pending nor current, came after the checkpoint.
		if _, err := s.sweep(dir, func(n int, final bool) bool {
			if n >= ts.Next {
				return true
			}
			return !final && (ts.Current == nil || n != ts.Current.N)
		}); err != nil {
			return err
		}
		if err := fsx.SyncDir(dir); err != nil {
			return fmt.Errorf("csv sink: %w", err)
		}
		s.tables[ts.Table] = t
		if c := ts.Current; c != nil {
			if err := s.open(t, c.N, c.Length); err != nil {
				return err
			}
		}
	}
	// Tables the checkpoint does not know had nothing committed then.
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() || known[e.Name()] {
			continue
		}
		if _, err := s.sweep(filepath.Join(s.cfg.Dir, e.Name()), func(int, bool) bool { return true }); err != nil {
			return err
		}
	}
	return nil
}

// FinishAll finishes every in-progress file, so that the next checkpoint
// publishes all output (the end of a bounded job).
func (s *Sink) FinishAll() error {
	for _, t := range s.tables {
		if t.cur != nil {
			if err := s.finish(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close flushes and closes the open files without committing anything:
// their content becomes visible only through a later checkpoint.
func (s *Sink) Close() error {
	var errs []error
	for _, t := range s.tables {
		if t.cur == nil {
			continue
		}
		if err := t.cur.w.Flush(); err != nil {
			errs = append(errs, err)
		}
		if err := t.cur.f.Close(); err != nil {
			errs = append(errs, err)
		}
		t.cur = nil
	}
	return errors.Join(errs...)
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
