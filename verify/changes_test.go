package verify_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	csvsink "github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/verify"
)

// history is the source's committed changes from empty tables, in commit
// order; transaction X0 commits before the snapshot at SCN 100.
var history = []change.Event{
	{Op: change.OpCreate, Table: info, CommitSCN: 90, XID: "X0", Seq: 0, Row: v("1", "a")},
	{Op: change.OpCreate, Table: info, CommitSCN: 90, XID: "X0", Seq: 1, Row: v("2", "b")},
	{Op: change.OpCreate, Table: logt, CommitSCN: 90, XID: "X0", Seq: 2, Row: v("p", "q")},
	{Op: change.OpCreate, Table: info, CommitSCN: 103, XID: "X1", Seq: 0, Row: v("3", "c")},
	{Op: change.OpUpdate, Table: info, CommitSCN: 103, XID: "X1", Seq: 1, Row: v("1", "a2")},
	{Op: change.OpCreate, Table: logt, CommitSCN: 106, XID: "X2", Seq: 0, Row: v("p", "q")},
	{Op: change.OpCreate, Table: logt, CommitSCN: 106, XID: "X2", Seq: 1, Row: v("p", "q")},
	{Op: change.OpDelete, Table: info, CommitSCN: 108, XID: "X3", Seq: 0, Row: v("2", "b")},
	{Op: change.OpDelete, Table: logt, CommitSCN: 110, XID: "X4", Seq: 0, Row: v("p", "q")},
	{Op: change.OpUpdate, Table: info, CommitSCN: 112, XID: "X5", Seq: 0, Row: v("3", "c2")},
	{Op: change.OpUpdate, Table: info, CommitSCN: 112, XID: "X5", Seq: 1, Row: v("3", "c3")},
	{Op: change.OpUpdate, Table: info, CommitSCN: 112, XID: "X5", Seq: 2, Row: v("1", "a3")},
	{Op: change.OpCreate, Table: info, CommitSCN: 115, XID: "X6", Seq: 0, Row: v("4", "d")},
	{Op: change.OpCreate, Table: logt, CommitSCN: 115, XID: "X6", Seq: 1, Row: v("r", "s,\"t\"")},
}

