package tns

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	go_ora "github.com/sijms/go-ora/v2"
	"github.com/sijms/go-ora/v2/network"
)

// oraCode extracts the ORA code go-ora reports.
func oraCode(err error) int {
	var oe *network.OracleError
	if errors.As(err, &oe) {
		return oe.ErrCode
	}
	return 0
}

func TestBindsRoundTrip(t *testing.T) {
	ts := startServer(t, newTestDB(), nil)
	sqldb := ts.open(t, "")
	when := time.Date(2023, 12, 31, 23, 59, 59, 987654321, time.FixedZone("+02:00", 7200))
	tests := []struct {
		name string
		typ  string
		arg  any
		want any
	}{
		{"int", "NUMBER", int64(42), "42"},
		{"negative int", "NUMBER", -7, "-7"},
		{"big int", "NUMBER", int64(9007199254740993), "9007199254740993"},
		{"float", "NUMBER", 2.5, "2.5"},
		{"string", "VARCHAR2", "abc 你好", "abc 你好"},
		{"long string", "VARCHAR2", strings.Repeat("z", 5000), strings.Repeat("z", 5000)},
		{"bytes", "RAW", []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"time", "TIMESTAMP WITH TIME ZONE", when, when},
		{"null", "VARCHAR2", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			err := sqldb.QueryRowContext(testCtx(t), fmt.Sprintf("SELECT :1 AS %q FROM DUAL", tt.typ), tt.arg).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if err := equalValue(got, tt.want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNamedAndRepeatedBinds(t *testing.T) {
	db := newTestDB()
	db.createTable("T", tcol{name: "ID", typ: "NUMBER"}, tcol{name: "NAME", typ: "VARCHAR2", length: 10})
	db.tables["T"].rows = [][]driver.Value{{"1", "one"}, {"2", "two"}}
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "")
	var name string
	if err := sqldb.QueryRowContext(testCtx(t), "SELECT * FROM T WHERE ID = :id", sql.Named("id", 2)).Scan(new(string), &name); err != nil {
		t.Fatal(err)
	}
	if name != "two" {
		t.Fatalf("got %q, want two", name)
	}
	var a, b any
	if err := sqldb.QueryRowContext(testCtx(t), `SELECT :x AS "NUMBER", :x AS "NUMBER" FROM DUAL`, sql.Named("x", 5)).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != "5" || b != "5" {
		t.Fatalf("repeated bind: got %v %v", a, b)
	}
}

func TestPreparedReexecute(t *testing.T) {
	db := newTestDB()
	db.createTable("T", tcol{name: "ID", typ: "NUMBER"}, tcol{name: "C", typ: "CLOB"})
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "")
	ctx := testCtx(t)
	ins, err := sqldb.PrepareContext(ctx, "INSERT INTO T VALUES (:1, :2)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	for i := 0; i < 5; i++ {
		res, err := ins.ExecContext(ctx, i, strings.Repeat("c", 300+i))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("rows affected %d", n)
		}
	}
	sel, err := sqldb.PrepareContext(ctx, "SELECT * FROM T WHERE ID = :1")
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	for i := 0; i < 5; i++ {
		var id, c string
		if err := sel.QueryRowContext(ctx, i).Scan(&id, &c); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		if id != strconv.Itoa(i) || c != strings.Repeat("c", 300+i) {
			t.Fatalf("query %d: got %s %d bytes", i, id, len(c))
		}
	}
}

func TestTransactions(t *testing.T) {
	db := newTestDB()
	db.createTable("T", tcol{name: "ID", typ: "NUMBER"})
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "")
	ctx := testCtx(t)

	if _, err := sqldb.ExecContext(ctx, "INSERT INTO T VALUES (:1)", 1); err != nil {
		t.Fatal(err)
	}
	if got := db.rowCount("T"); got != 1 {
		t.Fatalf("autocommit insert: %d rows", got)
	}
	tx, err := sqldb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 3; i++ {
		if _, err := tx.ExecContext(ctx, "INSERT INTO T VALUES (:1)", i); err != nil {
			t.Fatal(err)
		}
	}
	if got := db.rowCount("T"); got != 1 {
		t.Fatalf("uncommitted inserts visible: %d rows", got)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := db.rowCount("T"); got != 3 {
		t.Fatalf("after commit: %d rows", got)
	}
	tx, err = sqldb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO T VALUES (:1)", 4); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := db.rowCount("T"); got != 3 {
		t.Fatalf("after rollback: %d rows", got)
	}
}

