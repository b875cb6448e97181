package verify

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ChangeReport is the outcome of the per-change check.
type ChangeReport struct {
	// From is the job's start: the transactions committed after it are
	// expected in the output. FromSource says where it came from.
	From       uint64
	FromSource string
	// To, when not 0, is the last commit SCN expected (Options.ToSCN).
	To uint64
	// SnapshotSCN is the SCN of the output's snapshot rows (_op r), 0 when
	// the output has none; the snapshot is then checked against the tables
	// as the change log has them at that SCN.
	SnapshotSCN uint64
	// Only is the tables checked when Options.Tables chose them; nil when
	// every table of the truth (and of the output) was.
	Only []string
	// AllowUncheckedSnapshot is Options.AllowUncheckedSnapshot: a snapshot
	// that could not be checked does not fail the check.
	AllowUncheckedSnapshot bool
	Tables                 []ChangeTable
}

// ChangeTable is the per-change outcome for one table. Transactions are
// counted per table: one that changed two tables counts in both.
type ChangeTable struct {
	Table string
	// Want and WantChanges are the truth's transactions (and their changes)
	// committed after the start; Got and GotChanges the distinct
	// transactions (and change rows) of the output.
	Want, WantChanges int
	Got, GotChanges   int
	// Transactions of the truth not in the output; in the output, not in
	// the truth (a rolled back one, or one committed before the start);
	// in the output more than once; in both with different changes, values
	// or order.
	Missing, Extra, Duplicated, Wrong int
	// OutOfOrder counts the places where the output, read in write order
	// (per task, its part files by number), breaks commit order: a commit
	// SCN below the one before it, a transaction going on after another
	// one began, or a snapshot row after a change.
	OutOfOrder int
	// SnapshotRows is the number of snapshot rows in the output,
	// SnapshotWant the rows of the table at the snapshot SCN.
	SnapshotRows, SnapshotWant int
	// Snapshot rows missing, not in the table at the snapshot SCN, read
	// more than once, or with other values than the table had.
	SnapshotMissing, SnapshotExtra, SnapshotDuplicated, SnapshotWrong int
	// SnapshotUnchecked says why the snapshot of this table could not be
	// checked; empty when it was (or when there is no snapshot). The table
	// is then not OK, unless the report allows it.
	SnapshotUnchecked string
	// Examples are the first few differences of each kind.
	Examples []string
}

// OK reports whether the table's changes match, in order, and its snapshot
// was checked and matches.
func (t ChangeTable) OK() bool { return t.matches() && t.SnapshotUnchecked == "" }

// matches reports whether no difference was found.
func (t ChangeTable) matches() bool {
	return t.Missing == 0 && t.Extra == 0 && t.Duplicated == 0 && t.Wrong == 0 && t.OutOfOrder == 0 &&
		t.SnapshotMissing == 0 && t.SnapshotExtra == 0 && t.SnapshotDuplicated == 0 && t.SnapshotWrong == 0
}

// OK reports whether every table matches and every snapshot was checked
// (or AllowUncheckedSnapshot is set).
func (r *ChangeReport) OK() bool {
	for _, t := range r.Tables {
		if !t.matches() || t.SnapshotUnchecked != "" && !r.AllowUncheckedSnapshot {
			return false
		}
	}
	return true
}

// OutOfOrder sums the places out of order of all tables.
func (r *ChangeReport) OutOfOrder() int {
	n := 0
	for _, t := range r.Tables {
		n += t.OutOfOrder
	}
	return n
}

// Unchecked returns the tables whose snapshot could not be checked.
func (r *ChangeReport) Unchecked() []string {
	var s []string
	for _, t := range r.Tables {
		if t.SnapshotUnchecked != "" {
			s = append(s, t.Table)
		}
	}
	return s
}

// Totals sums the transaction counts of all tables.
func (r *ChangeReport) Totals() (missing, extra, duplicated, wrong int) {
	for _, t := range r.Tables {
		missing += t.Missing
		extra += t.Extra
		duplicated += t.Duplicated
		wrong += t.Wrong
	}
	return
}

// SnapshotTotals sums the snapshot row counts of all tables.
func (r *ChangeReport) SnapshotTotals() (missing, extra, duplicated, wrong int) {
	for _, t := range r.Tables {
		missing += t.SnapshotMissing
		extra += t.SnapshotExtra
		duplicated += t.SnapshotDuplicated
		wrong += t.SnapshotWrong
	}
	return
}

