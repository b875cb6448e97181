package oraclesim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func fill(t *testing.T, db *DB, tbl *Table, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		tx := db.Begin("U")
		if _, err := tx.Insert(tbl, i, strings.Repeat("v", 200)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func smallLogs(c *Config) { c.LogFileSize = 4096 }

func kvTable(t *testing.T, db *DB) *Table {
	return mustTable(t, db, TableSpec{Schema: "U", Name: "KV", PrimaryKey: []string{"ID"}, Columns: cols2("ID", "NUMBER", "V", "VARCHAR2(400)")})
}

// TestLogSwitchBySize checks that online logs switch when full, that the
// archived logs chain FIRST_CHANGE#/NEXT_CHANGE# without gaps, that V$LOG
// shows one CURRENT group, and that mining across the switches sees every
// change exactly once.
func TestLogSwitchBySize(t *testing.T) {
	db, _ := newTestDB(t, smallLogs)
	tbl := kvTable(t, db)
	start := db.CurrentSCN()
	fill(t, db, tbl, 1, 100)
	logs := db.Logs()
	if len(logs) < 5 {
		t.Fatalf("expected several switches, got %d logs", len(logs))
	}
	for i := 1; i < len(logs); i++ {
		if logs[i].Sequence != logs[i-1].Sequence+1 || logs[i].FirstChange != logs[i-1].NextChange {
			t.Fatalf("log chain broken at %+v -> %+v", logs[i-1], logs[i])
		}
	}
	c := conn(t, openSQL(t, db, "U"))
	var current int
	if err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM V$LOG WHERE STATUS = 'CURRENT'").Scan(&current); err != nil || current != 1 {
		t.Fatalf("CURRENT groups: %d %v", current, err)
	}
	rows := dmlRows(mine(t, c, start+1, ""))
	if len(rows) != 100 {
		t.Fatalf("mined %d inserts, want 100", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.rowID] {
			t.Fatalf("row %s mined twice", r.rowID)
		}
		seen[r.rowID] = true
	}
}

// TestForcedSwitchAndTwoThreads checks ALTER SYSTEM SWITCH LOGFILE on a
// two-thread database and that rows from both threads come back merged in
// SCN order with their THREAD#.
func TestForcedSwitchAndTwoThreads(t *testing.T) {
	db, _ := newTestDB(t, func(c *Config) { c.Threads = 2 })
	tbl := kvTable(t, db)
	start := db.CurrentSCN()
	fill(t, db, tbl, 1, 10)
	c := conn(t, openSQL(t, db, "U"))
	execT(t, c, "ALTER SYSTEM SWITCH LOGFILE")
	fill(t, db, tbl, 11, 10)
	var archived int
	if err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM V$ARCHIVED_LOG").Scan(&archived); err != nil || archived != 2 {
		t.Fatalf("archived logs after a switch on 2 threads: %d %v", archived, err)
	}
	rows := mine(t, c, start+1, "")
	last := uint64(0)
	threads := map[string]bool{}
	for _, r := range rows {
		scn := mustU(t, r.scn)
		if scn < last {
			t.Fatalf("SCN order broken: %d after %d", scn, last)
		}
		last = scn
	}
	rs, err := c.QueryContext(context.Background(), "SELECT THREAD# FROM V$LOG")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var th string
		_ = rs.Scan(&th)
		threads[th] = true
	}
	rs.Close()
	if len(threads) != 2 || len(dmlRows(rows)) != 20 {
		t.Fatalf("threads %v, dml rows %d", threads, len(dmlRows(rows)))
	}
}

func mustU(t *testing.T, s string) uint64 {
	t.Helper()
	tg, err := prepareTarget(numT, s)
	if err != nil || !tg.isU {
		t.Fatalf("not an SCN: %q", s)
	}
	return tg.u
}