func TestOraErrors(t *testing.T) {
	ts := startServer(t, newTestDB(), nil)
	sqldb := ts.open(t, "")
	ctx := testCtx(t)
	tests := []struct {
		name string
		sql  string
		exec bool
		code int
		msg  string
	}{
		{"unknown table", "SELECT * FROM NOPE", false, 942, "ORA-00942: table or view does not exist"},
		{"invalid sql", "FROB THE WIDGET", true, 900, "ORA-00900: invalid SQL statement"},
		{"coded error from PL/SQL", "BEGIN RAISE(1291); END;", true, 1291, "ORA-01291: raised on request"},
		{"error without code", "BEGIN PANIC; END;", true, 600, "ORA-00600: internal error code, arguments: [oraclesim], [something without an ORA code]"},
		{"no logminer session", "SELECT * FROM V$LOGMNR_CONTENTS", false, 1306, "ORA-01306: dbms_logmnr.start_logmnr() must be invoked before selecting from v$logmnr_contents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.exec {
				_, err = sqldb.ExecContext(ctx, tt.sql)
			} else {
				var rows *sql.Rows
				rows, err = sqldb.QueryContext(ctx, tt.sql)
				if err == nil {
					rows.Close()
				}
			}
			if oraCode(err) != tt.code || err.Error() != tt.msg {
				t.Fatalf("got %v (code %d), want %q", err, oraCode(err), tt.msg)
			}
		})
	}
	// The session stays usable after errors.
	if err := sqldb.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLogon(t *testing.T) {
	db := newTestDB()
	ts := startServer(t, db, func(c *Config) { c.Password = "s3cret"; c.SID = "ORCLCDB" })
	ctx := testCtx(t)
	tests := []struct {
		name string
		dsn  string
		code int
	}{
		{"right password", ts.dsn("scott", "s3cret", ""), 0},
		{"wrong password", ts.dsn("scott", "wrong", ""), 1017},
		{"by SID", fmt.Sprintf("oracle://scott:s3cret@%s/?SID=ORCLCDB", ts.addr), 0},
		{"unknown service", fmt.Sprintf("oracle://scott:s3cret@%s/NOPE", ts.addr), 12514},
		{"unknown SID", fmt.Sprintf("oracle://scott:s3cret@%s/?SID=NOPE", ts.addr), 12505},
		{"wrong password, unknown user", ts.dsn("nobody", "wrong", ""), 1017},
		{"backend refuses", ts.dsn("LOCKED", "s3cret", ""), 28000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqldb, err := sql.Open("oracle", tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer sqldb.Close()
			err = sqldb.PingContext(ctx)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if oraCode(err) != tt.code {
				t.Fatalf("got %v, want ORA-%05d", err, tt.code)
			}
		})
	}
}

