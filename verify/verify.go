package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Mode selects the checks Run makes.
type Mode string

// The modes.
const (
	// ModeAuto runs the per-change check when the truth has _changes/, and
	// the final-state check when it has table dumps. A truth with
	// _final_scn (complete) but no _changes/ is an error.
	ModeAuto Mode = "auto"
	// ModePerChange runs the per-change check alone.
	ModePerChange Mode = "per-change"
	// ModeFinalState runs the final-state check alone.
	ModeFinalState Mode = "final-state"
)

// ParseMode parses auto, per-change or final-state.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModePerChange, ModeFinalState:
		return m, nil
	}
	return "", fmt.Errorf("%w: %q: use auto, per-change or final-state", ErrMode, s)
}

// Options are the settings of a verification. The zero value is ModeAuto,
// with the start taken from the output.
type Options struct {
	// Mode is the checks to run; "" is ModeAuto.
	Mode Mode
	// FromSCN is where the job started streaming: the transactions
	// committed after it are expected. 0 takes the SCN of the output's
	// snapshot rows, or with none the truth's beginning. Give it for a job
	// started with latest-offset, or specific-offset from an SCN after the
	// truth's first transaction.
	FromSCN uint64
	// ToSCN, when not 0, is the last commit SCN the job was to reach (a run
	// with --until-scn): later transactions are not expected.
	ToSCN uint64
	// Tables, when not empty, are the tables to check, as SCHEMA.TABLE: a
	// job that captures only some of the truth's tables. Only they are
	// checked, and the truth's _seq, which counts a transaction's changes
	// over all its tables, is counted over them, in order, as the job
	// numbers them. Empty: every table of the truth.
	Tables []string
	// AllowUncheckedSnapshot accepts a snapshot the per-change check could
	// not check (ChangeTable.SnapshotUnchecked); without it that fails.
	AllowUncheckedSnapshot bool
}

// changeLogDir is the truth's folder of per-table change logs.
const changeLogDir = "_changes"

// TableReport is the final-state outcome for one table.
type TableReport struct {
	Table      string
	Changes    int // change rows read from committed files
	Rows       int // rows in the truth
	Missing    int // in the truth, not rebuilt
	Duplicated int // rebuilt more often than in the truth, or a change seen twice
	Mismatched int // same key, different values
	Examples   []string
}

// OK reports whether the table matches.
func (r TableReport) OK() bool { return r.Missing == 0 && r.Duplicated == 0 && r.Mismatched == 0 }

// Report is the outcome of the checks that ran.
type Report struct {
	// Checks are the checks that ran, in order: ModePerChange and/or
	// ModeFinalState.
	Checks []Mode
	// Changes is the per-change outcome, nil when that check did not run.
	Changes *ChangeReport
	// Tables is the final-state outcome per table.
	Tables []TableReport
}

// Ran reports whether the check m ran.
func (r Report) Ran(m Mode) bool { return slices.Contains(r.Checks, m) }

// OK reports whether every check that ran found the output matching.
func (r Report) OK() bool {
	if r.Changes != nil && !r.Changes.OK() {
		return false
	}
	for _, t := range r.Tables {
		if !t.OK() {
			return false
		}
	}
	return true
}

// Totals sums the final-state counts of all tables.
func (r Report) Totals() (missing, duplicated, mismatched int) {
	for _, t := range r.Tables {
		missing += t.Missing
		duplicated += t.Duplicated
		mismatched += t.Mismatched
	}
	return
}

func (r Report) String() string {
	var b strings.Builder
	modes := make([]string, len(r.Checks))
	for i, m := range r.Checks {
		modes[i] = string(m)
	}
	fmt.Fprintf(&b, "mode: %s\n", strings.Join(modes, " and "))
	if r.Changes != nil {
		b.WriteString(r.Changes.String())
	}
	if !r.Ran(ModeFinalState) {
		return b.String()
	}
	b.WriteString("final-state: each table rebuilt from the output equals the truth's final contents\n")
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "%s: %d changes, %d rows: %d missing, %d duplicated, %d mismatched\n",
			t.Table, t.Changes, t.Rows, t.Missing, t.Duplicated, t.Mismatched)
		for _, e := range t.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	m, d, x := r.Totals()
	fmt.Fprintf(&b, "final-state total: %d missing, %d duplicated, %d mismatched\n", m, d, x)
	return b.String()
}

