package csv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
	// Attempt names the writing attempt in every in-progress file's name.
	Attempt Attempt
	// Exclusive says no other attempt of the task can be writing (a
	// standalone job under its directory lock): every other attempt's
	// uncommitted files are leftovers. Otherwise only older attempts' are;
	// a newer attempt's files are never touched.
	Exclusive bool
	// Fence, when set, is asked before the sink opens, flushes, syncs,
	// renames or removes a file; an error (ErrFenced) stops the sink there.
	// A worker's fence fails once its registration lease may have run out,
	// so that a paused attempt resuming late touches nothing.
	Fence func() error
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
	Table string `json:"table"` // SCHEMA.TABLE
	// Owner is the token of the attempt that wrote Pending and Current
	// (empty in checkpoints of versions without attempt names).
	Owner   string     `json:"owner,omitempty"`
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
	token  string                        // cfg.Attempt.String()
	// swept is set once older attempts' uncommitted files have been removed
	// (at this attempt's first commit).
	swept bool
	// sources are the files of other attempts Restore continued from (by
	// name in their table directory): kept until the job finishes or a later
	// restore no longer needs them, so that falling back to the checkpoint
	// restored from, should a newer one be lost, still finds them.
	sources map[string]bool
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
	return &Sink{cfg: cfg, log: log, tables: map[string]*tableFiles{}, byPtr: map[*change.Table]*tableFiles{},
		token: cfg.Attempt.String()}, nil
}

func (s *Sink) finalName(n int) string { return "part-" + s.cfg.Task + "-" + strconv.Itoa(n) + ".csv" }

// tmpName is the in-progress name of file n written by the attempt whose
// token is owner ("" is the name of versions without attempt names).
func (s *Sink) tmpName(n int, owner string) string {
	if owner == "" {
		return "." + s.finalName(n) + ".inprogress"
	}
	return "." + s.finalName(n) + "." + owner + ".inprogress"
}

func (s *Sink) fence() error {
	if s.cfg.Fence == nil {
		return nil
	}
	return s.cfg.Fence()
}

// foreign reports whether files of the attempt with token owner may be
// removed as leftovers by this attempt: its own, and those of older attempts
// (of any attempt but a newer one unless Exclusive). A legacy name ("") is
// older than every attempt; an unreadable token is kept.
func (s *Sink) foreign(owner string) bool {
	if owner == "" || s.cfg.Exclusive {
		return true
	}
	a, err := ParseAttempt(owner)
	return err == nil && !s.cfg.Attempt.Before(a)
}

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
		if err := s.create(t, t.next); err != nil {
			return err
		}
		t.next++
	}
	s.row = appendRow(s.row[:0], ev)
	if len(s.row) > t.cur.w.Available() {
		// These bytes reach the file: only while the attempt owns the task.
		if err := s.fence(); err != nil {
			return err
		}
	}
	n, err := t.cur.w.Write(s.row)
	t.cur.size += int64(n)
	if err != nil {
		return fmt.Errorf("csv sink: write %s: %w", t.cur.f.Name(), err)
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
	// from earlier runs are kept and numbering goes on after them; the
	// uncommitted leftovers of this and older attempts are removed.
	if err := s.fence(); err != nil {
		return nil, err
	}
	next, err := s.sweep(t.dir, func(f fileName) bool { return !f.final && s.foreign(f.owner) })
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
func (s *Sink) sweep(dir string, drop func(fileName) bool) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return 0, fmt.Errorf("csv sink: %w", err)
	}
	next := 0
	for _, e := range ents {
		f, ok := s.parseName(e.Name())
		if !ok {
			continue
		}
		if drop(f) {
			p := filepath.Join(dir, e.Name())
			s.log.Info("removing file written after the checkpoint", "file", p)
			if err := os.Remove(p); err != nil {
				return 0, fmt.Errorf("csv sink: %w", err)
			}
			continue
		}
		next = max(next, f.n+1)
	}
	return next, nil
}

