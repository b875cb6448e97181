package oraclesim

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChangeLogGolden pins the committed change log of a transaction mix:
// a commit across two tables with a savepoint rollback in the middle and
// changes after it, a LOB insert, an update and a delete, a whole rollback,
// and a table nothing committed to. Regenerate with -update after an
// intended format change.
func TestChangeLogGolden(t *testing.T) {
	db, _ := newTestDB(t, nil)
	dir := t.TempDir()
	info := mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "TRANS_INFO", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
		{Name: "ID", Type: "NUMBER"}, {Name: "AMOUNT", Type: "NUMBER(18,2)"}, {Name: "TRANS_TIME", Type: "TIMESTAMP(6)"}, {Name: "REMARK", Type: "VARCHAR2(4000)"}}})
	doc := mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "DOCS", Columns: []ColumnSpec{
		{Name: "AT", Type: "TIMESTAMP(3) WITH TIME ZONE"}, {Name: "BODY", Type: "CLOB"}, {Name: "IMG", Type: "BLOB"}, {Name: "F", Type: "BINARY_DOUBLE"}}})
	l, err := db.RecordChanges(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "EMPTY", Columns: []ColumnSpec{{Name: "X", Type: "NUMBER"}}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ts := time.Date(2024, 3, 1, 9, 15, 30, 250000000, time.UTC)
	at := time.Date(2024, 3, 1, 9, 15, 30, 0, time.FixedZone("", -5*3600))
	t1, t2, t3 := db.Begin("U"), db.Begin("U"), db.Begin("U")
	_, err = t1.Insert(info, 1, "12.50", ts, `say "hi", O'Brien`)
	must(err)
	_, err = t2.Insert(doc, at, "", []byte{0xaa, 0xbb}, 0.1)
	must(err)
	must(t1.Savepoint("A"))
	_, err = t1.Insert(info, 2, "-0.5", ts, "rolled back")
	must(err)
	must(t1.UpdateByKey(info, []any{1}, []string{"AMOUNT"}, []any{"99"}))
	must(t1.RollbackTo("A"))
	_, err = t1.Insert(doc, at, nil, nil, -2.5e-10)
	must(err)
	must(t1.UpdateByKey(info, []any{1}, []string{"AMOUNT", "REMARK"}, []any{"13", nil}))
	_, err = t3.Insert(info, 3, "0.05", ts, "never committed")
	must(err)
	must(t3.Rollback())
	_, err = t2.Commit()
	must(err)
	_, err = t1.Commit()
	must(err)
	t4 := db.Begin("U")
	must(t4.DeleteByKey(info, 1))
	_, err = t4.Commit()
	must(err)
	must(l.Finish())
	if _, err := os.Stat(filepath.Join(dir, ChangeLogDir+".tmp")); !os.IsNotExist(err) {
		t.Fatalf("the temporary folder is left: %v", err)
	}
	var b strings.Builder
	for _, name := range []string{"FINANCE_USER.DOCS.csv", "FINANCE_USER.EMPTY.csv", "FINANCE_USER.TRANS_INFO.csv"} {
		got, err := os.ReadFile(filepath.Join(dir, ChangeLogDir, name))
		must(err)
		b.WriteString("== " + name + "\n")
		b.Write(got)
	}
	checkGolden(t, "changelog.golden", b.String())
	// Commits after Finish are not recorded, and the log cannot finish twice.
	t5 := db.Begin("U")
	_, err = t5.Insert(info, 4, "1", ts, "late")
	must(err)
	_, err = t5.Commit()
	must(err)
	if err := l.Finish(); err == nil {
		t.Fatal("a second Finish succeeded")
	}
	got, _ := os.ReadFile(filepath.Join(dir, ChangeLogDir, "FINANCE_USER.TRANS_INFO.csv"))
	if strings.Contains(string(got), "late") {
		t.Fatal("a commit after Finish was recorded")
	}
}