const metaCols = 6 // _op,_scn,_commit_scn,_commit_ts,_xid,_seq

// Run verifies the output in outputDir against the truth in truthDir with
// the default options (ModeAuto).
func Run(outputDir, truthDir string) (Report, error) {
	return RunWith(outputDir, truthDir, Options{})
}

// RunWith verifies the output in outputDir against the truth in truthDir.
func RunWith(outputDir, truthDir string, opts Options) (Report, error) {
	mode := opts.Mode
	if mode == "" {
		mode = ModeAuto
	}
	if _, err := ParseMode(string(mode)); err != nil {
		return Report{}, err
	}
	keys := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(truthDir, "_keys.json")); err == nil {
		if err := json.Unmarshal(b, &keys); err != nil {
			return Report{}, fmt.Errorf("verify: %s: %w", filepath.Join(truthDir, "_keys.json"), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	only, err := tableList(opts.Tables)
	if err != nil {
		return Report{}, err
	}
	dumps, err := filepath.Glob(filepath.Join(truthDir, "*.csv"))
	if err != nil {
		return Report{}, err
	}
	st, err := os.Stat(filepath.Join(truthDir, changeLogDir))
	hasLog := err == nil && st.IsDir()
	_, err = os.Stat(filepath.Join(truthDir, "_final_scn"))
	complete := err == nil
	perChangeOn := mode == ModePerChange || mode == ModeAuto && hasLog
	finalOn := mode == ModeFinalState || mode == ModeAuto && len(dumps) > 0
	switch {
	case mode == ModeAuto && complete && !hasLog:
		return Report{}, fmt.Errorf("verify: truth directory %q has _final_scn but no %s/: a complete truth has its committed change log, and this one lost it or was written without it, so the per-change check cannot run; write the truth again, or give --mode final-state to check the final contents alone", truthDir, changeLogDir)
	case mode == ModePerChange && !hasLog:
		return Report{}, fmt.Errorf("verify: no %s/ folder in truth directory %q: the per-change check needs the committed change log", changeLogDir, truthDir)
	case mode == ModeFinalState && len(dumps) == 0:
		return Report{}, fmt.Errorf("verify: no <SCHEMA>.<TABLE>.csv files in truth directory %q", truthDir)
	case !perChangeOn && !finalOn:
		return Report{}, fmt.Errorf("verify: truth directory %q holds neither %s/ nor <SCHEMA>.<TABLE>.csv files", truthDir, changeLogDir)
	}
	if only != nil {
		if perChangeOn {
			if err := haveTables(only, filepath.Join(truthDir, changeLogDir)); err != nil {
				return Report{}, err
			}
		}
		if finalOn {
			if err := haveTables(only, truthDir); err != nil {
				return Report{}, err
			}
			dumps = dumps[:0]
			for _, t := range only {
				dumps = append(dumps, filepath.Join(truthDir, t+".csv"))
			}
		}
	}
	var rep Report
	if perChangeOn {
		if rep.Changes, err = perChange(outputDir, truthDir, opts, keys, only); err != nil {
			return Report{}, err
		}
		rep.Checks = append(rep.Checks, ModePerChange)
	}
	if finalOn {
		if rep.Tables, err = finalState(outputDir, dumps, keys); err != nil {
			return Report{}, err
		}
		rep.Checks = append(rep.Checks, ModeFinalState)
	}
	return rep, nil
}

// tableList checks Options.Tables: sorted, without repeats, nil when
// empty.
func tableList(tables []string) ([]string, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	out := slices.Clone(tables)
	for _, t := range out {
		schema, name, ok := strings.Cut(t, ".")
		if !ok || schema == "" || name == "" || strings.ContainsAny(name, "./\\") || strings.ContainsAny(schema, "/\\") {
			return nil, fmt.Errorf("verify: %w: %q is not SCHEMA.TABLE", ErrTable, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// haveTables checks that dir holds <SCHEMA>.<TABLE>.csv of each table.
func haveTables(tables []string, dir string) error {
	for _, t := range tables {
		if _, err := os.Stat(filepath.Join(dir, t+".csv")); err != nil {
			have, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
			for i, f := range have {
				have[i] = strings.TrimSuffix(filepath.Base(f), ".csv")
			}
			return fmt.Errorf("verify: %w: %s is not in %s, which has %s", ErrTable, t, dir, strings.Join(have, ", "))
		}
	}
	return nil
}

// finalState rebuilds each table of the truth dumps from the output and
// compares it with the dump.
func finalState(outputDir string, truths []string, keys map[string][]string) ([]TableReport, error) {
	sort.Strings(truths)
	var reps []TableReport
	for _, tf := range truths {
		table := strings.TrimSuffix(filepath.Base(tf), ".csv")
		tr, err := verifyTable(table, tf, filepath.Join(outputDir, table), keys[table])
		if err != nil {
			return nil, err
		}
		reps = append(reps, tr)
	}
	return reps, nil
}

// frow is a row of the final-state check: its values and which are NULL.
type frow struct {
	vals []string
	null []bool
}

// text renders the row as the sink writes it.
func (r frow) text() string { return csvLine(r.vals, r.null) }

// ident is the values at idx (all when nil), NULL apart from the empty
// string, as one string to compare and look up.
func (r frow) ident(idx []int) string {
	var b []byte
	add := func(i int) {
		if r.null[i] {
			b = append(b, '-')
			return
		}
		b = strconv.AppendInt(b, int64(len(r.vals[i])), 10)
		b = append(b, ':')
		b = append(b, r.vals[i]...)
	}
	if idx == nil {
		for i := range r.vals {
			add(i)
		}
	} else {
		for _, i := range idx {
			add(i)
		}
	}
	return string(b)
}

// keyText renders the values at idx.
func (r frow) keyText(idx []int) string {
	k := frow{vals: make([]string, len(idx)), null: make([]bool, len(idx))}
	for i, j := range idx {
		k.vals[i], k.null[i] = r.vals[j], r.null[j]
	}
	return k.text()
}

type change struct {
	op        string
	commitSCN uint64
	xid       string
	seq       int
	scn       uint64
	row       frow
	file      string
}

func verifyTable(table, truthFile, dir string, key []string) (TableReport, error) {
	rep := TableReport{Table: table}
	header, truth, err := readRows(truthFile)
	if err != nil {
		return rep, err
	}
	rep.Rows = len(truth)
	keyIdx := make([]int, len(key))
	for i, k := range key {
		if keyIdx[i] = slices.Index(header, k); keyIdx[i] < 0 {
			return rep, fmt.Errorf("verify: key column %s is not in %s", k, truthFile)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "part-*.csv"))
	var log []change
	for _, f := range files {
		h, recs, err := readRows(f)
		if err != nil {
			return rep, err
		}
		if len(h) != metaCols+len(header) || !slices.Equal(h[metaCols:], header) {
			return rep, fmt.Errorf("verify: %s has columns %v, the truth %v", f, h, header)
		}
		for i, r := range recs {
			c, err := parseChange(r)
			if err != nil {
				return rep, fmt.Errorf("verify: %s row %d: %w", f, i+2, err)
			}
			c.file = f
			log = append(log, c)
		}
	}
	rep.Changes = len(log)
	// Commit order: by commit SCN, then transaction, then order in it.
	sort.SliceStable(log, func(i, j int) bool {
		a, b := log[i], log[j]
		if a.commitSCN != b.commitSCN {
			return a.commitSCN < b.commitSCN
		}
		if a.xid != b.xid {
			return a.xid < b.xid
		}
		return a.seq < b.seq
	})
	note := func(format string, args ...any) {
		if len(rep.Examples) < 10 {
			rep.Examples = append(rep.Examples, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]bool{}
	identity := func(c change) string {
		if c.op == "r" {
			return "r\x00" + c.row.ident(keyIdx)
		}
		return c.xid + "\x00" + strconv.Itoa(c.seq)
	}
	state := map[string]frow{} // by key
	bag := map[string]int{}    // keyless: row -> count
	shown := map[string]frow{} // keyless: row -> its values
	for _, c := range log {
		// Snapshot rows of a keyless table have no identity; extra copies
		// show in the multiset comparison instead.
		id := identity(c)
		if c.op == "r" && len(keyIdx) == 0 {
			id = ""
		}
		if id != "" && seen[id] {
			rep.Duplicated++
			note("change seen twice: %s xid %s seq %d (%s)", c.op, c.xid, c.seq, c.file)
			continue
		}
		seen[id] = true
		if len(keyIdx) == 0 {
			row := c.row.ident(nil)
			switch c.op {
			case "r", "c":
				bag[row]++
				shown[row] = c.row
			case "d":
				if bag[row] == 0 {
					rep.Mismatched++
					note("delete of a row not present: %s", c.row.text())
					continue
				}
				bag[row]--
			case "u":
				rep.Mismatched++
				note("update of a keyless table cannot be placed: %s", c.row.text())
			}
			continue
		}
		k := c.row.ident(keyIdx)
		switch c.op {
		case "r", "c":
			if _, ok := state[k]; ok {
				rep.Duplicated++
				note("insert of an existing key %s", c.row.keyText(keyIdx))
			}
			state[k] = c.row
		case "u":
			if _, ok := state[k]; !ok {
				rep.Mismatched++
				note("update of a missing key %s", c.row.keyText(keyIdx))
			}
			state[k] = c.row
		case "d":
			if _, ok := state[k]; !ok {
				rep.Mismatched++
				note("delete of a missing key %s", c.row.keyText(keyIdx))
			}
			delete(state, k)
		}
	}
	if len(keyIdx) == 0 {
		want := map[string]int{}
		for _, r := range truth {
			row := r.ident(nil)
			want[row]++
			shown[row] = r
		}
		for row, n := range want {
			if got := bag[row]; got < n {
				rep.Missing += n - got
				note("missing row %q", shown[row].text())
			}
		}
		for row, got := range bag {
			if n := want[row]; got > n {
				rep.Duplicated += got - n
				note("extra row %q", shown[row].text())
			}
		}
		return rep, nil
	}
	for _, r := range truth {
		k := r.ident(keyIdx)
		got, ok := state[k]
		switch {
		case !ok:
			rep.Missing++
			note("missing key %s", r.keyText(keyIdx))
		case got.ident(nil) != r.ident(nil):
			rep.Mismatched++
			note("key %s: got %q, want %q", r.keyText(keyIdx), got.text(), r.text())
		}
		delete(state, k)
	}
	for _, r := range state {
		rep.Duplicated++
		note("key %s is not in the truth", r.keyText(keyIdx))
	}
	return rep, nil
}

func parseChange(r frow) (change, error) {
	f := r.vals
	c := change{op: f[0], xid: f[4], row: frow{vals: f[metaCols:], null: r.null[metaCols:]}}
	var err error
	if c.scn, err = strconv.ParseUint(f[1], 10, 64); err != nil {
		return c, fmt.Errorf("_scn %q: %w", f[1], err)
	}
	if c.commitSCN, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return c, fmt.Errorf("_commit_scn %q: %w", f[2], err)
	}
	if c.seq, err = strconv.Atoi(f[5]); err != nil {
		return c, fmt.Errorf("_seq %q: %w", f[5], err)
	}
	switch c.op {
	case "r", "c", "u", "d":
	default:
		return c, fmt.Errorf("_op %q", c.op)
	}
	return c, nil
}

// readRows reads a whole CSV file: its header and its rows, NULL apart
// from the empty string.
func readRows(path string) (header []string, rows []frow, err error) {
	err = scanFile(path, func(h []string) error {
		header = cloneStrings(h)
		return nil
	}, func(r *record) error {
		rows = append(rows, frow{vals: slices.Clone(r.fields), null: slices.Clone(r.null)})
		return nil
	})
	return header, rows, err
}
