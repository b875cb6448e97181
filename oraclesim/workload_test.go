package oraclesim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWorkloadDeterministicAndExact runs the workload twice with one seed:
// it stops after exactly MaxChanges committed changes, both runs produce
// the same truth dump, the per-table counts add up, and the redo holds
// rollbacks, savepoint rollbacks and CSF splits.
func TestWorkloadDeterministicAndExact(t *testing.T) {
	run := func() (*DB, string, uint64) {
		db, _ := newTestDB(t, nil)
		cfg := DefaultWorkloadConfig()
		cfg.Seed = 42
		cfg.MaxChanges = 3000
		cfg.BigRemarkShare = 0.05
		cfg.RollbackShare, cfg.PartialRollbackShare = 0.15, 0.15
		w, err := NewWorkload(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := db.CurrentSCN()
		if err := w.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if w.Committed() != 3000 {
			t.Fatalf("committed %d, want 3000", w.Committed())
		}
		var total int64
		for _, n := range db.CommittedChanges() {
			total += n
		}
		if total != 3000 {
			t.Fatalf("CommittedChanges total %d", total)
		}
		var b strings.Builder
		for _, tbl := range db.Tables() {
			if err := db.DumpCSV(&b, tbl, 0); err != nil {
				t.Fatal(err)
			}
		}
		return db, b.String(), start
	}
	db, dump1, start := run()
	_, dump2, _ := run()
	if dump1 != dump2 {
		t.Fatal("same seed, different truth")
	}
	if !strings.HasPrefix(dump1, "ID,ACCOUNT_NO,AMOUNT,CURRENCY,TRANS_TIME,STATUS,REMARK\n") {
		t.Fatalf("truth header: %.80q", dump1)
	}
	c := conn(t, openSQL(t, db, "SYSTEM"))
	rows := mine(t, c, start+1, "")
	var rollbacks, rbRows, csf, commits int
	for _, r := range rows {
		switch {
		case r.op == OpRollback:
			rollbacks++
		case r.rollback == 1:
			rbRows++
		case r.op == OpCommit:
			commits++
		}
		if r.pieces > 1 {
			csf++
		}
	}
	if rollbacks == 0 || rbRows == 0 || csf == 0 || commits == 0 {
		t.Fatalf("rollbacks %d, rollback rows %d, CSF statements %d, commits %d", rollbacks, rbRows, csf, commits)
	}
}

// TestWorkloadRateAndCancel checks that Run returns ctx.Err() when
// cancelled and leaves no transaction open.
func TestWorkloadRateAndCancel(t *testing.T) {
	db, _ := newTestDB(t, nil)
	cfg := DefaultWorkloadConfig()
	cfg.Rate = 1000
	w, err := NewWorkload(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v", err)
	}
	tbl := db.Table(WorkloadSchema, TransInfoTable)
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, r := range tbl.rows {
		if r.pendTx != nil {
			t.Fatal("a transaction was left open")
		}
	}
}

// TestDriverValuesAndAsOf checks the go-ora value shapes, column metadata,
// AS OF SCN with ROWID and key ranges, savepoints over SQL, and faults.
func TestDriverValuesAndAsOf(t *testing.T) {
	db, _ := newTestDB(t, nil)
	mustTable(t, db, TableSpec{Schema: "U", Name: "ALLT", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
		{Name: "ID", Type: "NUMBER(10)"}, {Name: "N", Type: "NUMBER(18,2)"}, {Name: "BF", Type: "BINARY_FLOAT"}, {Name: "BD", Type: "BINARY_DOUBLE"},
		{Name: "S", Type: "VARCHAR2(10)"}, {Name: "D", Type: "DATE"}, {Name: "TZ", Type: "TIMESTAMP(6) WITH TIME ZONE"}, {Name: "R", Type: "RAW(4)"}, {Name: "C", Type: "CLOB"}}})
	sdb := openSQL(t, db, "U")
	c := conn(t, sdb)
	ctx := context.Background()
	execT(t, c, `INSERT INTO ALLT VALUES (1, '-0.5', 3.14, 2.5, 'x', TO_DATE('2020-01-15 10:30:00', 'YYYY-MM-DD HH24:MI:SS'), TO_TIMESTAMP_TZ('2020-01-15 10:30:00.5 -05:00', 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM'), HEXTORAW('0aff'), 'clob')`)
	scn1 := db.CurrentSCN()
	execT(t, c, `INSERT INTO ALLT (ID, N) VALUES (:1, :2)`, 2, 12.5)
	var vals [9]any
	ptrs := make([]any, 9)
	for i := range ptrs {
		ptrs[i] = &vals[i]
	}
	rows, err := c.QueryContext(ctx, `SELECT ID, N, BF, BD, S, D, TZ, R, C FROM U.ALLT AS OF SCN :1 WHERE ROWID >= :2 AND ID < :3 ORDER BY ID`, scn1, "AAAAAAAAAAAAAAAAAA", 10)
	if err != nil {
		t.Fatal(err)
	}
	types, _ := rows.ColumnTypes()
	var n int
	for rows.Next() {
		n++
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if n != 1 {
		t.Fatalf("AS OF SCN saw %d rows, want 1", n)
	}
	if vals[0] != "1" || vals[1] != "-0.5" || vals[2] != float32(3.14) || vals[3] != 2.5 || vals[4] != "x" || string(vals[7].([]byte)) != "\x0a\xff" || vals[8] != "clob" {
		t.Fatalf("values %#v", vals)
	}
	if d := vals[5].(time.Time); !d.Equal(time.Date(2020, 1, 15, 10, 30, 0, 0, time.UTC)) {
		t.Fatalf("DATE %v", d)
	}
	if tz := vals[6].(time.Time); tz.Format(time.RFC3339Nano) != "2020-01-15T10:30:00.5-05:00" {
		t.Fatalf("TZ %v", tz)
	}
	if types[1].DatabaseTypeName() != "NUMBER" || types[6].DatabaseTypeName() != "TIMESTAMP WITH TIME ZONE" || types[2].DatabaseTypeName() != "BINARY_FLOAT" {
		t.Fatalf("type names %s %s", types[1].DatabaseTypeName(), types[6].DatabaseTypeName())
	}
	if p, s, ok := types[1].DecimalSize(); !ok || p != 18 || s != 2 {
		t.Fatalf("NUMBER(18,2) precision %d %d %v", p, s, ok)
	}
	if l, ok := types[4].Length(); !ok || l != 10 {
		t.Fatalf("VARCHAR2(10) length %d %v", l, ok)
	}
	// savepoints through SQL inside a transaction
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"INSERT INTO ALLT (ID) VALUES (3)", "SAVEPOINT a", "INSERT INTO ALLT (ID) VALUES (4)", "ROLLBACK TO SAVEPOINT a"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	rows, err = c.QueryContext(ctx, "SELECT ID FROM ALLT ORDER BY ID DESC")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if strings.Join(ids, ",") != "3,2,1" {
		t.Fatalf("ids %v", ids)
	}
	// faults: a failing call, then dropped connections
	db.FailNext(1, nil)
	if err := c.PingContext(ctx); !errors.Is(err, ErrInjected) {
		t.Fatalf("FailNext: %v", err)
	}
	if err := c.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	db.DropConnections()
	if err := c.PingContext(ctx); err == nil {
		t.Fatal("a dropped connection still answers")
	}
	var one string
	if err := sdb.QueryRowContext(ctx, "SELECT 1 FROM DUAL").Scan(&one); err != nil || one != "1" {
		t.Fatalf("new connection after drop: %q %v", one, err)
	}
	_ = sql.ErrNoRows
}

// TestPreloadThenRun: preloaded rows are in the table and Run goes on
// changing them (updates and deletes reach preloaded ids) without key
// clashes.
func TestPreloadThenRun(t *testing.T) {
	db, _ := newTestDB(t, nil)
	cfg := DefaultWorkloadConfig()
	cfg.MaxChanges = 3000
	w, err := NewWorkload(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Preload(context.Background(), 2500); err != nil {
		t.Fatal(err)
	}
	rows, err := db.RowsAsOf(db.Table(WorkloadSchema, TransInfoTable), 0)
	if err != nil || len(rows) != 2500 || w.Committed() != 0 {
		t.Fatalf("after preload: %d rows (%v), %d counted", len(rows), err, w.Committed())
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, _ = db.RowsAsOf(db.Table(WorkloadSchema, TransInfoTable), 0)
	preloaded := 0
	for _, r := range rows {
		if id, err := strconv.ParseInt(fmt.Sprint(r[0]), 10, 64); err == nil && id <= 2500 {
			preloaded++
		}
	}
	// Run deletes some preloaded rows (it picks among all committed ids).
	if preloaded >= 2500 || preloaded < 2000 || w.Committed() != 3000 {
		t.Fatalf("after run: %d of the 2500 preloaded rows left, %d committed", preloaded, w.Committed())
	}
}