// TestChangeLogReplaysToTheTables runs the workload (with rollbacks and
// savepoint rollbacks) while recording, then replays the log: the tables
// it rebuilds equal the truth dump, it holds exactly the committed
// changes, and _seq numbers each transaction's changes from 0 without gaps.
func TestChangeLogReplaysToTheTables(t *testing.T) {
	db, _ := newTestDB(t, nil)
	dir := t.TempDir()
	l, err := db.RecordChanges(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := DefaultWorkloadConfig()
	cfg.MaxChanges = 4000
	cfg.RollbackShare, cfg.PartialRollbackShare = 0.15, 0.2
	w, err := NewWorkload(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Preload(context.Background(), 300); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	changes := 0
	seqs := map[string][]int{} // xid -> the _seq of its changes, over both tables
	for _, tbl := range db.Tables() {
		f, err := os.Open(filepath.Join(dir, ChangeLogDir, tbl.Schema()+"."+tbl.Name()+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, c := range tbl.Columns() {
			cols = append(cols, c.Name)
		}
		if want := append([]string{"_op", "_commit_scn", "_xid", "_seq"}, cols...); !slices.Equal(recs[0], want) {
			t.Fatalf("header %v, want %v", recs[0], want)
		}
		state := map[string]int{} // row text -> count, or key -> 1 with rows[key]
		rows := map[string]string{}
		pk := len(tbl.PrimaryKey()) > 0
		for _, r := range recs[1:] {
			changes++
			if len(r[2]) != 16 || strings.ToUpper(r[2]) != r[2] {
				t.Fatalf("_xid %q is not 16 upper-case hex digits", r[2])
			}
			seqs[r[2]] = append(seqs[r[2]], atoiT(t, r[3]))
			row := strings.Join(r[4:], ",")
			key := row
			if pk {
				key = r[4]
			}
			switch r[0] {
			case "c", "u":
				state[key]++
				if r[0] == "u" {
					state[key]--
				}
				rows[key] = row
			case "d":
				if state[key] == 0 || rows[key] != row {
					t.Fatalf("delete of a row not there: %v", r)
				}
				state[key]--
			}
		}
		var got []string
		for k, n := range state {
			for range n {
				got = append(got, rows[k])
			}
		}
		var dump strings.Builder
		if err := db.DumpCSV(&dump, tbl, 0); err != nil {
			t.Fatal(err)
		}
		want, _ := csv.NewReader(strings.NewReader(dump.String())).ReadAll()
		var wantRows []string
		for _, r := range want[1:] {
			wantRows = append(wantRows, strings.Join(r, ","))
		}
		slices.Sort(got)
		slices.Sort(wantRows)
		if !slices.Equal(got, wantRows) {
			t.Fatalf("%s: the replayed log has %d rows, the table %d", tbl.Name(), len(got), len(wantRows))
		}
	}
	if want := 300 + 4000; changes != want {
		t.Fatalf("the log holds %d changes, %d committed", changes, want)
	}
	for xid, s := range seqs {
		slices.Sort(s)
		for i, n := range s {
			if n != i {
				t.Fatalf("transaction %s has _seq %v", xid, s)
			}
		}
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestTruthNullAndEmpty: the change log and the table dump write NULL as
// an empty field and an empty LOB as "", as redoflow's CSV output does, so
// that a check can tell them apart.
func TestTruthNullAndEmpty(t *testing.T) {
	db, _ := newTestDB(t, nil)
	dir := t.TempDir()
	doc := mustTable(t, db, TableSpec{Schema: "S", Name: "DOC", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
		{Name: "ID", Type: "NUMBER"}, {Name: "BODY", Type: "CLOB"}, {Name: "NOTE", Type: "VARCHAR2(10)"}}})
	one := mustTable(t, db, TableSpec{Schema: "S", Name: "ONE", Columns: []ColumnSpec{{Name: "BODY", Type: "CLOB"}}})
	l, err := db.RecordChanges(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx := db.Begin("U")
	for _, row := range [][]any{{1, "", ""}, {2, nil, nil}, {3, "x", "y"}} {
		if _, err := tx.Insert(doc, row...); err != nil {
			t.Fatal(err)
		}
	}
	for _, body := range []any{"", nil} {
		if _, err := tx.Insert(one, body); err != nil {
			t.Fatal(err)
		}
	}
	scn, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := db.DumpDir(dir, 0); err != nil {
		t.Fatal(err)
	}
	xid := ""
	log, err := os.ReadFile(filepath.Join(dir, ChangeLogDir, "S.DOC.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(string(log), "\n"); len(lines) > 1 {
		xid = strings.Split(lines[1], ",")[2]
	}
	s := strconv.FormatUint(scn, 10)
	for name, want := range map[string]string{
		ChangeLogDir + "/S.DOC.csv": "_op,_commit_scn,_xid,_seq,ID,BODY,NOTE\nc," + s + "," + xid + ",0,1,\"\",\nc," + s + "," + xid + ",1,2,,\nc," + s + "," + xid + ",2,3,x,y\n",
		ChangeLogDir + "/S.ONE.csv": "_op,_commit_scn,_xid,_seq,BODY\nc," + s + "," + xid + ",3,\"\"\nc," + s + "," + xid + ",4,\n",
		"S.DOC.csv":                 "ID,BODY,NOTE\n1,\"\",\n2,,\n3,x,y\n",
		"S.ONE.csv":                 "BODY\n\"\"\n\n",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
		}
	}
}