// TestArchivePurge checks retention purge at switch time, explicit purge,
// the DELETED/STATUS columns of V$ARCHIVED_LOG, and that a LogMiner session
// needing a purged log fails with ORA-01291 or ORA-01284.
func TestArchivePurge(t *testing.T) {
	db, _ := newTestDB(t, func(c *Config) { smallLogs(c); c.ArchiveRetention = 3 })
	tbl := kvTable(t, db)
	start := db.CurrentSCN()
	fill(t, db, tbl, 1, 100)
	c := conn(t, openSQL(t, db, "U"))
	ctx := context.Background()
	var live, deleted int
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM V$ARCHIVED_LOG WHERE DELETED = 'NO' AND STATUS = 'A' AND NAME IS NOT NULL").Scan(&live); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM V$ARCHIVED_LOG WHERE DELETED = 'YES' AND STATUS = 'D' AND NAME IS NULL").Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if live != 3 || deleted == 0 {
		t.Fatalf("retention 3: live %d deleted %d", live, deleted)
	}
	// the oldest log is gone: mining from the start SCN must fail loudly
	var first string
	if err := c.QueryRowContext(ctx, "SELECT MIN(FIRST_CHANGE#) FROM V$ARCHIVED_LOG WHERE DELETED = 'NO'").Scan(&first); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := c.QueryRowContext(ctx, "SELECT NAME FROM V$ARCHIVED_LOG WHERE FIRST_CHANGE# = :1", first).Scan(&name); err != nil {
		t.Fatal(err)
	}
	execT(t, c, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(:1, DBMS_LOGMNR.NEW); END;", name)
	_, err := c.ExecContext(ctx, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG); END;", start+1)
	if !errors.Is(err, ErrMissingLogfile) {
		t.Fatalf("START_LOGMNR before the oldest archive: %v, want ORA-01291", err)
	}
	// a file purged after it was added
	execT(t, c, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG); END;", first)
	if n := db.PurgeArchivedLogs(math.MaxUint64); n != 3 {
		t.Fatalf("purged %d, want 3", n)
	}
	_, err = c.QueryContext(ctx, "SELECT SCN FROM V$LOGMNR_CONTENTS")
	if !errors.Is(err, ErrMissingLogfile) {
		t.Fatalf("query after purge: %v, want ORA-01291", err)
	}
	_, err = c.ExecContext(ctx, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(:1, DBMS_LOGMNR.NEW); END;", name)
	if !errors.Is(err, ErrFileNotOpened) {
		t.Fatalf("ADD_LOGFILE of a purged file: %v, want ORA-01284", err)
	}
}

// TestErrors checks every ORA error the simulator raises for a reader.
func TestErrors(t *testing.T) {
	db, clk := newTestDB(t, func(c *Config) { c.UndoRetention = time.Minute })
	tbl := kvTable(t, db)
	fill(t, db, tbl, 1, 3)
	online := db.Config().OnlineLogDir + "/redo01.log"
	tests := []struct {
		name  string
		setup []string
		sql   string
		args  []any
		query bool
		want  error
		code  int
	}{
		{name: "V$LOGMNR_CONTENTS without START_LOGMNR", sql: "SELECT SCN FROM V$LOGMNR_CONTENTS", query: true, want: ErrNoLogMinerSession, code: 1306},
		{name: "duplicate ADD_LOGFILE", setup: []string{"BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => '" + online + "', OPTIONS => DBMS_LOGMNR.NEW); END;"},
			sql: "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => DBMS_LOGMNR.ADDFILE); END;", args: []any{online}, want: ErrDuplicateLogfile, code: 1289},
		{name: "ADD_LOGFILE of an unknown file", sql: "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => 'nope.arc', OPTIONS => DBMS_LOGMNR.NEW); END;", want: ErrFileNotOpened, code: 1284},
		{name: "START_LOGMNR before the first log", setup: []string{"BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => '" + online + "', OPTIONS => DBMS_LOGMNR.NEW); END;"},
			sql: "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => 5, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG); END;", want: ErrMissingLogfile, code: 1291},
		{name: "START_LOGMNR without files", sql: "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => 5); END;", want: ErrNoLogfile, code: 1292},
		{name: "END_LOGMNR without a session", sql: "BEGIN DBMS_LOGMNR.END_LOGMNR; END;", want: ErrNoActiveLogMiner, code: 1307},
		{name: "CONTINUOUS_MINE", setup: []string{"BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => '" + online + "', OPTIONS => DBMS_LOGMNR.NEW); END;"},
			sql: "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => 1, OPTIONS => DBMS_LOGMNR.CONTINUOUS_MINE); END;", want: ErrContinuousMine, code: 44609},
		{name: "unknown table", sql: `SELECT * FROM "U"."NOPE"`, query: true, want: ErrTableNotFound, code: 942},
		{name: "unknown view column", sql: "SELECT NOPE FROM V$DATABASE", query: true, want: ErrInvalidIdentifier, code: 904},
		{name: "AS OF SCN beyond the current SCN", sql: `SELECT * FROM "U"."KV" AS OF SCN :1`, args: []any{db.CurrentSCN() + 100}, query: true, want: ErrInvalidSCN, code: 8181},
		{name: "duplicate key", sql: `INSERT INTO "U"."KV" (ID, V) VALUES (1, 'x')`, want: ErrUniqueConstraint, code: 1},
		{name: "value too large", sql: `INSERT INTO "U"."KV" (ID, V) VALUES (9, :1)`, args: []any{strings.Repeat("x", 401)}, want: ErrValueTooLarge, code: 12899},
		{name: "ROLLBACK TO unknown savepoint", sql: "ROLLBACK TO SAVEPOINT nope", want: ErrSavepointNeverEstablished, code: 1086},
		{name: "bad ALTER SESSION", sql: "ALTER SESSION SET FOO = 1", want: ErrInvalidAlterSession, code: 2248},
		{name: "bad date format", sql: "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-QQ'", want: ErrDateFormat, code: 1821},
		{name: "unrecognized SQL is quoted", sql: "MERGE INTO t USING s ON (1=1)", want: ErrInvalidSQL, code: 900},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := conn(t, openSQL(t, db, "U"))
			for _, s := range tc.setup {
				execT(t, c, s)
			}
			var err error
			if tc.query {
				var rows interface{ Close() error }
				rows, err = c.QueryContext(context.Background(), tc.sql, tc.args...)
				if err == nil {
					rows.Close()
				}
			} else {
				_, err = c.ExecContext(context.Background(), tc.sql, tc.args...)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var oc interface{ OraCode() int }
			if !errors.As(err, &oc) || oc.OraCode() != tc.code || !strings.HasPrefix(err.Error(), "ORA-") {
				t.Fatalf("error %v does not carry ORA code %d", err, tc.code)
			}
			if tc.code == 900 && !strings.Contains(err.Error(), tc.sql) {
				t.Fatalf("ORA-00900 does not quote the SQL: %v", err)
			}
		})
	}
	t.Run("AS OF SCN older than undo retention", func(t *testing.T) {
		c := conn(t, openSQL(t, db, "U"))
		old := db.CurrentSCN()
		var n int
		if err := c.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM U.KV AS OF SCN :1`, old).Scan(&n); err != nil || n != 3 {
			t.Fatalf("AS OF within retention: %d %v", n, err)
		}
		clk.advance(2 * time.Minute)
		fill(t, db, tbl, 10, 1)
		clk.advance(2 * time.Minute)
		fill(t, db, tbl, 11, 1)
		err := c.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM U.KV AS OF SCN :1`, old).Scan(&n)
		if !errors.Is(err, ErrSnapshotTooOld) {
			t.Fatalf("got %v, want ORA-01555", err)
		}
	})
}