func (r *ChangeReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "per-change: every transaction committed after SCN %d (%s)", r.From, r.FromSource)
	if r.To > 0 {
		fmt.Fprintf(&b, " up to SCN %d", r.To)
	}
	b.WriteString(" exactly once, in commit order")
	if r.SnapshotSCN > 0 {
		fmt.Fprintf(&b, "; snapshot rows checked against the tables at SCN %d", r.SnapshotSCN)
	}
	if r.Only != nil {
		fmt.Fprintf(&b, "; only the tables %s, _seq counted over them", strings.Join(r.Only, ","))
	}
	b.WriteString("\n")
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "%s: %d transactions (%d changes) expected, %d (%d changes) in the output: %d missing, %d extra, %d duplicated, %d wrong, %d out of order",
			t.Table, t.Want, t.WantChanges, t.Got, t.GotChanges, t.Missing, t.Extra, t.Duplicated, t.Wrong, t.OutOfOrder)
		switch {
		case r.SnapshotSCN == 0:
		case t.SnapshotUnchecked != "":
			fmt.Fprintf(&b, "; snapshot of %d rows not checked: %s", t.SnapshotRows, t.SnapshotUnchecked)
		default:
			fmt.Fprintf(&b, "; snapshot %d rows, %d expected: %d missing, %d extra, %d duplicated, %d wrong",
				t.SnapshotRows, t.SnapshotWant, t.SnapshotMissing, t.SnapshotExtra, t.SnapshotDuplicated, t.SnapshotWrong)
		}
		b.WriteString("\n")
		for _, e := range t.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	m, x, d, w := r.Totals()
	fmt.Fprintf(&b, "per-change total: %d missing, %d extra, %d duplicated, %d wrong transactions", m, x, d, w)
	if r.SnapshotSCN > 0 {
		m, x, d, w := r.SnapshotTotals()
		fmt.Fprintf(&b, "; snapshot rows: %d missing, %d extra, %d duplicated, %d wrong", m, x, d, w)
	}
	fmt.Fprintf(&b, "\nper-change order: %d out of order\n", r.OutOfOrder())
	if u := r.Unchecked(); len(u) > 0 {
		fmt.Fprintf(&b, "per-change snapshot not checked: %s", strings.Join(u, ", "))
		if r.AllowUncheckedSnapshot {
			b.WriteString(" (allowed by --allow-unchecked-snapshot)\n")
		} else {
			b.WriteString(" (a failure; --allow-unchecked-snapshot accepts it)\n")
		}
	}
	return b.String()
}

// changeMeta is the header of a change log file before the table columns.
var changeMeta = []string{"_op", "_commit_scn", "_xid", "_seq"}

// examplesPerKind bounds the examples of each kind of difference per table.
const examplesPerKind = 3

// loc is where a row is: a file of checker.files and the line its record
// starts on.
type loc struct{ file, line int32 }

func (a loc) cmp(b loc) int { return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line)) }

// ent is one change, compact: the comparison holds millions of them and
// reads a row's text again only for an example.
type ent struct {
	scn  uint64 // commit SCN
	hash uint64 // op and values
	xid  int32  // index in checker.xids
	seq  int32
	at   loc
}

// snapEnt is one snapshot row of the output.
type snapEnt struct {
	key, row uint64 // hashes of the key columns (of the row when keyless) and of the values
	at       loc
}

// outTable is what the output holds for one table.
type outTable struct {
	columns []string // nil when the table has no files
	changes []ent
	snap    []snapEnt
	// Places where the files, read in write order, break commit order,
	// and the first few.
	disorder int
	orderEx  []example
}

type checker struct {
	out, truth string
	opts       Options
	keys       map[string][]string
	seed       maphash.Seed
	h          maphash.Hash
	xidIdx     map[string]int32
	xids       []string
	files      []string
	snapSCNs   map[uint64]int // SCN -> snapshot rows
	refs       []*ent         // scratch of renumber
}