// changeFixture writes, through the real sink, the output of a job that
// snapshots at SCN 100 and then streams, and the matching truth: the
// change log of history, the final table contents and the keys.
func changeFixture(t *testing.T) (out, truth string) {
	t.Helper()
	out, truth = t.TempDir(), t.TempDir()
	cfg := csvsink.DefaultConfig()
	now := time.Unix(0, 0)
	cfg.Dir, cfg.Task, cfg.Now = out, "0", func() time.Time { return now }
	s, err := csvsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	evs := []change.Event{
		{Op: change.OpRead, Table: info, SCN: 100, CommitSCN: 100, Seq: 0, Row: v("1", "a")},
		{Op: change.OpRead, Table: info, SCN: 100, CommitSCN: 100, Seq: 1, Row: v("2", "b")},
		{Op: change.OpRead, Table: logt, SCN: 100, CommitSCN: 100, Seq: 0, Row: v("p", "q")},
	}
	for _, e := range history {
		if e.CommitSCN > 100 {
			e.SCN = e.CommitSCN - 1
			evs = append(evs, e)
		}
	}
	for i := range evs {
		if err := s.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
		if i%4 == 3 { // files roll at checkpoints: several files per table
			now = now.Add(time.Hour)
			st, err := s.PreCommit()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(st); err != nil {
				t.Fatal(err)
			}
		}
	}
	now = now.Add(time.Hour)
	st, err := s.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(st); err != nil {
		t.Fatal(err)
	}
	s.Close()
	logs := map[*change.Table][][]string{}
	for _, e := range history {
		rec := []string{string(e.Op), strconv.FormatUint(e.CommitSCN, 10), e.XID, strconv.Itoa(e.Seq)}
		for _, x := range e.Row {
			rec = append(rec, x.Text)
		}
		logs[e.Table] = append(logs[e.Table], rec)
	}
	os.MkdirAll(filepath.Join(truth, "_changes"), 0o755)
	for tbl, recs := range logs {
		header := []string{"_op", "_commit_scn", "_xid", "_seq"}
		for _, c := range tbl.Columns {
			header = append(header, c.Name)
		}
		writeRecords(t, filepath.Join(truth, "_changes", tbl.ID()+".csv"), append([][]string{header}, recs...))
	}
	writeRecords(t, filepath.Join(truth, "S.INFO.csv"), [][]string{{"ID", "V"}, {"1", "a3"}, {"3", "c3"}, {"4", "d"}})
	writeRecords(t, filepath.Join(truth, "S.LOG.csv"), [][]string{{"A", "B"}, {"p", "q"}, {"p", "q"}, {"r", "s,\"t\""}})
	if err := os.WriteFile(filepath.Join(truth, "_keys.json"), []byte(`{"S.INFO":["ID"],"S.LOG":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, truth
}

func writeRecords(t *testing.T, path string, recs [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(recs)
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	f.Close()
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

// editOutput rewrites every committed file of a table, record by record:
// edit returns the records to write in place of one (none drops it).
func editOutput(t *testing.T, out, table string, edit func(rec []string) [][]string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, table, "part-*.csv"))
	for _, f := range files {
		recs := readRecords(t, f)
		res := [][]string{recs[0]}
		for _, r := range recs[1:] {
			res = append(res, edit(r)...)
		}
		writeRecords(t, f, res)
	}
}

// rowOf matches an output record by op, XID and _seq.
func rowOf(rec []string, op, xid, seq string) bool {
	return rec[0] == op && rec[4] == xid && rec[5] == seq
}

// outputRows returns the committed records of a table matching keep.
func outputRows(t *testing.T, out, table string, keep func([]string) bool) [][]string {
	var res [][]string
	files, _ := filepath.Glob(filepath.Join(out, table, "part-*.csv"))
	for _, f := range files {
		for _, r := range readRecords(t, f)[1:] {
			if keep(r) {
				res = append(res, r)
			}
		}
	}
	return res
}

func addFile(t *testing.T, out, table, name string, recs [][]string) {
	t.Helper()
	header := readRecords(t, must(filepath.Glob(filepath.Join(out, table, "part-*.csv")))[0])[0]
	writeRecords(t, filepath.Join(out, table, name), append([][]string{header}, recs...))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestPerChangeMatches(t *testing.T) {
	out, truth := changeFixture(t)
	rep, err := verify.Run(out, truth)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.Ran(verify.ModePerChange) || !rep.Ran(verify.ModeFinalState) {
		t.Fatalf("report:\n%s", rep)
	}
	c := rep.Changes
	if c.From != 100 || c.SnapshotSCN != 100 || len(c.Tables) != 2 {
		t.Fatalf("start %d, snapshot %d, %d tables:\n%s", c.From, c.SnapshotSCN, len(c.Tables), rep)
	}
	in, lg := c.Tables[0], c.Tables[1]
	if in.Want != 4 || in.Got != 4 || in.WantChanges != 7 || in.SnapshotRows != 2 || in.SnapshotWant != 2 ||
		lg.Want != 3 || lg.Got != 3 || lg.GotChanges != 4 || lg.SnapshotRows != 1 || lg.SnapshotWant != 1 {
		t.Fatalf("counts:\n%s", rep)
	}
	for _, want := range []string{"mode: per-change and final-state", "per-change total: 0 missing, 0 extra, 0 duplicated, 0 wrong transactions; snapshot rows: 0 missing, 0 extra, 0 duplicated, 0 wrong"} {
		if !strings.Contains(rep.String(), want) {
			t.Fatalf("the report does not say %q:\n%s", want, rep)
		}
	}
}

func TestPerChangeFindsDamage(t *testing.T) {
	type counts struct{ missing, extra, duplicated, wrong int }
	tests := []struct {
		name    string
		damage  func(t *testing.T, out string)
		changes counts // transactions
		snap    counts // snapshot rows
		example string // in the report
		// finalOK: the final-state check does not see the damage.
		finalOK bool
	}{
		{"an UPDATE dropped from the middle of a file", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if rowOf(r, "u", "X5", "1") { // line 3 of 4 in S.INFO/part-0-2.csv
					return nil
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, `wrong: xid X5 commit SCN 112 seq 1 is missing: want "u,112,X5,1,3,c3" (_changes/S.INFO.csv line 8)`, false},
		{"a lost UPDATE that a later one overwrites", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if rowOf(r, "u", "X5", "0") {
					return nil
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, "seq 0 is missing", true},
		{"a changed value", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if rowOf(r, "c", "X6", "0") {
					r[7] = "D"
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, `X6 commit SCN 115 seq 0: got "c,114,115,,X6,0,4,D" (S.INFO/part-0-3.csv line 2), want "c,115,X6,0,4,d" (_changes/S.INFO.csv line 10)`, false},
		{"a transaction written twice", func(t *testing.T, out string) {
			addFile(t, out, "S.LOG", "part-1-0.csv", outputRows(t, out, "S.LOG", func(r []string) bool { return r[4] == "X2" }))
		}, counts{duplicated: 1}, counts{}, "duplicated: xid X2 commit SCN 106, 2 changes, 2 rows more than once", false},
		{"a rolled back transaction that leaks", func(t *testing.T, out string) {
			addFile(t, out, "S.INFO", "part-1-0.csv", [][]string{{"c", "113", "114", "", "XR", "0", "9", "z"}})
		}, counts{extra: 1}, counts{}, "extra: xid XR commit SCN 114, 1 changes, not in the truth", false},
		{"a change undone by ROLLBACK TO SAVEPOINT that leaks", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if rowOf(r, "u", "X5", "2") {
					return [][]string{r, {"u", "111", "112", "", "X5", "3", "1", "a9"}, {"u", "111", "112", "", "X5", "4", "1", "a3"}}
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, "seq 3 is not in the truth", true},
		{"two changes of a transaction written in the wrong order", func(t *testing.T, out string) {
			var first []string
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				switch {
				case rowOf(r, "u", "X5", "0"):
					first = r
					return nil
				case rowOf(r, "u", "X5", "1"):
					return [][]string{r, first}
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, "X5 commit SCN 112 seq 1 is written before seq 0", true},
		{"two changes of a transaction with swapped _seq", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				switch {
				case rowOf(r, "u", "X5", "0"):
					r[5] = "1"
				case rowOf(r, "u", "X5", "1"):
					r[5] = "0"
				}
				return [][]string{r}
			})
		}, counts{wrong: 1}, counts{}, `X5 commit SCN 112 seq 0: got "u,111,112,,X5,0,3,c3"`, false},
		{"a transaction missing", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if r[4] == "X3" {
					return nil
				}
				return [][]string{r}
			})
		}, counts{missing: 1}, counts{}, `missing: xid X3 commit SCN 108, 1 changes; the first: "d,108,X3,0,2,b"`, false},
		{"a transaction of the snapshot streamed as well", func(t *testing.T, out string) {
			addFile(t, out, "S.LOG", "part-1-0.csv", [][]string{{"c", "89", "90", "", "X0", "2", "p", "q"}})
		}, counts{extra: 1}, counts{}, "committed at or before the start SCN 100", false},
		{"a snapshot row missing", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if r[0] == "r" && r[6] == "2" {
					return nil
				}
				return [][]string{r}
			})
		}, counts{}, counts{missing: 1}, `snapshot missing: "c,90,X0,1,2,b"`, false},
		{"a snapshot row read twice", func(t *testing.T, out string) {
			addFile(t, out, "S.LOG", "part-1-0.csv", outputRows(t, out, "S.LOG", func(r []string) bool { return r[0] == "r" }))
		}, counts{}, counts{duplicated: 1}, "snapshot duplicated", false},
		{"a stale snapshot row", func(t *testing.T, out string) {
			editOutput(t, out, "S.INFO", func(r []string) [][]string {
				if r[0] == "r" && r[6] == "1" {
					r[7] = "a0"
				}
				return [][]string{r}
			})
		}, counts{}, counts{wrong: 1}, "snapshot wrong", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, truth := changeFixture(t)
			tt.damage(t, out)
			rep, err := verify.Run(out, truth)
			if err != nil {
				t.Fatal(err)
			}
			var got, snap counts
			got.missing, got.extra, got.duplicated, got.wrong = rep.Changes.Totals()
			snap.missing, snap.extra, snap.duplicated, snap.wrong = rep.Changes.SnapshotTotals()
			if got != tt.changes || snap != tt.snap || rep.OK() || !strings.Contains(rep.String(), tt.example) {
				t.Fatalf("got %+v and snapshot %+v, want %+v and %+v and the example %q\n%s", got, snap, tt.changes, tt.snap, tt.example, rep)
			}
			m, d, x := rep.Totals()
			if finalOK := m+d+x == 0; finalOK != tt.finalOK {
				t.Fatalf("the final-state check found %d differences; want it to find some: %v\n%s", m+d+x, !tt.finalOK, rep)
			}
			t.Logf("report:\n%s", rep)
		})
	}
}

func TestPerChangeStart(t *testing.T) {
	dropSnapshot := func(t *testing.T, out string) {
		for _, table := range []string{"S.INFO", "S.LOG"} {
			editOutput(t, out, table, func(r []string) [][]string {
				if r[0] == "r" {
					return nil
				}
				return [][]string{r}
			})
		}
	}
	t.Run("no snapshot rows: from the truth's beginning", func(t *testing.T) {
		out, truth := changeFixture(t)
		dropSnapshot(t, out)
		rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange})
		if err != nil {
			t.Fatal(err)
		}
		m, x, d, w := rep.Changes.Totals()
		if m != 2 || x+d+w != 0 || rep.Changes.From != 0 || rep.Ran(verify.ModeFinalState) {
			t.Fatalf("X0 is not missing from both tables:\n%s", rep)
		}
	})
	t.Run("no snapshot rows, --from-scn", func(t *testing.T) {
		out, truth := changeFixture(t)
		dropSnapshot(t, out)
		rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange, FromSCN: 100})
		if err != nil || !rep.OK() {
			t.Fatalf("%v\n%s", err, rep)
		}
	})
	t.Run("--from-scn other than the snapshot's", func(t *testing.T) {
		out, truth := changeFixture(t)
		if _, err := verify.RunWith(out, truth, verify.Options{FromSCN: 105}); err == nil || !strings.Contains(err.Error(), "snapshot rows are at SCN 100") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("--to-scn", func(t *testing.T) {
		out, truth := changeFixture(t)
		rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange, ToSCN: 110})
		if err != nil {
			t.Fatal(err)
		}
		if _, x, _, _ := rep.Changes.Totals(); x != 3 || !strings.Contains(rep.String(), "committed after SCN 110") {
			t.Fatalf("X5 and X6 (in two tables) are not extra:\n%s", rep)
		}
	})
	t.Run("two snapshots", func(t *testing.T) {
		out, truth := changeFixture(t)
		addFile(t, out, "S.LOG", "part-1-0.csv", [][]string{{"r", "120", "120", "", "", "0", "p", "q"}})
		if _, err := verify.Run(out, truth); err == nil || !strings.Contains(err.Error(), "several SCNs") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestModes(t *testing.T) {
	out, truth := changeFixture(t)
	if _, err := verify.ParseMode("everything"); err == nil {
		t.Fatal("ParseMode accepted everything")
	}
	rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModeFinalState})
	if err != nil || rep.Ran(verify.ModePerChange) || rep.Changes != nil || !rep.OK() {
		t.Fatalf("final-state alone: %v\n%s", err, rep)
	}
	os.RemoveAll(filepath.Join(truth, "_changes"))
	if _, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange}); err == nil || !strings.Contains(err.Error(), "_changes") {
		t.Fatalf("per-change without a change log: %v", err)
	}
	rep, err = verify.Run(out, truth)
	if err != nil || !slices.Equal(rep.Checks, []verify.Mode{verify.ModeFinalState}) {
		t.Fatalf("auto without a change log: %v, %v", err, rep.Checks)
	}
	// A complete truth (_final_scn) has a change log: one without is stale
	// or cut short, and auto does not fall back to the final state alone.
	if err := os.WriteFile(filepath.Join(truth, "_final_scn"), []byte("120\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Run(out, truth); err == nil || !strings.Contains(err.Error(), "has _final_scn but no _changes/") {
		t.Fatalf("auto with _final_scn and no change log: %v", err)
	}
	if rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModeFinalState}); err != nil || !rep.OK() {
		t.Fatalf("final-state with _final_scn and no change log: %v", err)
	}
}

// TestPerChangeKeylessUpdateBeforeSnapshot: a table without a key updated
// before the snapshot cannot be replayed; the report says so instead of
// guessing, and fails unless told to accept it.
func TestPerChangeKeylessUpdateBeforeSnapshot(t *testing.T) {
	out, truth := changeFixture(t)
	path := filepath.Join(truth, "_changes", "S.LOG.csv")
	recs := readRecords(t, path)
	recs = slices.Insert(recs, 2, []string{"u", "95", "X9", "0", "p", "q"})
	writeRecords(t, path, recs)
	rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange})
	if err != nil {
		t.Fatal(err)
	}
	lg := rep.Changes.Tables[1]
	if !strings.Contains(lg.SnapshotUnchecked, "cannot be placed") || lg.OK() || rep.OK() ||
		!strings.Contains(rep.String(), "per-change snapshot not checked: S.LOG (a failure; --allow-unchecked-snapshot accepts it)") {
		t.Fatalf("report:\n%s", rep)
	}
	rep, err = verify.RunWith(out, truth, verify.Options{Mode: verify.ModePerChange, AllowUncheckedSnapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !strings.Contains(rep.String(), "per-change snapshot not checked: S.LOG (allowed by --allow-unchecked-snapshot)") {
		t.Fatalf("with AllowUncheckedSnapshot:\n%s", rep)
	}
}
