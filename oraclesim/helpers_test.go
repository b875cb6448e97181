package oraclesim

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a deterministic clock that advances one millisecond a read.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestDB(t testing.TB, mutate func(*Config)) (*DB, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2025, 6, 15, 10, 30, 0, 0, time.UTC)}
	cfg := DefaultConfig()
	cfg.Clock = clk.now
	if mutate != nil {
		mutate(&cfg)
	}
	db, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, clk
}

func mustTable(t testing.TB, db *DB, spec TableSpec) *Table {
	t.Helper()
	tbl, err := db.CreateTable(spec)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func openSQL(t testing.TB, db *DB, user string) *sql.DB {
	t.Helper()
	sdb := sql.OpenDB(NewConnector(db, ConnOptions{User: user}))
	t.Cleanup(func() { _ = sdb.Close() })
	return sdb
}

func conn(t testing.TB, sdb *sql.DB) *sql.Conn {
	t.Helper()
	c, err := sdb.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func execT(t testing.TB, c *sql.Conn, q string, args ...any) {
	t.Helper()
	if _, err := c.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// readerNLS is what a LogMiner reader sets before mining.
var readerNLS = []string{
	"ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'",
	"ALTER SESSION SET NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF'",
	"ALTER SESSION SET NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM'",
	"ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,'",
}

// minedRow is one reassembled V$LOGMNR_CONTENTS change.
type minedRow struct {
	scn      string
	op       int
	owner    string
	table    string
	rowID    string
	redo     string
	undo     string
	rollback int
	xid      []byte
	pieces   int
}

// mine adds every log covering start, starts LogMiner with opts and
// returns the rows from SCN > after, CSF pieces joined.
func mine(t testing.TB, c *sql.Conn, start uint64, opts string) []minedRow {
	t.Helper()
	ctx := context.Background()
	rows, err := c.QueryContext(ctx, "SELECT NAME FROM V$ARCHIVED_LOG WHERE DELETED = 'NO' AND NEXT_CHANGE# > :1 ORDER BY SEQUENCE#", start)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		files = append(files, n)
	}
	rows.Close()
	rows, err = c.QueryContext(ctx, "SELECT MEMBER FROM V$LOGFILE F, V$LOG L WHERE 1 = 1")
	if err == nil {
		rows.Close()
		t.Fatal("join should not be recognized")
	}
	rows, err = c.QueryContext(ctx, "SELECT GROUP# FROM V$LOG WHERE STATUS = 'CURRENT'")
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for rows.Next() {
		var g string
		_ = rows.Scan(&g)
		groups = append(groups, g)
	}
	rows.Close()
	for _, g := range groups {
		var m string
		if err := c.QueryRowContext(ctx, "SELECT MEMBER FROM V$LOGFILE WHERE GROUP# = :1", g).Scan(&m); err != nil {
			t.Fatal(err)
		}
		files = append(files, m)
	}
	for i, f := range files {
		opt := "DBMS_LOGMNR.ADDFILE"
		if i == 0 {
			opt = "DBMS_LOGMNR.NEW"
		}
		execT(t, c, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => "+opt+"); END;", f)
	}
	if opts == "" {
		opts = "DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG"
	}
	execT(t, c, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, OPTIONS => "+opts+"); END;", start)
	defer execT(t, c, "BEGIN DBMS_LOGMNR.END_LOGMNR; END;")
	rows, err = c.QueryContext(ctx, `SELECT SCN, OPERATION_CODE, SEG_OWNER, TABLE_NAME, ROW_ID, SQL_REDO, SQL_UNDO, CSF, ROLLBACK, XID
		FROM V$LOGMNR_CONTENTS WHERE SCN >= :1 AND OPERATION_CODE IN (1,2,3,6,7,36)`, start)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []minedRow
	var cur *minedRow
	for rows.Next() {
		var r minedRow
		var owner, table, redo, undo sql.NullString
		var csf int
		if err := rows.Scan(&r.scn, &r.op, &owner, &table, &r.rowID, &redo, &undo, &csf, &r.rollback, &r.xid); err != nil {
			t.Fatal(err)
		}
		if cur != nil {
			cur.redo += redo.String
			cur.undo += undo.String
			cur.pieces++
		} else {
			r.owner, r.table, r.redo, r.undo, r.pieces = owner.String, table.String, redo.String, undo.String, 1
			cur = &r
		}
		if csf == 0 {
			out = append(out, *cur)
			cur = nil
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func dmlRows(rows []minedRow) []minedRow {
	var out []minedRow
	for _, r := range rows {
		if r.op == OpInsert || r.op == OpUpdate || r.op == OpDelete {
			out = append(out, r)
		}
	}
	return out
}

func joinRedo(rows []minedRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.redo)
		b.WriteByte('\n')
	}
	return b.String()
}