// xid interns an XID; the string kept is a copy, not a piece of the
// record it came from.
func (c *checker) xid(s string) int32 {
	if i, ok := c.xidIdx[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := int32(len(c.xids))
	c.xidIdx[s] = i
	c.xids = append(c.xids, s)
	return i
}

// hash hashes op and the values (those at idx, when not nil), NULL apart
// from the empty string.
func (c *checker) hash(op byte, vals []string, null []bool, idx []int) uint64 {
	c.h.Reset()
	c.h.WriteByte(op)
	var n [4]byte
	add := func(i int) {
		if null[i] {
			binary.LittleEndian.PutUint32(n[:], ^uint32(0))
			c.h.Write(n[:])
			return
		}
		binary.LittleEndian.PutUint32(n[:], uint32(len(vals[i])))
		c.h.Write(n[:])
		c.h.WriteString(vals[i])
	}
	if idx == nil {
		for i := range vals {
			add(i)
		}
	} else {
		for _, i := range idx {
			add(i)
		}
	}
	return c.h.Sum64()
}

// perChange runs the per-change check of the tables given (nil: every
// table of the truth and of the output).
func perChange(outputDir, truthDir string, opts Options, keys map[string][]string, only []string) (*ChangeReport, error) {
	c := &checker{out: outputDir, truth: truthDir, opts: opts, keys: keys, seed: maphash.MakeSeed(),
		xidIdx: map[string]int32{}, snapSCNs: map[uint64]int{}}
	c.h.SetSeed(c.seed)
	truthCols, err := changeLogs(truthDir)
	if err != nil {
		return nil, err
	}
	tables := only
	if tables == nil {
		for t := range truthCols {
			tables = append(tables, t)
		}
		// Output tables the truth does not know: everything in them is
		// extra.
		dirs, _ := filepath.Glob(filepath.Join(outputDir, "*", "part-*.csv"))
		for _, f := range dirs {
			if t := filepath.Base(filepath.Dir(f)); truthCols[t] == nil && !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
		slices.Sort(tables)
	}
	outs := make([]*outTable, len(tables))
	for i, t := range tables {
		if outs[i], err = c.readOutput(t, truthCols[t]); err != nil {
			return nil, err
		}
	}
	rep := &ChangeReport{To: opts.ToSCN, Only: only, AllowUncheckedSnapshot: opts.AllowUncheckedSnapshot}
	if err := c.start(rep); err != nil {
		return nil, err
	}
	checks := make([]*tableCheck, len(tables))
	var logs []*truthLog
	defer func() {
		for _, l := range logs {
			l.f.Close()
		}
	}()
	for i, t := range tables {
		if checks[i], err = c.newTableCheck(rep, t, truthCols[t], outs[i]); err != nil {
			return nil, err
		}
		outs[i] = nil
		if truthCols[t] != nil {
			l, err := c.openLog(checks[i])
			if err != nil {
				return nil, err
			}
			logs = append(logs, l)
		}
	}
	if err := c.streamLogs(rep, logs); err != nil {
		return nil, err
	}
	for _, tc := range checks {
		if err := tc.finish(); err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, tc.ct)
	}
	return rep, nil
}

// changeLogs returns the tables of the truth's change log and their
// columns.
func changeLogs(truthDir string) (map[string][]string, error) {
	logs, err := filepath.Glob(filepath.Join(truthDir, changeLogDir, "*.csv"))
	if err != nil {
		return nil, err
	}
	if len(logs) == 0 {
		return nil, fmt.Errorf("verify: no <SCHEMA>.<TABLE>.csv files in %s", filepath.Join(truthDir, changeLogDir))
	}
	cols := map[string][]string{}
	for _, f := range logs {
		h, err := readHeader(f)
		if err != nil {
			return nil, err
		}
		if len(h) < len(changeMeta) || !slices.Equal(h[:len(changeMeta)], changeMeta) {
			return nil, fmt.Errorf("verify: %s: header %v does not start with %v", f, h, changeMeta)
		}
		cols[strings.TrimSuffix(filepath.Base(f), ".csv")] = h[len(changeMeta):]
	}
	return cols, nil
}

// start settles where the job started: --from-scn, else the snapshot rows'
// SCN, else the truth's beginning.
func (c *checker) start(rep *ChangeReport) error {
	if len(c.snapSCNs) > 1 {
		var s []string
		for scn, n := range c.snapSCNs {
			s = append(s, fmt.Sprintf("%d rows at SCN %d", n, scn))
		}
		slices.Sort(s)
		return fmt.Errorf("verify: the output holds snapshots at several SCNs (%s): one job has one snapshot", strings.Join(s, ", "))
	}
	for scn := range c.snapSCNs {
		rep.SnapshotSCN = scn
	}
	switch {
	case c.opts.FromSCN > 0 && rep.SnapshotSCN > 0 && c.opts.FromSCN != rep.SnapshotSCN:
		return fmt.Errorf("verify: the snapshot rows are at SCN %d but the start given is SCN %d: the stream of a job with a snapshot starts at its SCN", rep.SnapshotSCN, c.opts.FromSCN)
	case c.opts.FromSCN > 0:
		rep.From, rep.FromSource = c.opts.FromSCN, "the start given"
	case rep.SnapshotSCN > 0:
		rep.From, rep.FromSource = rep.SnapshotSCN, "the snapshot rows' SCN"
	default:
		rep.FromSource = "no snapshot rows and no start given: the truth's beginning"
	}
	return nil
}

// part is a committed file of a table: part-<task>-<n>.csv.
type part struct {
	task string
	n    int // -1 when the name has no number
	path string
}

// partFiles returns a table's committed files in write order: by task,
// then by number, as numbers (part-0-10 after part-0-9). A task's sink
// numbers its files in the order it opens them and goes on from its
// checkpoint after a restart or failover, so this is the order each task
// wrote its rows in.
func partFiles(dir string) ([]part, error) {
	files, err := filepath.Glob(filepath.Join(dir, "part-*.csv"))
	if err != nil {
		return nil, err
	}
	parts := make([]part, len(files))
	for i, f := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "part-"), ".csv")
		p := part{task: base, n: -1, path: f}
		if j := strings.LastIndexByte(base, '-'); j >= 0 {
			if n, err := strconv.Atoi(base[j+1:]); err == nil && n >= 0 {
				p.task, p.n = base[:j], n
			}
		}
		parts[i] = p
	}
	slices.SortFunc(parts, func(a, b part) int {
		return cmp.Or(cmp.Compare(a.task, b.task), cmp.Compare(a.n, b.n), cmp.Compare(a.path, b.path))
	})
	return parts, nil
}

