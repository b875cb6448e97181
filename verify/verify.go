// Package verify checks a CSV change log against the truth: it rebuilds
// each table's final state from the committed part files redoflow wrote
// and compares it, row by row, with the source's final table contents.
//
// The truth directory holds <SCHEMA>.<TABLE>.csv (a header, then one row
// per table row, in canonical forms) and optionally _keys.json, mapping
// SCHEMA.TABLE to its key columns. A table with a key is rebuilt by key; a
// table without one as a multiset of whole rows (inserts add a row, deletes
// remove an equal one; an update of such a table cannot be placed and is
// reported).
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

// TableReport is the outcome for one table.
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

// Report is the outcome for all tables.
type Report struct{ Tables []TableReport }

// OK reports whether every table matches.
func (r Report) OK() bool {
	for _, t := range r.Tables {
		if !t.OK() {
			return false
		}
	}
	return true
}

// Totals sums the counts of all tables.
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
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "%s: %d changes, %d rows: %d missing, %d duplicated, %d mismatched\n",
			t.Table, t.Changes, t.Rows, t.Missing, t.Duplicated, t.Mismatched)
		for _, e := range t.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	m, d, x := r.Totals()
	fmt.Fprintf(&b, "total: %d missing, %d duplicated, %d mismatched\n", m, d, x)
	return b.String()
}

const metaCols = 6 // _op,_scn,_commit_scn,_commit_ts,_xid,_seq

// Run verifies every table of truthDir against the change log in outputDir.
func Run(outputDir, truthDir string) (Report, error) {
	keys := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(truthDir, "_keys.json")); err == nil {
		if err := json.Unmarshal(b, &keys); err != nil {
			return Report{}, fmt.Errorf("verify: %s: %w", filepath.Join(truthDir, "_keys.json"), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	truths, err := filepath.Glob(filepath.Join(truthDir, "*.csv"))
	if err != nil {
		return Report{}, err
	}
	if len(truths) == 0 {
		return Report{}, fmt.Errorf("verify: no <SCHEMA>.<TABLE>.csv files in truth directory %q", truthDir)
	}
	sort.Strings(truths)
	var rep Report
	for _, tf := range truths {
		table := strings.TrimSuffix(filepath.Base(tf), ".csv")
		tr, err := verifyTable(table, tf, filepath.Join(outputDir, table), keys[table])
		if err != nil {
			return Report{}, err
		}
		rep.Tables = append(rep.Tables, tr)
	}
	return rep, nil
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
