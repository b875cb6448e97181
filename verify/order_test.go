package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/verify"
)

// orderReport runs both checks and returns the report, failing the test
// on an error.
func orderReport(t *testing.T, out, truth string) verify.Report {
	t.Helper()
	rep, err := verify.Run(out, truth)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// wantOutOfOrder fails the test unless the per-change check found n places
// out of order, the example, and nothing else wrong; the final-state check,
// which sorts the output, passes.
func wantOutOfOrder(t *testing.T, rep verify.Report, n int, example string) {
	t.Helper()
	m, x, d, w := rep.Changes.Totals()
	sm, sx, sd, sw := rep.Changes.SnapshotTotals()
	fm, fd, fx := rep.Totals()
	if got := rep.Changes.OutOfOrder(); got != n || m+x+d+w+sm+sx+sd+sw+fm+fd+fx != 0 || rep.OK() != (n == 0) ||
		!strings.Contains(rep.String(), example) || !strings.Contains(rep.String(), "per-change order: "+strconv.Itoa(n)+" out of order\n") {
		t.Fatalf("%d places out of order, want %d, the example %q and no other difference:\n%s", got, n, example, rep)
	}
}

func moveFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// TestPerChangeOrder: the per-change check reads each task's files in
// write order and requires commit order, which a check of the sorted rows
// cannot see.
func TestPerChangeOrder(t *testing.T) {
	t.Run("two files swapped", func(t *testing.T) {
		out, truth := changeFixture(t)
		dir := filepath.Join(out, "S.INFO")
		moveFile(t, filepath.Join(dir, "part-0-2.csv"), filepath.Join(dir, "tmp"))
		moveFile(t, filepath.Join(dir, "part-0-3.csv"), filepath.Join(dir, "part-0-2.csv"))
		moveFile(t, filepath.Join(dir, "tmp"), filepath.Join(dir, "part-0-3.csv"))
		wantOutOfOrder(t, orderReport(t, out, truth), 1,
			`out of order: task 0: commit SCN 112 after 115: "u,111,112,,X5,0,3,c2" (S.INFO/part-0-3.csv line 2) after "c,114,115,,X6,0,4,d" (S.INFO/part-0-2.csv line 2)`)
	})
	t.Run("a snapshot row after a change", func(t *testing.T) {
		out, truth := changeFixture(t)
		var snap []string
		editOutput(t, out, "S.LOG", func(r []string) [][]string {
			if r[0] == "r" {
				snap = r
				return nil
			}
			if r[4] == "X6" {
				return [][]string{r, snap}
			}
			return [][]string{r}
		})
		wantOutOfOrder(t, orderReport(t, out, truth), 1,
			`out of order: task 0: snapshot row "r,100,100,,,0,p,q" (S.LOG/part-0-3.csv line 3) after the change "c,114,115,,X6,1,r,\"s,\"\"t\"\"\"" (S.LOG/part-0-3.csv line 2)`)
	})
	// X7 commits at the SCN of X5: the two may come in either order, but
	// each in one piece.
	addX7 := func(t *testing.T, truth string) {
		path := filepath.Join(truth, "_changes", "S.INFO.csv")
		recs := readRecords(t, path)
		i := slices.IndexFunc(recs, func(r []string) bool { return r[2] == "X6" })
		writeRecords(t, path, slices.Insert(recs, i, []string{"c", "112", "X7", "0", "7", "g"}))
		writeRecords(t, filepath.Join(truth, "S.INFO.csv"), [][]string{{"ID", "V"}, {"1", "a3"}, {"3", "c3"}, {"4", "d"}, {"7", "g"}})
	}
	x7 := []string{"c", "111", "112", "", "X7", "0", "7", "g"}
	t.Run("two transactions of one commit SCN", func(t *testing.T) {
		out, truth := changeFixture(t)
		addX7(t, truth)
		editOutput(t, out, "S.INFO", func(r []string) [][]string {
			if rowOf(r, "u", "X5", "0") {
				return [][]string{slices.Clone(x7), r}
			}
			return [][]string{r}
		})
		wantOutOfOrder(t, orderReport(t, out, truth), 0, "per-change total: 0 missing")
	})
	t.Run("two transactions of one commit SCN interleaved", func(t *testing.T) {
		out, truth := changeFixture(t)
		addX7(t, truth)
		editOutput(t, out, "S.INFO", func(r []string) [][]string {
			if rowOf(r, "u", "X5", "0") {
				return [][]string{r, slices.Clone(x7)}
			}
			return [][]string{r}
		})
		wantOutOfOrder(t, orderReport(t, out, truth), 1,
			`out of order: task 0: xid X5 commit SCN 112 goes on after xid X7 began: "u,111,112,,X5,1,3,c3" (S.INFO/part-0-2.csv line 4) after "c,111,112,,X7,0,7,g" (S.INFO/part-0-2.csv line 3)`)
	})
}

// manyTxns returns n one-row transactions of S.INFO, commit SCN 200+i.
func manyTxns(n int) []change.Event {
	var evs []change.Event
	for i := range n {
		evs = append(evs, change.Event{Op: change.OpCreate, Table: info, CommitSCN: uint64(200 + i), XID: "T" + strconv.Itoa(i), Row: v(strconv.Itoa(i), "x")})
	}
	return evs
}

func manyTruth(t *testing.T, evs []change.Event) string {
	truth := t.TempDir()
	writeChangeLog(t, truth, []*change.Table{info}, evs)
	var rows [][]change.Value
	for _, e := range evs {
		rows = append(rows, e.Row)
	}
	writeDump(t, truth, info, rows...)
	if err := os.WriteFile(filepath.Join(truth, "_keys.json"), []byte(`{"S.INFO":["ID"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return truth
}

// TestPerChangeOrderFileNumbers: part-0-10.csv comes after part-0-9.csv,
// not after part-0-1.csv.
func TestPerChangeOrderFileNumbers(t *testing.T) {
	evs := manyTxns(25)
	out := t.TempDir()
	writeSink(t, out, "0", evs, 1)
	if _, err := os.Stat(filepath.Join(out, "S.INFO", "part-0-24.csv")); err != nil {
		t.Fatalf("the sink did not write a file per transaction: %v", err)
	}
	wantOutOfOrder(t, orderReport(t, out, manyTruth(t, evs)), 0, "S.INFO: 25 transactions (25 changes) expected, 25 (25 changes)")
}

// TestPerChangeOrderPerTask: tasks writing one table each keep commit
// order in their own files; between tasks there is none.
func TestPerChangeOrderPerTask(t *testing.T) {
	evs := manyTxns(12)
	out := t.TempDir()
	var a, b []change.Event
	for i, e := range evs {
		if i%3 == 0 {
			a = append(a, e)
		} else {
			b = append(b, e)
		}
	}
	writeSink(t, out, "a", a, 2)
	writeSink(t, out, "b", b, 3)
	truth := manyTruth(t, evs)
	wantOutOfOrder(t, orderReport(t, out, truth), 0, "S.INFO: 12 transactions (12 changes) expected, 12 (12 changes)")

	// Task b's first and last files swapped: two places out of order.
	dir := filepath.Join(out, "S.INFO")
	moveFile(t, filepath.Join(dir, "part-b-0.csv"), filepath.Join(dir, "tmp"))
	moveFile(t, filepath.Join(dir, "part-b-2.csv"), filepath.Join(dir, "part-b-0.csv"))
	moveFile(t, filepath.Join(dir, "tmp"), filepath.Join(dir, "part-b-2.csv"))
	wantOutOfOrder(t, orderReport(t, out, truth), 2, "out of order: task b: commit SCN 205 after 211")
}