// parseName recognizes this task's file names: part-<task>-<n>.csv, and
// .part-<task>-<n>.csv[.<attempt>].inprogress.
func (s *Sink) parseName(name string) (fileName, bool) {
	rest, hidden := strings.CutPrefix(name, ".")
	var owner string
	if hidden {
		var ok bool
		if rest, ok = strings.CutSuffix(rest, ".inprogress"); !ok {
			return fileName{}, false
		}
		if i := strings.Index(rest, ".csv."); i >= 0 {
			rest, owner = rest[:i+len(".csv")], rest[i+len(".csv."):]
			if _, err := ParseAttempt(owner); err != nil {
				return fileName{}, false
			}
		}
	}
	rest, ok := strings.CutPrefix(rest, "part-"+s.cfg.Task+"-")
	if !ok {
		return fileName{}, false
	}
	rest, ok = strings.CutSuffix(rest, ".csv")
	if !ok {
		return fileName{}, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return fileName{}, false
	}
	return fileName{n: n, final: !hidden, owner: owner, name: name}, true
}

// create opens a new in-progress file n, with a header. The name carries
// this attempt's token and the file must not exist: no two attempts, and no
// two sinks of one attempt, ever write one file.
func (s *Sink) create(t *tableFiles, n int) error {
	if err := s.fence(); err != nil {
		return err
	}
	path := filepath.Join(t.dir, s.tmpName(n, s.token))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	p := &part{n: n, f: f, w: bufio.NewWriterSize(f, s.cfg.BufferSize), opened: s.cfg.Now()}
	k, _ := p.w.Write(appendHeader(nil, t.table))
	p.size = int64(k)
	if err := fsx.SyncDir(t.dir); err != nil {
		f.Close()
		return fmt.Errorf("csv sink: %w", err)
	}
	t.cur = p
	return nil
}

// resume continues the checkpoint's in-progress file c, written by the
// attempt owner, from its recorded length. Another attempt's file is never
// written again (that attempt may still be running after a pause): its
// first c.Length bytes are copied into a new file of this attempt, and the
// original stays until this attempt's first commit.
func (s *Sink) resume(t *tableFiles, c *PartState, owner string) error {
	src := filepath.Join(t.dir, s.tmpName(c.N, owner))
	dst := filepath.Join(t.dir, s.tmpName(c.N, s.token))
	if owner != s.token {
		if err := copyPrefix(src, dst, c.Length); err != nil {
			return err
		}
		if err := fsx.SyncDir(t.dir); err != nil {
			return fmt.Errorf("csv sink: %w", err)
		}
	}
	f, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	if err := f.Truncate(c.Length); err != nil {
		f.Close()
		return fmt.Errorf("csv sink: truncate %s to %d: %w", dst, c.Length, err)
	}
	if _, err := f.Seek(c.Length, 0); err != nil {
		f.Close()
		return fmt.Errorf("csv sink: %w", err)
	}
	t.cur = &part{n: c.N, f: f, w: bufio.NewWriterSize(f, s.cfg.BufferSize), size: c.Length, synced: c.Length, opened: s.cfg.Now()}
	return nil
}