func TestLogMinerSessionOverTCP(t *testing.T) {
	db := newTestDB()
	db.gen["V$LOGMNR_CONTENTS"] = logminerTable()
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "PREFETCH_ROWS=500")
	ctx := testCtx(t)
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{
		"ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'",
		"ALTER SESSION SET NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF'",
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var nls string
	if err := conn.QueryRowContext(ctx, "SELECT NLS FROM DUAL").Scan(&nls); err != nil || nls != "YYYY-MM-DD HH24:MI:SS" {
		t.Fatalf("session NLS state not kept: %q %v", nls, err)
	}
	const lo, hi = 5000, 7500
	_, err = conn.ExecContext(ctx, `BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG + DBMS_LOGMNR.NO_ROWID_IN_STMT); END;`, int64(lo), int64(hi))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM V$LOGMNR_CONTENTS")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	want := make([]driver.Value, len(cols))
	n := 0
	for rows.Next() {
		got := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range got {
			ptrs[i] = &got[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		logminerRow(n, want)
		for i := range cols {
			if err := equalValue(got[i], want[i]); err != nil {
				t.Fatalf("row %d %s: %v", n, cols[i], err)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != hi-lo {
		t.Fatalf("got %d rows, want %d", n, hi-lo)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN DBMS_LOGMNR.END_LOGMNR; END;"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.QueryContext(ctx, "SELECT * FROM V$LOGMNR_CONTENTS")
	if oraCode(err) != 1306 {
		t.Fatalf("after END_LOGMNR: got %v, want ORA-01306", err)
	}
}

func TestMillionRowsInBatches(t *testing.T) {
	const n = 1_000_000
	db := newTestDB()
	db.gen["BIG"] = bigTable(n)
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "PREFETCH_ROWS=1000")
	rows, err := sqldb.QueryContext(testCtx(t), "SELECT * FROM BIG")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	var id, name string
	for rows.Next() {
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		if i%99991 == 0 || i == n-1 {
			if id != strconv.Itoa(i) || name != "row-"+strconv.Itoa(i) {
				t.Fatalf("row %d: got %s %s", i, id, name)
			}
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("got %d rows, want %d", i, n)
	}
}

func TestConcurrentSessions(t *testing.T) {
	const sessions = 16
	db := newTestDB()
	db.gen["BIG"] = bigTable(5000)
	db.gen["V$LOGMNR_CONTENTS"] = logminerTable()
	ts := startServer(t, db, nil)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for s := 0; s < sessions; s++ {
		wg.Go(func() {
			sqldb, err := sql.Open("oracle", ts.dsn(fmt.Sprintf("user%d", s), "x", "PREFETCH_ROWS=100"))
			if err != nil {
				errs <- err
				return
			}
			defer sqldb.Close()
			sqldb.SetMaxOpenConns(1)
			if _, err := sqldb.ExecContext(ctx, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2); END;", int64(0), int64(100+s)); err != nil {
				errs <- fmt.Errorf("session %d: %w", s, err)
				return
			}
			var count int
			rows, err := sqldb.QueryContext(ctx, "SELECT * FROM V$LOGMNR_CONTENTS")
			if err != nil {
				errs <- fmt.Errorf("session %d: %w", s, err)
				return
			}
			for rows.Next() {
				count++
			}
			rows.Close()
			if count != 100+s {
				errs <- fmt.Errorf("session %d: %d rows, want %d (sessions must not share LogMiner state)", s, count, 100+s)
				return
			}
			for range 3 {
				rows, err := sqldb.QueryContext(ctx, "SELECT * FROM BIG")
				if err != nil {
					errs <- fmt.Errorf("session %d: %w", s, err)
					return
				}
				count = 0
				for rows.Next() {
					count++
				}
				if err := rows.Err(); err != nil || count != 5000 {
					errs <- fmt.Errorf("session %d: %d rows, err %v", s, count, err)
				}
				rows.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConnectionKilledMidFetch(t *testing.T) {
	db := newTestDB()
	db.gen["BIG"] = bigTable(200_000)
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "PREFETCH_ROWS=100")
	ctx := testCtx(t)
	rows, err := sqldb.QueryContext(ctx, "SELECT * FROM BIG")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rows.Next() {
			n++
			if n == 1000 {
				if got := ts.srv.DropSessions(); got != 1 {
					t.Errorf("dropped %d sessions, want 1", got)
				}
			}
		}
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("fetch hung after the connection was killed")
	}
	if rows.Err() == nil {
		t.Fatalf("fetch ended after %d rows without an error", n)
	}
	if n >= 200_000 {
		t.Fatalf("fetched all rows despite the kill")
	}
	t.Logf("after %d rows: %v", n, rows.Err())
	// The pool replaces the dead connection.
	if err := sqldb.PingContext(ctx); err != nil {
		t.Fatalf("ping on a fresh connection: %v", err)
	}
}

func TestBadConnFromBackendDropsClient(t *testing.T) {
	ts := startServer(t, newTestDB(), nil)
	sqldb := ts.open(t, "")
	ctx := testCtx(t)
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN BADCONN; END;"); err == nil {
		t.Fatal("want an error")
	}
	if err := conn.PingContext(ctx); err == nil {
		t.Fatal("the dropped connection still answers")
	}
}

// TestPinnedDriverVersion fails loudly when go-ora is bumped: the listener's
// message layouts were derived from v2.9.0's client code and must be
// re-checked against a new version before the pin moves.
func TestPinnedDriverVersion(t *testing.T) {
	const want = "v2.9.0"
	got, ok := requiredVersion("github.com/sijms/go-ora/v2")
	if !ok {
		t.Fatal("go.mod does not require github.com/sijms/go-ora/v2")
	}
	if got != want {
		t.Fatalf("go.mod requires go-ora %s; the TNS listener is verified against %s: re-run this package's tests and re-read the client's message layouts (see doc.go) before moving the pin", got, want)
	}
	_ = go_ora.NewConnector
}
