package main

import (
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const finalStateOK = "final-state total: 0 missing, 0 duplicated, 0 mismatched"

// perChangeOK reports whether a verify report's per-change total is clean
// (with or without a snapshot).
func perChangeOK(report string) bool {
	for _, l := range strings.Split(report, "\n") {
		if rest, ok := strings.CutPrefix(l, "per-change total: 0 missing, 0 extra, 0 duplicated, 0 wrong transactions"); ok {
			return rest == "" || rest == "; snapshot rows: 0 missing, 0 extra, 0 duplicated, 0 wrong"
		}
	}
	return false
}

// What the final-state check makes of a damage.
const (
	finalEither = iota // depends on the rows the damage hit
	finalPasses        // it cannot see the damage
	finalFails
)

// TestDemoThenVerify runs the demo with a truth, as the README shows, and
// verify on its output: the per-change check runs and passes. Then each of
// a copy of the output is damaged one way, and verify finds each damage,
// the lost but overwritten UPDATE included, which the final-state check
// alone would pass.
func TestDemoThenVerify(t *testing.T) {
	dir := t.TempDir()
	out, truth := filepath.Join(dir, "cdc"), filepath.Join(dir, "truth")
	code, _, _ := run(t, "demo", "--changes", "30000", "--rate", "0", "--truth", truth, "--output", out,
		"--checkpoints", filepath.Join(dir, "checkpoints"), "--checkpoint-interval", "300ms", "--roll-age", "400ms", "--progress", "1h")
	if code != exitOK {
		t.Fatalf("demo: exit %d", code)
	}
	code, stdout, _ := run(t, "verify", "--output", out, "--truth", truth)
	if code != exitOK {
		t.Fatalf("verify: exit %d", code)
	}
	if !strings.Contains(stdout, "mode: per-change and final-state") || !perChangeOK(stdout) || !strings.Contains(stdout, finalStateOK) {
		t.Fatal("verify does not report both checks clean")
	}
	// The change log holds exactly the committed changes: the workload's
	// rollbacks and savepoint rollbacks are not in it.
	logged := 0
	for _, table := range []string{"TRANS_INFO", "TRANS_LOG"} {
		logged += len(readRecords(t, filepath.Join(truth, "_changes", "FINANCE_USER."+table+".csv"))) - 1
	}
	if logged != 30000 {
		t.Fatalf("the change log holds %d changes, the workload committed 30000", logged)
	}

	info := "FINANCE_USER.TRANS_INFO"
	tests := []struct {
		name   string
		damage func(t *testing.T, out string)
		report string // in verify's output
		final  int    // finalEither, finalPasses or finalFails
	}{
		{"an UPDATE dropped from the middle of a file", func(t *testing.T, out string) {
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				// Inside a transaction with other changes in this file, so
				// that the change, not the whole transaction, is missing.
				if i == 0 || i == len(recs)-1 || recs[i][0] != "u" || !inLargerTxn(recs, i) {
					return nil, false
				}
				return slices.Delete(recs, i, i+1), true
			})
		}, " is missing: want \"u,", finalEither},
		{"a lost UPDATE that a later change of the row overwrites", func(t *testing.T, out string) {
			later := laterChanged(t, out, info)
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				r := recs[i]
				if r[0] != "u" || !later[r[6]+"@"+r[2]] || !inLargerTxn(recs, i) {
					return nil, false
				}
				return slices.Delete(recs, i, i+1), true
			})
		}, " is missing: want \"u,", finalPasses},
		{"a changed value", func(t *testing.T, out string) {
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				if recs[i][0] != "c" {
					return nil, false
				}
				recs[i][8] = "1234567.89" // AMOUNT
				return recs, true
			})
		}, "1234567.89", finalEither},
		{"a transaction written twice", func(t *testing.T, out string) {
			var txn [][]string
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				if recs[i][0] != "c" {
					return nil, false
				}
				for _, r := range recs[1:] {
					if r[2] == recs[i][2] && r[4] == recs[i][4] {
						txn = append(txn, slices.Clone(r))
					}
				}
				return recs, true
			})
			addPart(t, out, info, "part-9-0.csv", txn)
		}, "duplicated: xid ", finalFails},
		{"a rolled back change that leaks", func(t *testing.T, out string) {
			var leak []string
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				if recs[i][0] != "c" {
					return nil, false
				}
				leak = slices.Clone(recs[i])
				return recs, true
			})
			leak[4], leak[5], leak[6] = "0A000B00FFFFFFFF", "0", "999999999"
			addPart(t, out, info, "part-9-0.csv", [][]string{leak})
		}, "extra: xid 0A000B00FFFFFFFF", finalFails},
		{"two changes of a transaction written in the wrong order", func(t *testing.T, out string) {
			editFirst(t, out, info, func(recs [][]string, i int) ([][]string, bool) {
				if i < 2 || recs[i][0] == "r" || recs[i][4] != recs[i-1][4] || recs[i][2] != recs[i-1][2] {
					return nil, false
				}
				recs[i], recs[i-1] = recs[i-1], recs[i]
				return recs, true
			})
		}, " is written before seq ", finalPasses},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			damaged := filepath.Join(t.TempDir(), "cdc")
			copyTree(t, out, damaged)
			tt.damage(t, damaged)
			code, stdout, _ := run(t, "verify", "--output", damaged, "--truth", truth)
			if code != exitFailure || perChangeOK(stdout) || !strings.Contains(stdout, tt.report) {
				t.Fatalf("verify: exit %d; want %d, per-change differences and %q in the report", code, exitFailure, tt.report)
			}
			if passed := strings.Contains(stdout, finalStateOK); tt.final == finalPasses && !passed || tt.final == finalFails && passed {
				t.Fatalf("the final-state check passed: %v; want %v", passed, tt.final == finalPasses)
			}
		})
	}
}

