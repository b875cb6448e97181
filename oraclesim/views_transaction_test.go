package oraclesim

import (
	"context"
	"database/sql"
	"testing"
)

// TestVTransaction: V$TRANSACTION lists exactly the transactions with a
// first change that have neither committed nor rolled back.
func TestVTransaction(t *testing.T) {
	db, _ := newTestDB(t, nil)
	tbl := mustTable(t, db, TableSpec{Schema: "S", Name: "L", Columns: []ColumnSpec{{Name: "V", Type: "VARCHAR2(10)"}}})
	sqldb := openSQL(t, db, "S")
	minStart := func() (n int, min sql.NullInt64) {
		if err := sqldb.QueryRowContext(context.Background(), "SELECT COUNT(*), MIN(START_SCN) FROM V$TRANSACTION").Scan(&n, &min); err != nil {
			t.Fatal(err)
		}
		return
	}
	if n, _ := minStart(); n != 0 {
		t.Fatalf("%d open transactions at start", n)
	}
	a, b := db.Begin("S"), db.Begin("S")
	before := db.CurrentSCN()
	if _, err := a.Insert(tbl, "A"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Insert(tbl, "B"); err != nil {
		t.Fatal(err)
	}
	n, min := minStart()
	if n != 2 || !min.Valid || uint64(min.Int64) <= before {
		t.Fatalf("V$TRANSACTION: %d open, oldest start %v; want 2, after SCN %d", n, min, before)
	}
	first := min.Int64
	if _, err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, min = minStart(); n != 1 || min.Int64 <= first {
		t.Fatalf("after a commit: %d open, oldest %v", n, min)
	}
	if err := b.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n, _ = minStart(); n != 0 {
		t.Fatalf("after a rollback: %d open", n)
	}
}
