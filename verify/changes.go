package verify

import (
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"errors"
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
	Tables      []ChangeTable
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
	// SnapshotRows is the number of snapshot rows in the output,
	// SnapshotWant the rows of the table at the snapshot SCN.
	SnapshotRows, SnapshotWant int
	// Snapshot rows missing, not in the table at the snapshot SCN, read
	// more than once, or with other values than the table had.
	SnapshotMissing, SnapshotExtra, SnapshotDuplicated, SnapshotWrong int
	// SnapshotUnchecked says why the snapshot of this table could not be
	// checked; empty when it was (or when there is no snapshot).
	SnapshotUnchecked string
	// Examples are the first few differences of each kind.
	Examples []string
}

// OK reports whether the table's changes and snapshot match.
func (t ChangeTable) OK() bool {
	return t.Missing == 0 && t.Extra == 0 && t.Duplicated == 0 && t.Wrong == 0 &&
		t.SnapshotMissing == 0 && t.SnapshotExtra == 0 && t.SnapshotDuplicated == 0 && t.SnapshotWrong == 0
}

// OK reports whether every table matches.
func (r *ChangeReport) OK() bool {
	for _, t := range r.Tables {
		if !t.OK() {
			return false
		}
	}
	return true
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
	b.WriteString(" exactly once")
	if r.SnapshotSCN > 0 {
		fmt.Fprintf(&b, "; snapshot rows checked against the tables at SCN %d", r.SnapshotSCN)
	}
	b.WriteString("\n")
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "%s: %d transactions (%d changes) expected, %d (%d changes) in the output: %d missing, %d extra, %d duplicated, %d wrong",
			t.Table, t.Want, t.WantChanges, t.Got, t.GotChanges, t.Missing, t.Extra, t.Duplicated, t.Wrong)
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
	b.WriteString("\n")
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
}

func (c *checker) xid(s string) int32 {
	if i, ok := c.xidIdx[s]; ok {
		return i
	}
	i := int32(len(c.xids))
	c.xidIdx[s] = i
	c.xids = append(c.xids, s)
	return i
}

func (c *checker) hash(op byte, vals []string, idx []int) uint64 {
	c.h.Reset()
	c.h.WriteByte(op)
	var n [4]byte
	add := func(v string) {
		binary.LittleEndian.PutUint32(n[:], uint32(len(v)))
		c.h.Write(n[:])
		c.h.WriteString(v)
	}
	if idx == nil {
		for _, v := range vals {
			add(v)
		}
	} else {
		for _, i := range idx {
			add(vals[i])
		}
	}
	return c.h.Sum64()
}

// perChange runs the per-change check.
func perChange(outputDir, truthDir string, opts Options, keys map[string][]string) (*ChangeReport, error) {
	c := &checker{out: outputDir, truth: truthDir, opts: opts, keys: keys, seed: maphash.MakeSeed(),
		xidIdx: map[string]int32{}, snapSCNs: map[uint64]int{}}
	c.h.SetSeed(c.seed)
	logs, err := filepath.Glob(filepath.Join(truthDir, changeLogDir, "*.csv"))
	if err != nil {
		return nil, err
	}
	if len(logs) == 0 {
		return nil, fmt.Errorf("verify: no <SCHEMA>.<TABLE>.csv files in %s", filepath.Join(truthDir, changeLogDir))
	}
	truthCols := map[string][]string{}
	var tables []string
	for _, f := range logs {
		table := strings.TrimSuffix(filepath.Base(f), ".csv")
		h, err := readHeader(f)
		if err != nil {
			return nil, err
		}
		if len(h) < len(changeMeta) || !slices.Equal(h[:len(changeMeta)], changeMeta) {
			return nil, fmt.Errorf("verify: %s: header %v does not start with %v", f, h, changeMeta)
		}
		truthCols[table] = h[len(changeMeta):]
		tables = append(tables, table)
	}
	// Output tables the truth does not know: everything in them is extra.
	dirs, _ := filepath.Glob(filepath.Join(outputDir, "*", "part-*.csv"))
	for _, f := range dirs {
		if t := filepath.Base(filepath.Dir(f)); truthCols[t] == nil && !slices.Contains(tables, t) {
			tables = append(tables, t)
		}
	}
	slices.Sort(tables)
	outs := make(map[string]*outTable, len(tables))
	for _, t := range tables {
		if outs[t], err = c.readOutput(t, truthCols[t]); err != nil {
			return nil, err
		}
	}
	rep := &ChangeReport{To: opts.ToSCN}
	if err := c.start(rep); err != nil {
		return nil, err
	}
	for _, t := range tables {
		ct, err := c.compareTable(rep, t, truthCols[t], outs[t])
		if err != nil {
			return nil, err
		}
		outs[t] = nil // let the table's entries go
		rep.Tables = append(rep.Tables, ct)
	}
	return rep, nil
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

// partFiles returns a table's committed files in write order: by task,
// then by number.
func partFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "part-*.csv"))
	if err != nil {
		return nil, err
	}
	type part struct {
		task string
		n    int
		name string
	}
	parts := make([]part, len(files))
	for i, f := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "part-"), ".csv")
		p := part{task: base, n: -1, name: f}
		if j := strings.LastIndexByte(base, '-'); j >= 0 {
			if n, err := strconv.Atoi(base[j+1:]); err == nil {
				p.task, p.n = base[:j], n
			}
		}
		parts[i] = p
	}
	slices.SortFunc(parts, func(a, b part) int {
		return cmp.Or(cmp.Compare(a.task, b.task), cmp.Compare(a.n, b.n), cmp.Compare(a.name, b.name))
	})
	for i, p := range parts {
		files[i] = p.name
	}
	return files, nil
}