func TestVerifyUsage(t *testing.T) {
	if code, _, errs := run(t, "verify", "--truth", t.TempDir(), "--mode", "everything"); code != exitUsage || !strings.Contains(errs, `--mode "everything"`) {
		t.Errorf("bad --mode: exit %d, %q", code, errs)
	}
	if code, _, _ := run(t, "verify"); code != exitUsage {
		t.Errorf("no --truth: exit %d", code)
	}
	if code, _, errs := run(t, "verify", "--truth", t.TempDir(), "--from-scn", "10", "--to-scn", "5"); code != exitUsage || !strings.Contains(errs, "--to-scn 5") {
		t.Errorf("--to-scn before --from-scn: exit %d, %q", code, errs)
	}
	if code, _, errs := run(t, "verify", "--truth", t.TempDir(), "--mode", "per-change"); code != exitFailure || !strings.Contains(errs, "_changes") {
		t.Errorf("per-change without a change log: exit %d, %q", code, errs)
	}
}

// partFiles lists a table's committed files in name order.
func tableFiles(t *testing.T, out, table string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, table, "part-*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed files of %s: %v", table, err)
	}
	slices.Sort(files)
	return files
}

// editFirst offers every record (i > 0) of the table's files to edit, in
// order, until edit takes one: it returns the file's new records and true.
func editFirst(t *testing.T, out, table string, edit func(recs [][]string, i int) ([][]string, bool)) {
	t.Helper()
	for _, f := range tableFiles(t, out, table) {
		recs := readRecords(t, f)
		for i := 1; i < len(recs); i++ {
			if res, ok := edit(recs, i); ok {
				writeRecords(t, f, res)
				return
			}
		}
	}
	t.Fatal("the output has no row to damage this way")
}

// laterChanged returns "ID@commit SCN" of every change of the table after
// which the same row changes again in a later transaction.
func laterChanged(t *testing.T, out, table string) map[string]bool {
	t.Helper()
	type ch struct{ id, scn string }
	var all []ch
	for _, f := range tableFiles(t, out, table) {
		for _, r := range readRecords(t, f)[1:] {
			if r[0] != "r" {
				all = append(all, ch{r[6], r[2]})
			}
		}
	}
	last := map[string]string{} // id -> the newest commit SCN (numbers of equal length)
	for _, c := range all {
		if cmpSCN(c.scn, last[c.id]) > 0 {
			last[c.id] = c.scn
		}
	}
	res := map[string]bool{}
	for _, c := range all {
		if cmpSCN(c.scn, last[c.id]) < 0 {
			res[c.id+"@"+c.scn] = true
		}
	}
	return res
}

