package verify

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// the final-state check when it has table dumps.
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
	dumps, err := filepath.Glob(filepath.Join(truthDir, "*.csv"))
	if err != nil {
		return Report{}, err
	}
	st, err := os.Stat(filepath.Join(truthDir, changeLogDir))
	hasLog := err == nil && st.IsDir()
	perChangeOn := mode == ModePerChange || mode == ModeAuto && hasLog
	finalOn := mode == ModeFinalState || mode == ModeAuto && len(dumps) > 0
	switch {
	case mode == ModePerChange && !hasLog:
		return Report{}, fmt.Errorf("verify: no %s/ folder in truth directory %q: the per-change check needs the committed change log", changeLogDir, truthDir)
	case mode == ModeFinalState && len(dumps) == 0:
		return Report{}, fmt.Errorf("verify: no <SCHEMA>.<TABLE>.csv files in truth directory %q", truthDir)
	case !perChangeOn && !finalOn:
		return Report{}, fmt.Errorf("verify: truth directory %q holds neither %s/ nor <SCHEMA>.<TABLE>.csv files", truthDir, changeLogDir)
	}
	var rep Report
	if perChangeOn {
		if rep.Changes, err = perChange(outputDir, truthDir, opts, keys); err != nil {
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

type change struct {
	op        string
	commitSCN uint64
	xid       string
	seq       int
	scn       uint64
	row       []string
	file      string
}

func verifyTable(table, truthFile, dir string, key []string) (TableReport, error) {
	rep := TableReport{Table: table}
	header, truth, err := readCSV(truthFile)
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
		h, recs, err := readCSV(f)
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
			return "r\x00" + keyOf(c.row, keyIdx)
		}
		return c.xid + "\x00" + strconv.Itoa(c.seq)
	}
	state := map[string][]string{} // by key
	bag := map[string]int{}        // keyless: row -> count
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
			row := strings.Join(c.row, "\x1f")
			switch c.op {
			case "r", "c":
				bag[row]++
			case "d":
				if bag[row] == 0 {
					rep.Mismatched++
					note("delete of a row not present: %v", c.row)
					continue
				}
				bag[row]--
			case "u":
				rep.Mismatched++
				note("update of a keyless table cannot be placed: %v", c.row)
			}
			continue
		}
		k := keyOf(c.row, keyIdx)
		switch c.op {
		case "r", "c":
			if _, ok := state[k]; ok {
				rep.Duplicated++
				note("insert of an existing key %s", k)
			}
			state[k] = c.row
		case "u":
			if _, ok := state[k]; !ok {
				rep.Mismatched++
				note("update of a missing key %s", k)
			}
			state[k] = c.row
		case "d":
			if _, ok := state[k]; !ok {
				rep.Mismatched++
				note("delete of a missing key %s", k)
			}
			delete(state, k)
		}
	}
	if len(keyIdx) == 0 {
		want := map[string]int{}
		for _, r := range truth {
			want[strings.Join(r, "\x1f")]++
		}
		for row, n := range want {
			if got := bag[row]; got < n {
				rep.Missing += n - got
				note("missing row %q", strings.ReplaceAll(row, "\x1f", ","))
			}
		}
		for row, got := range bag {
			if n := want[row]; got > n {
				rep.Duplicated += got - n
				note("extra row %q", strings.ReplaceAll(row, "\x1f", ","))
			}
		}
		return rep, nil
	}
	for _, r := range truth {
		k := keyOf(r, keyIdx)
		got, ok := state[k]
		switch {
		case !ok:
			rep.Missing++
			note("missing key %s", k)
		case !slices.Equal(got, r):
			rep.Mismatched++
			note("key %s: got %v, want %v", k, got, r)
		}
		delete(state, k)
	}
	for k := range state {
		rep.Duplicated++
		note("key %s is not in the truth", k)
	}
	return rep, nil
}

func keyOf(row []string, idx []int) string {
	var b strings.Builder
	for i, j := range idx {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(row[j])
	}
	return b.String()
}

func parseChange(r []string) (change, error) {
	c := change{op: r[0], xid: r[4], row: r[metaCols:]}
	var err error
	if c.scn, err = strconv.ParseUint(r[1], 10, 64); err != nil {
		return c, fmt.Errorf("_scn %q: %w", r[1], err)
	}
	if c.commitSCN, err = strconv.ParseUint(r[2], 10, 64); err != nil {
		return c, fmt.Errorf("_commit_scn %q: %w", r[2], err)
	}
	if c.seq, err = strconv.Atoi(r[5]); err != nil {
		return c, fmt.Errorf("_seq %q: %w", r[5], err)
	}
	switch c.op {
	case "r", "c", "u", "d":
	default:
		return c, fmt.Errorf("_op %q", c.op)
	}
	return c, nil
}

func readCSV(path string) (header []string, rows [][]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	header, err = r.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("verify: %s is empty", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return header, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("verify: %s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}