func (c *checker) addFile(name string) int32 {
	c.files = append(c.files, name)
	return int32(len(c.files) - 1)
}

// readOutput reads a table's committed files into compact entries.
func (c *checker) readOutput(table string, cols []string) (*outTable, error) {
	files, err := partFiles(filepath.Join(c.out, table))
	if err != nil {
		return nil, err
	}
	ot := &outTable{}
	var keyIdx []int
	for _, f := range files {
		fi := c.addFile(f)
		err := scanCSV(f, func(header []string) error {
			if len(header) < metaCols || cols != nil && (len(header) != metaCols+len(cols) || !slices.Equal(header[metaCols:], cols)) {
				return fmt.Errorf("has columns %v, the truth %v", header, cols)
			}
			if ot.columns == nil {
				ot.columns = slices.Clone(header[metaCols:])
				if keyIdx, err = keyIndex(ot.columns, c.keys[table]); err != nil {
					return err
				}
			} else if !slices.Equal(ot.columns, header[metaCols:]) {
				return fmt.Errorf("has columns %v, an earlier file %v", header[metaCols:], ot.columns)
			}
			return nil
		}, func(r []string, line int) error {
			if r[0] == "r" {
				scn, err := strconv.ParseUint(r[2], 10, 64)
				if err != nil {
					return fmt.Errorf("_commit_scn %q: %w", r[2], err)
				}
				c.snapSCNs[scn]++
				vals := r[metaCols:]
				row := c.hash(0, vals, nil)
				key := row
				if keyIdx != nil {
					key = c.hash(0, vals, keyIdx)
				}
				ot.snap = append(ot.snap, snapEnt{key: key, row: row, at: loc{fi, int32(line)}})
				return nil
			}
			e, err := c.parseOutput(r)
			if err != nil {
				return err
			}
			e.at = loc{fi, int32(line)}
			ot.changes = append(ot.changes, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ot, nil
}

func (c *checker) parseOutput(r []string) (ent, error) {
	var e ent
	switch r[0] {
	case "c", "u", "d":
	default:
		return e, fmt.Errorf("_op %q", r[0])
	}
	var err error
	if e.scn, err = strconv.ParseUint(r[2], 10, 64); err != nil {
		return e, fmt.Errorf("_commit_scn %q: %w", r[2], err)
	}
	seq, err := strconv.ParseInt(r[5], 10, 32)
	if err != nil {
		return e, fmt.Errorf("_seq %q: %w", r[5], err)
	}
	e.seq, e.xid = int32(seq), c.xid(r[4])
	e.hash = c.hash(r[0][0], r[metaCols:], nil)
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

func (c *checker) compareTable(rep *ChangeReport, table string, cols []string, ot *outTable) (ChangeTable, error) {
	tc := &tableCheck{c: c, ct: ChangeTable{Table: table, GotChanges: len(ot.changes), SnapshotRows: len(ot.snap)}}
	var keyIdx []int
	var err error
	if cols != nil {
		if keyIdx, err = keyIndex(cols, c.keys[table]); err != nil {
			return tc.ct, fmt.Errorf("verify: %s: %w", table, err)
		}
	}
	var state map[uint64]snapState
	if rep.SnapshotSCN > 0 {
		state = map[uint64]snapState{}
	}
	// The truth streams by: its changes of one commit SCN at a time meet
	// the output's, sorted; only the output is held.
	slices.SortFunc(ot.changes, byTxn)
	m := &merger{tc: tc, rep: rep, got: ot.changes}
	var batch []ent
	if cols != nil {
		f := filepath.Join(c.truth, changeLogDir, table+".csv")
		fi := c.addFile(f)
		var last uint64
		err := scanCSV(f, func([]string) error { return nil }, func(r []string, line int) error {
			scn, err := strconv.ParseUint(r[1], 10, 64)
			if err != nil {
				return fmt.Errorf("_commit_scn %q: %w", r[1], err)
			}
			if scn < last {
				return fmt.Errorf("commit SCN %d after %d: the change log is not in commit order", scn, last)
			}
			last = scn
			at := loc{fi, int32(line)}
			op := r[0]
			if op != "c" && op != "u" && op != "d" {
				return fmt.Errorf("_op %q", op)
			}
			vals := r[len(changeMeta):]
			if scn <= rep.From {
				if state != nil {
					state = tc.replay(state, op, vals, keyIdx, at, scn)
				}
				return nil
			}
			if rep.To > 0 && scn > rep.To {
				return nil
			}
			seq, err := strconv.ParseInt(r[3], 10, 32)
			if err != nil {
				return fmt.Errorf("_seq %q: %w", r[3], err)
			}
			if len(batch) > 0 && batch[0].scn != scn {
				m.commitSCN(batch)
				batch = batch[:0]
			}
			batch = append(batch, ent{scn: scn, xid: c.xid(r[2]), seq: int32(seq), hash: c.hash(op[0], vals, nil), at: at})
			tc.ct.WantChanges++
			return nil
		})
		if err != nil {
			return tc.ct, err
		}
	}
	m.commitSCN(batch)
	m.done()
	if state != nil {
		tc.compareSnapshot(state, ot.snap)
	}
	if err := tc.render(); err != nil {
		return tc.ct, err
	}
	return tc.ct, nil
}

// replay applies a change committed at or before the snapshot SCN to the
// table's state; it gives up (nil, with the reason) when the change cannot
// be placed.
func (tc *tableCheck) replay(state map[uint64]snapState, op string, vals []string, keyIdx []int, at loc, scn uint64) map[uint64]snapState {
	c := tc.c
	row := c.hash(0, vals, nil)
	if keyIdx == nil {
		switch op {
		case "c":
			s := state[row]
			s.row, s.at, s.want = row, at, s.want+1
			state[row] = s
			return state
		case "d":
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
	key := c.hash(0, vals, keyIdx)
	_, there := state[key]
	switch {
	case op == "d" && there:
		delete(state, key)
	case op == "c" && !there, op == "u" && there:
		state[key] = snapState{row: row, at: at, want: 1}
	default:
		tc.ct.SnapshotUnchecked = fmt.Sprintf("the change log's %s at SCN %d does not fit the rows before it: it does not start from an empty table", op, scn)
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
		err := scanCSV(tc.c.files[fi], func([]string) error { return nil }, func(r []string, line int) error {
			if _, ok := lines[int32(line)]; ok {
				lines[int32(line)] = rowText(r)
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

// rowText renders a record as a CSV line, cut to a readable length.
func rowText(r []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(r)
	w.Flush()
	s := strings.TrimSuffix(b.String(), "\n")
	if len(s) > 240 {
		s = s[:200] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

func readHeader(path string) ([]string, error) {
	var h []string
	err := scanCSV(path, func(header []string) error { h = slices.Clone(header); return errStop }, nil)
	if errors.Is(err, errStop) {
		err = nil
	}
	return h, err
}

var errStop = errors.New("stop")

// scanCSV reads a CSV file: header gets the first record, row each later
// one with the line it starts on. The records passed are reused.
func scanCSV(path string, header func([]string) error, row func(r []string, line int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	h, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("verify: %s is empty", path)
	}
	if err != nil {
		return fmt.Errorf("verify: %s: %w", path, err)
	}
	if err := header(h); err != nil {
		if errors.Is(err, errStop) {
			return err
		}
		return fmt.Errorf("verify: %s: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("verify: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if err := row(rec, line); err != nil {
			return fmt.Errorf("verify: %s line %d: %w", path, line, err)
		}
	}
}