func cmpSCN(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func addPart(t *testing.T, out, table, name string, recs [][]string) {
	t.Helper()
	header := readRecords(t, tableFiles(t, out, table)[0])[0]
	writeRecords(t, filepath.Join(out, table, name), append([][]string{header}, recs...))
}

func readRecords(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func writeRecords(t *testing.T, path string, recs [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// inLargerTxn reports whether the change at recs[i] shares its transaction
// (commit SCN and XID) with a neighbouring row of the same file.
func inLargerTxn(recs [][]string, i int) bool {
	same := func(j int) bool {
		return j > 0 && j < len(recs) && recs[j][2] == recs[i][2] && recs[j][4] == recs[i][4]
	}
	return same(i-1) || same(i+1)
}

// TestVerifyTablesAndUncheckedSnapshot: --tables checks the tables a job
// captures, and a snapshot verify cannot check fails unless
// --allow-unchecked-snapshot.
func TestVerifyTablesAndUncheckedSnapshot(t *testing.T) {
	dir := t.TempDir()
	out, truth := filepath.Join(dir, "cdc"), filepath.Join(dir, "truth")
	files := map[string]string{
		// S.L has no key and is updated before the snapshot at SCN 100.
		truth + "/_changes/S.L.csv": "_op,_commit_scn,_xid,_seq,A\nc,90,X0,0,p\nu,95,X1,0,q\nc,105,X2,1,r\n",
		truth + "/_changes/S.M.csv": "_op,_commit_scn,_xid,_seq,ID\nc,105,X2,0,1\n",
		truth + "/_keys.json":       `{"S.L":[],"S.M":["ID"]}`,
		// The job captures S.L alone: X2's change there is its first.
		out + "/S.L/part-0-0.csv": "_op,_scn,_commit_scn,_commit_ts,_xid,_seq,A\nr,100,100,,,0,q\nc,104,105,,X2,0,r\n",
	}
	for p, s := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		args   []string
		code   int
		report string
	}{
		{nil, exitFailure, "S.M: 1 transactions (1 changes) expected, 0 (0 changes) in the output: 1 missing"},
		{[]string{"--tables", "S.L"}, exitFailure, "per-change snapshot not checked: S.L (a failure; --allow-unchecked-snapshot accepts it)"},
		{[]string{"--tables", "S.L", "--allow-unchecked-snapshot"}, exitOK, "per-change snapshot not checked: S.L (allowed by --allow-unchecked-snapshot)"},
		{[]string{"--allow-unchecked-snapshot"}, exitFailure, "S.L: 1 transactions (1 changes) expected, 1 (1 changes) in the output: 0 missing, 0 extra, 0 duplicated, 1 wrong"},
	} {
		code, stdout, _ := run(t, append([]string{"verify", "--output", out, "--truth", truth}, tt.args...)...)
		if code != tt.code || !strings.Contains(stdout, tt.report) {
			t.Errorf("verify %v: exit %d, want %d and %q in the report", tt.args, code, tt.code, tt.report)
		}
	}
	for _, bad := range []string{"S.NONE", "L", " , "} {
		if code, _, errs := run(t, "verify", "--output", out, "--truth", truth, "--tables", bad); code != exitUsage || !strings.Contains(errs, "--tables") {
			t.Errorf("--tables %q: exit %d, %q", bad, code, errs)
		}
	}
	// A complete truth without its change log is not checked by the
	// final state alone.
	if err := os.WriteFile(filepath.Join(truth, "_final_scn"), []byte("105\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(truth, "S.L.csv"), []byte("A\nq\nr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(truth, "_changes")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "verify", "--output", out, "--truth", truth); code != exitFailure || !strings.Contains(errs, "has _final_scn but no _changes/") {
		t.Errorf("_final_scn without _changes/: exit %d, %q", code, errs)
	}
}