// copyPrefix copies the first n bytes of src into dst, which must not exist,
// and makes them durable.
func copyPrefix(src, dst string, n int64) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	copied, err := out.ReadFrom(io.LimitReader(in, n))
	if err == nil && copied < n {
		err = fmt.Errorf("%s holds %d bytes, the checkpoint recorded %d", src, copied, n)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("csv sink: continue %s: %w", src, err)
	}
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
	if err := s.fence(); err != nil {
		return State{}, err
	}
	var st State
	now := s.cfg.Now()
	for _, id := range slices.Sorted(mapsKeys(s.tables)) {
		t := s.tables[id]
		if t.cur != nil && (t.cur.size >= s.cfg.RollSize || now.Sub(t.cur.opened) >= s.cfg.RollAge) {
			if err := s.finish(t); err != nil {
				return State{}, err
			}
		}
		ts := TableState{Table: id, Owner: s.token, Next: t.next, Pending: slices.Clone(t.pending)}
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
// already renamed is skipped. After this attempt's first commit, the files
// of older attempts a restore continued from are removed.
func (s *Sink) Commit(st State) error {
	if err := s.fence(); err != nil {
		return err
	}
	for _, ts := range st.Tables {
		if len(ts.Pending) == 0 {
			continue
		}
		dir := filepath.Join(s.cfg.Dir, ts.Table)
		for _, n := range ts.Pending {
			if err := s.publish(dir, n, ts.Owner); err != nil {
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
	if s.swept {
		return nil
	}
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	for _, e := range ents {
		dir := filepath.Join(s.cfg.Dir, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := s.sweep(dir, func(f fileName) bool {
			return !f.final && f.owner != s.token && s.foreign(f.owner) && !s.sources[filepath.Join(dir, f.name)]
		}); err != nil {
			return err
		}
	}
	s.swept = true
	return nil
}

// publish renames finished file n of the attempt owner to its final name.
func (s *Sink) publish(dir string, n int, owner string) error {
	tmp, final := filepath.Join(dir, s.tmpName(n, owner)), filepath.Join(dir, s.finalName(n))
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
// checkpoint, before writing resumes. Files written after that checkpoint
// by this or an older attempt are removed (a newer attempt's never are); an
// in-progress file continues from its checkpointed length, in a copy of
// this attempt's own when another attempt wrote it.
func (s *Sink) Restore(st State) error {
	if err := s.fence(); err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	s.tables = map[string]*tableFiles{}
	s.byPtr = map[*change.Table]*tableFiles{}
	s.sources = map[string]bool{}
	known := map[string]bool{}
	for _, ts := range st.Tables {
		known[ts.Table] = true
		if err := s.restoreTable(ts); err != nil {
			return err
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
		if _, err := s.sweep(filepath.Join(s.cfg.Dir, e.Name()), func(f fileName) bool { return f.final || s.foreign(f.owner) }); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sink) restoreTable(ts TableState) error {
	dir := filepath.Join(s.cfg.Dir, ts.Table)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	for _, n := range ts.Pending {
		if err := s.publish(dir, n, ts.Owner); err != nil {
			return err
		}
	}
	t := &tableFiles{dir: dir, next: ts.Next}
	c := ts.Current
	if c != nil {
		// A newer checkpoint, since lost, may have committed this file.
		tmp, final := filepath.Join(dir, s.tmpName(c.N, ts.Owner)), filepath.Join(dir, s.finalName(c.N))
		if _, err := os.Stat(tmp); os.IsNotExist(err) {
			if err := os.Rename(final, tmp); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("csv sink: %w", err)
			}
		}
		if fi, err := os.Stat(tmp); err != nil || fi.Size() < c.Length {
			return fmt.Errorf("csv sink: %s must hold the %d bytes the checkpoint recorded: %v", tmp, c.Length, err)
		}
	}
	// Everything from file Next on, and every uncommitted file but the
	// current one, came after the checkpoint: removed, unless a newer
	// attempt wrote it.
	if _, err := s.sweep(dir, func(f fileName) bool {
		switch {
		case !f.final && !s.foreign(f.owner):
			return false
		case f.n >= ts.Next, f.final && c != nil && f.n == c.N:
			return true
		}
		return !f.final && (c == nil || f.n != c.N || f.owner != ts.Owner)
	}); err != nil {
		return err
	}
	if c != nil {
		if err := s.resume(t, c, ts.Owner); err != nil {
			return err
		}
		if ts.Owner != s.token {
			s.sources[filepath.Join(dir, s.tmpName(c.N, ts.Owner))] = true
		}
	}
	if err := fsx.SyncDir(dir); err != nil {
		return fmt.Errorf("csv sink: %w", err)
	}
	s.tables[ts.Table] = t
	return nil
}

// FinishAll finishes every in-progress file, so that the next checkpoint
// publishes all output (the end of a bounded job); that commit also removes
// the files earlier attempts left.
func (s *Sink) FinishAll() error {
	s.swept, s.sources = false, nil
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
	fenced := s.fence() != nil // buffered bytes of a fenced attempt stay unwritten
	for _, t := range s.tables {
		if t.cur == nil {
			continue
		}
		if fenced {
			t.cur.w.Reset(nil)
		} else if err := t.cur.w.Flush(); err != nil {
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