func (c *checker) addFile(name string) int32 {
	c.files = append(c.files, name)
	return int32(len(c.files) - 1)
}

// taskOrder follows one task's rows of a table in write order.
type taskOrder struct {
	changed bool    // a change row was read
	scn     uint64  // the last change's commit SCN
	xid     int32   // and transaction
	ended   []int32 // transactions that ended at scn
	change  loc     // the last change row
	snap    bool    // the last row read was a snapshot row
}

// readOutput reads a table's committed files into compact entries, and
// checks that each task wrote them in commit order.
func (c *checker) readOutput(table string, cols []string) (*outTable, error) {
	parts, err := partFiles(filepath.Join(c.out, table))
	if err != nil {
		return nil, err
	}
	ot := &outTable{}
	disorder := func(format string, args ...any) {
		ot.disorder++
		if len(ot.orderEx) < examplesPerKind {
			ot.orderEx = append(ot.orderEx, example{format, args})
		}
	}
	var keyIdx []int
	orders := map[string]*taskOrder{}
	for _, p := range parts {
		fi := c.addFile(p.path)
		o := orders[p.task]
		if o == nil {
			o = &taskOrder{}
			orders[p.task] = o
		}
		err := scanFile(p.path, func(header []string) error {
			if len(header) < metaCols || cols != nil && (len(header) != metaCols+len(cols) || !slices.Equal(header[metaCols:], cols)) {
				return fmt.Errorf("has columns %v, the truth %v", header, cols)
			}
			if ot.columns == nil {
				ot.columns = cloneStrings(header[metaCols:])
				if keyIdx, err = keyIndex(ot.columns, c.keys[table]); err != nil {
					return err
				}
			} else if !slices.Equal(ot.columns, header[metaCols:]) {
				return fmt.Errorf("has columns %v, an earlier file %v", header[metaCols:], ot.columns)
			}
			return nil
		}, func(r *record) error {
			at := loc{fi, int32(r.line)}
			if r.fields[0] == "r" {
				scn, err := strconv.ParseUint(r.fields[2], 10, 64)
				if err != nil {
					return fmt.Errorf("_commit_scn %q: %w", r.fields[2], err)
				}
				c.snapSCNs[scn]++
				vals, null := r.fields[metaCols:], r.null[metaCols:]
				row := c.hash(0, vals, null, nil)
				key := row
				if keyIdx != nil {
					key = c.hash(0, vals, null, keyIdx)
				}
				ot.snap = append(ot.snap, snapEnt{key: key, row: row, at: at})
				if o.changed && !o.snap {
					disorder("task %s: snapshot row %s after the change %s", p.task, at, o.change)
				}
				o.snap = true
				return nil
			}
			e, err := c.parseOutput(r)
			if err != nil {
				return err
			}
			e.at = at
			ot.changes = append(ot.changes, e)
			if o.changed {
				switch {
				case e.scn < o.scn:
					disorder("task %s: commit SCN %d after %d: %s after %s", p.task, e.scn, o.scn, at, o.change)
					o.ended = o.ended[:0]
				case e.scn > o.scn:
					o.ended = o.ended[:0]
				case e.xid != o.xid:
					if slices.Contains(o.ended, e.xid) {
						disorder("task %s: xid %s commit SCN %d goes on after xid %s began: %s after %s",
							p.task, c.xids[e.xid], e.scn, c.xids[o.xid], at, o.change)
					}
					o.ended = append(o.ended, o.xid)
				}
			}
			o.changed, o.snap, o.scn, o.xid, o.change = true, false, e.scn, e.xid, at
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ot, nil
}

func (c *checker) parseOutput(r *record) (ent, error) {
	var e ent
	f := r.fields
	switch f[0] {
	case "c", "u", "d":
	default:
		return e, fmt.Errorf("_op %q", f[0])
	}
	var err error
	if e.scn, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return e, fmt.Errorf("_commit_scn %q: %w", f[2], err)
	}
	seq, err := strconv.ParseInt(f[5], 10, 32)
	if err != nil {
		return e, fmt.Errorf("_seq %q: %w", f[5], err)
	}
	e.seq, e.xid = int32(seq), c.xid(f[4])
	e.hash = c.hash(f[0][0], f[metaCols:], r.null[metaCols:], nil)
	return e, nil
}

// keyIndex returns the positions of the key columns, nil for a keyless
// table.
func keyIndex(cols, key []string) ([]int, error) {
	if len(key) == 0 {
		return nil, nil
	}
	idx := make([]int, len(key))
	for i, k := range key {
		if idx[i] = slices.Index(cols, k); idx[i] < 0 {
			return nil, fmt.Errorf("key column %s is not among the columns %v", k, cols)
		}
	}
	return idx, nil
}

// snapState is a row of the table at the snapshot SCN as the truth's
// change log has it, keyed like snapEnt.
type snapState struct {
	row  uint64
	at   loc
	want int32 // copies in the table (more than one only without a key)
	got  int32 // copies read by the snapshot
}

// tableCheck accumulates the comparison of one table.
type tableCheck struct {
	c        *checker
	rep      *ChangeReport
	table    string
	cols     []string // the truth's columns, nil when it has no log of the table
	keyIdx   []int
	ot       *outTable
	state    map[uint64]snapState // the table at the snapshot SCN; nil without a snapshot, or once it cannot be replayed
	m        *merger
	ct       ChangeTable
	examples map[string][]example
	kinds    []string
}

// example is a difference: a format and its arguments, of which each loc
// becomes the row it points to, read again at the end.
type example struct {
	format string
	args   []any
}

func (tc *tableCheck) note(kind, format string, args ...any) {
	if tc.examples == nil {
		tc.examples = map[string][]example{}
	}
	if _, ok := tc.examples[kind]; !ok {
		tc.kinds = append(tc.kinds, kind)
	}
	if len(tc.examples[kind]) < examplesPerKind {
		tc.examples[kind] = append(tc.examples[kind], example{kind + ": " + format, args})
	}
}

func (c *checker) newTableCheck(rep *ChangeReport, table string, cols []string, ot *outTable) (*tableCheck, error) {
	tc := &tableCheck{c: c, rep: rep, table: table, cols: cols, ot: ot,
		ct: ChangeTable{Table: table, GotChanges: len(ot.changes), SnapshotRows: len(ot.snap), OutOfOrder: ot.disorder}}
	for _, ex := range ot.orderEx {
		tc.note("out of order", ex.format, ex.args...)
	}
	if cols != nil {
		var err error
		if tc.keyIdx, err = keyIndex(cols, c.keys[table]); err != nil {
			return nil, fmt.Errorf("verify: %s: %w", table, err)
		}
	}
	if rep.SnapshotSCN > 0 {
		tc.state = map[uint64]snapState{}
	}
	// The truth streams by: its changes of one commit SCN at a time meet
	// the output's, sorted; only the output is held.
	slices.SortFunc(ot.changes, byTxn)
	tc.m = &merger{tc: tc, rep: rep, got: ot.changes}
	ot.changes = nil
	return tc, nil
}

// truthLog is a table's change log in the truth, streaming.
type truthLog struct {
	tc    *tableCheck
	f     *os.File
	s     *scanner
	fi    int32
	head  *record // the next row, nil at the end
	scn   uint64  // its commit SCN
	batch []ent   // the rows of the commit SCN at hand to compare
}

func (c *checker) openLog(tc *tableCheck) (*truthLog, error) {
	path := filepath.Join(c.truth, changeLogDir, tc.table+".csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	l := &truthLog{tc: tc, f: f, s: newScanner(f), fi: c.addFile(path)}
	if _, err := l.s.next(); err != nil { // the header, read before
		f.Close()
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	if err := l.advance(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *truthLog) errorf(format string, args ...any) error {
	return fmt.Errorf("verify: %s line %d: %s", l.tc.c.files[l.fi], l.head.line, fmt.Sprintf(format, args...))
}

// advance reads the next row.
func (l *truthLog) advance() error {
	r, err := l.s.next()
	if err == io.EOF {
		l.head = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("verify: %s: %w", l.tc.c.files[l.fi], err)
	}
	l.head = r
	scn, err := strconv.ParseUint(r.fields[1], 10, 64)
	if err != nil {
		return l.errorf("_commit_scn %q: %v", r.fields[1], err)
	}
	if scn < l.scn {
		return l.errorf("commit SCN %d after %d: the change log is not in commit order", scn, l.scn)
	}
	l.scn = scn
	if op := r.fields[0]; op != "c" && op != "u" && op != "d" {
		return l.errorf("_op %q", op)
	}
	return nil
}

// take uses the row at hand: a change before the start goes to the
// snapshot's replay, one after it to the batch to compare.
func (l *truthLog) take() error {
	tc, c, r := l.tc, l.tc.c, l.head
	at := loc{l.fi, int32(r.line)}
	op := r.fields[0][0]
	vals, null := r.fields[len(changeMeta):], r.null[len(changeMeta):]
	if l.scn <= tc.rep.From {
		if tc.state != nil {
			tc.state = tc.replay(tc.state, op, vals, null, at, l.scn)
		}
		return nil
	}
	if tc.rep.To > 0 && l.scn > tc.rep.To {
		return nil
	}
	seq, err := strconv.ParseInt(r.fields[3], 10, 32)
	if err != nil {
		return l.errorf("_seq %q: %v", r.fields[3], err)
	}
	l.batch = append(l.batch, ent{scn: l.scn, xid: c.xid(r.fields[2]), seq: int32(seq), hash: c.hash(op, vals, null, nil), at: at})
	tc.ct.WantChanges++
	return nil
}

// streamLogs walks the change logs of the tables checked together, one
// commit SCN at a time: the changes of that SCN in every log are read,
// their _seq renumbered over these tables, and each table's compared
// with the output's.
func (c *checker) streamLogs(rep *ChangeReport, logs []*truthLog) error {
	for {
		var scn uint64
		found := false
		for _, l := range logs {
			if l.head != nil && (!found || l.scn < scn) {
				scn, found = l.scn, true
			}
		}
		if !found {
			break
		}
		for _, l := range logs {
			for l.head != nil && l.scn == scn {
				if err := l.take(); err != nil {
					return err
				}
				if err := l.advance(); err != nil {
					return err
				}
			}
		}
		c.renumber(logs)
		for _, l := range logs {
			if len(l.batch) > 0 {
				l.tc.m.commitSCN(l.batch)
				l.batch = l.batch[:0]
			}
		}
	}
	return nil
}

// renumber sets the _seq of the changes in the batches, all of one commit
// SCN, to their index in their transaction over the tables checked, in the
// truth's order: the truth counts a transaction's changes over all its
// tables, a job capturing some of them only over those.
func (c *checker) renumber(logs []*truthLog) {
	refs := c.refs[:0]
	for _, l := range logs {
		for i := range l.batch {
			refs = append(refs, &l.batch[i])
		}
	}
	slices.SortFunc(refs, func(a, b *ent) int {
		return cmp.Or(cmp.Compare(a.xid, b.xid), cmp.Compare(a.seq, b.seq), a.at.cmp(b.at))
	})
	var n int32
	for i, e := range refs {
		if i > 0 && refs[i-1].xid != e.xid {
			n = 0
		}
		e.seq = n
		n++
	}
	clear(refs)
	c.refs = refs[:0]
}

// finish settles the table once the truth has streamed by.
func (tc *tableCheck) finish() error {
	tc.m.done()
	if tc.state != nil {
		tc.compareSnapshot(tc.state, tc.ot.snap)
	}
	tc.ot = nil
	return tc.render()
}

// replay applies a change committed at or before the snapshot SCN to the
// table's state; it gives up (nil, with the reason) when the change cannot
// be placed.
func (tc *tableCheck) replay(state map[uint64]snapState, op byte, vals []string, null []bool, at loc, scn uint64) map[uint64]snapState {
	c := tc.c
	row := c.hash(0, vals, null, nil)
	if tc.keyIdx == nil {
		switch op {
		case 'c':
			s := state[row]
			s.row, s.at, s.want = row, at, s.want+1
			state[row] = s
			return state
		case 'd':
			if s := state[row]; s.want > 0 {
				s.want--
				state[row] = s
				if s.want == 0 {
					delete(state, row)
				}
				return state
			}
			tc.ct.SnapshotUnchecked = fmt.Sprintf("the change log deletes, at SCN %d, a row it does not hold: it does not start from an empty table", scn)
		default:
			tc.ct.SnapshotUnchecked = fmt.Sprintf("the change log updates a table without a key (in _keys.json) at SCN %d: the row cannot be placed", scn)
		}
		return nil
	}
	key := c.hash(0, vals, null, tc.keyIdx)
	_, there := state[key]
	switch {
	case op == 'd' && there:
		delete(state, key)
	case op == 'c' && !there, op == 'u' && there:
		state[key] = snapState{row: row, at: at, want: 1}
	default:
		tc.ct.SnapshotUnchecked = fmt.Sprintf("the change log's %c at SCN %d does not fit the rows before it: it does not start from an empty table", op, scn)
		return nil
	}
	return state
}

func (tc *tableCheck) compareSnapshot(state map[uint64]snapState, snap []snapEnt) {
	for _, s := range state {
		tc.ct.SnapshotWant += int(s.want)
	}
	for _, r := range snap {
		s, ok := state[r.key]
		switch {
		case !ok:
			tc.ct.SnapshotExtra++
			tc.note("snapshot extra", "%s is not in the table at the snapshot SCN", r.at)
			continue
		case s.got >= s.want:
			tc.ct.SnapshotDuplicated++
			tc.note("snapshot duplicated", "%s was read before", r.at)
		case s.row != r.row:
			tc.ct.SnapshotWrong++
			tc.note("snapshot wrong", "got %s, want %s", r.at, s.at)
		}
		s.got++
		state[r.key] = s
	}
	for _, s := range state {
		if s.got < s.want {
			tc.ct.SnapshotMissing += int(s.want - s.got)
			tc.note("snapshot missing", "%s", s.at)
		}
	}
}

// byTxn orders entries by transaction (commit SCN, XID), then _seq, then
// place in the output.
func byTxn(a, b ent) int {
	return cmp.Or(cmp.Compare(a.scn, b.scn), cmp.Compare(a.xid, b.xid), cmp.Compare(a.seq, b.seq), a.at.cmp(b.at))
}

func sameTxn(a, b ent) bool { return a.scn == b.scn && a.xid == b.xid }

// next returns the entries of the first transaction of es and the rest.
func next(es []ent) (txn, rest []ent) {
	n := 1
	for n < len(es) && sameTxn(es[n], es[0]) {
		n++
	}
	return es[:n], es[n:]
}

// merger walks the output's changes, sorted by transaction, alongside the
// truth's, which arrive one commit SCN at a time.
type merger struct {
	tc  *tableCheck
	rep *ChangeReport
	got []ent // the output's changes not yet met
}

// commitSCN compares the truth's transactions of one commit SCN (its
// changes in file order) with the output's.
func (m *merger) commitSCN(batch []ent) {
	slices.SortStableFunc(batch, func(a, b ent) int { return cmp.Or(cmp.Compare(a.xid, b.xid), cmp.Compare(a.seq, b.seq)) })
	for len(batch) > 0 {
		var want []ent
		want, batch = next(batch)
		m.txn(want)
	}
}

func (m *merger) txn(want []ent) {
	tc := m.tc
	tc.ct.Want++
	for len(m.got) > 0 && cmp.Or(cmp.Compare(m.got[0].scn, want[0].scn), cmp.Compare(m.got[0].xid, want[0].xid)) < 0 {
		m.extra()
	}
	if len(m.got) == 0 || !sameTxn(m.got[0], want[0]) {
		tc.ct.Missing++
		tc.note("missing", "xid %s commit SCN %d, %d changes; the first: %s", tc.c.xids[want[0].xid], want[0].scn, len(want), want[0].at)
		return
	}
	var have []ent
	have, m.got = next(m.got)
	tc.ct.Got++
	tc.compareTxn(want, have)
}

// extra reports the output's next transaction, which the truth does not
// have.
func (m *merger) extra() {
	tc := m.tc
	var have []ent
	have, m.got = next(m.got)
	tc.ct.Got++
	tc.ct.Extra++
	why := "not in the truth: rolled back, or never made"
	switch e := have[0]; {
	case e.scn <= m.rep.From:
		why = fmt.Sprintf("committed at or before the start SCN %d", m.rep.From)
	case m.rep.To > 0 && e.scn > m.rep.To:
		why = fmt.Sprintf("committed after SCN %d", m.rep.To)
	}
	tc.note("extra", "xid %s commit SCN %d, %d changes, %s; the first: %s", tc.c.xids[have[0].xid], have[0].scn, len(have), why, have[0].at)
}

// done reports what is left of the output as extra.
func (m *merger) done() {
	for len(m.got) > 0 {
		m.extra()
	}
}

// compareTxn compares the output's changes of one transaction (sorted by
// _seq, then place in the output) with the truth's: the same _seq, each
// once, with the truth's op and values, written in _seq order.
func (tc *tableCheck) compareTxn(want, have []ent) {
	head := fmt.Sprintf("xid %s commit SCN %d", tc.c.xids[want[0].xid], want[0].scn)
	wrong := func(format string, args ...any) {
		tc.ct.Wrong++
		tc.note("wrong", "%s "+format, append([]any{head}, args...)...)
	}
	// The first copy of each _seq; later copies are duplicates when equal,
	// a conflict when not.
	first := make([]ent, 0, len(have))
	dups := 0
	for _, e := range have {
		if n := len(first); n > 0 && first[n-1].seq == e.seq {
			if first[n-1].hash != e.hash {
				wrong("seq %d is in the output twice with different values: %s and %s", e.seq, first[n-1].at, e.at)
				return
			}
			dups++
			continue
		}
		first = append(first, e)
	}
	i, j := 0, 0
	for i < len(first) || j < len(want) {
		switch {
		case j == len(want) || i < len(first) && first[i].seq < want[j].seq:
			wrong("seq %d is not in the truth: got %s", first[i].seq, first[i].at)
			return
		case i == len(first) || first[i].seq > want[j].seq:
			wrong("seq %d is missing: want %s", want[j].seq, want[j].at)
			return
		case first[i].hash != want[j].hash:
			wrong("seq %d: got %s, want %s", want[j].seq, first[i].at, want[j].at)
			return
		}
		i, j = i+1, j+1
	}
	for i := 1; i < len(first); i++ {
		if a, b := first[i-1], first[i]; b.at.cmp(a.at) < 0 {
			wrong("seq %d is written before seq %d: %s, then %s", b.seq, a.seq, b.at, a.at)
			return
		}
	}
	if dups > 0 {
		tc.ct.Duplicated++
		tc.note("duplicated", "%s, %d changes, %d rows more than once; the first: %s", head, len(want), dups, have[0].at)
	}
}

// render reads the rows the examples cite and writes the examples out.
func (tc *tableCheck) render() error {
	need := map[int32]map[int32]string{}
	for _, ex := range tc.examples {
		for _, e := range ex {
			for _, a := range e.args {
				if at, ok := a.(loc); ok {
					if need[at.file] == nil {
						need[at.file] = map[int32]string{}
					}
					need[at.file][at.line] = ""
				}
			}
		}
	}
	for fi, lines := range need {
		err := scanFile(tc.c.files[fi], func([]string) error { return nil }, func(r *record) error {
			if _, ok := lines[int32(r.line)]; ok {
				lines[int32(r.line)] = rowText(r)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, kind := range tc.kinds {
		for _, e := range tc.examples[kind] {
			args := slices.Clone(e.args)
			for i, a := range args {
				if at, ok := a.(loc); ok {
					args[i] = fmt.Sprintf("%s (%s line %d)", need[at.file][at.line], tc.c.relName(at.file), at.line)
				}
			}
			tc.ct.Examples = append(tc.ct.Examples, fmt.Sprintf(e.format, args...))
		}
	}
	return nil
}

// relName names a file relative to its output or truth directory.
func (c *checker) relName(fi int32) string {
	f := c.files[fi]
	for _, dir := range []string{c.out, c.truth} {
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return f
}

// rowText renders a record as a CSV line (NULL empty, an empty value ""),
// cut to a readable length.
func rowText(r *record) string {
	s := csvLine(r.fields, r.null)
	if len(s) > 240 {
		s = s[:200] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}
