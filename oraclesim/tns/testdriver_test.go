package tns

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A small in-memory backend that speaks the Oracle type names and value
// shapes the listener expects, enough to drive go-ora through every path.
// It stands in for the oraclesim engine: the listener sees only driver
// interfaces, so swapping one for the other is a change of factory.

type tcol struct {
	name       string
	typ        string
	length     int64
	prec, scal int64
}

type ttable struct {
	cols []tcol
	rows [][]driver.Value
}

type testDB struct {
	mu     sync.Mutex
	tables map[string]*ttable
	// gen serves generated tables: name -> (columns, row count, row func).
	gen map[string]genTable
	// opened counts backend sessions, closed those closed.
	opened, closed int
}

type genTable struct {
	cols []tcol
	n    int
	row  func(i int, dest []driver.Value)
}

type oraErr struct {
	code int
	msg  string
}

func (e *oraErr) Error() string { return fmt.Sprintf("ORA-%05d: %s", e.code, e.msg) }
func (e *oraErr) OraCode() int  { return e.code }

func newTestDB() *testDB {
	return &testDB{tables: map[string]*ttable{}, gen: map[string]genTable{}}
}

func (db *testDB) factory(ctx context.Context, login Login) (driver.Conn, error) {
	if login.User == "LOCKED" {
		return nil, &oraErr{28000, "the account is locked"}
	}
	db.mu.Lock()
	db.opened++
	db.mu.Unlock()
	return &testConn{db: db, login: login, nls: map[string]string{}}, nil
}

func (db *testDB) createTable(name string, cols ...tcol) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.tables[name] = &ttable{cols: cols}
}

func (db *testDB) rowCount(name string) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.tables[name].rows)
}

type testConn struct {
	db     *testDB
	login  Login
	tx     *testTx
	nls    map[string]string
	lmnr   bool
	lmnrLo int64
	lmnrHi int64
	calls  []string
}

type testTx struct {
	c       *testConn
	pending []func()
}

func (t *testTx) Commit() error {
	t.c.db.mu.Lock()
	for _, f := range t.pending {
		f()
	}
	t.c.db.mu.Unlock()
	t.c.tx = nil
	return nil
}

func (t *testTx) Rollback() error { t.c.tx = nil; return nil }

func (c *testConn) Prepare(string) (driver.Stmt, error) {
	return nil, fmt.Errorf("prepare is not supported by the test driver")
}
func (c *testConn) Close() error {
	c.db.mu.Lock()
	c.db.closed++
	c.db.mu.Unlock()
	return nil
}
func (c *testConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *testConn) BeginTx(ctx context.Context, _ driver.TxOptions) (driver.Tx, error) {
	c.tx = &testTx{c: c}
	return c.tx, nil
}
func (c *testConn) Ping(ctx context.Context) error { return nil }

var (
	reInsert  = regexp.MustCompile(`(?is)^INSERT INTO (\w+) VALUES\s*\((.*)\)$`)
	reSelect  = regexp.MustCompile(`(?is)^SELECT \* FROM ([\w$]+)(?: WHERE (\w+) (=|>=) :\w+)?$`)
	reEcho    = regexp.MustCompile(`(?is)^SELECT (.*) FROM DUAL$`)
	reRaise   = regexp.MustCompile(`(?is)^BEGIN RAISE\((\d+)\); END;$`)
	reStartLM = regexp.MustCompile(`(?is)^BEGIN\s+DBMS_LOGMNR\.START_LOGMNR\(\s*STARTSCN\s*=>\s*:\w+\s*,\s*ENDSCN\s*=>\s*:\w+.*\);\s*END;$`)
	reEndLM   = regexp.MustCompile(`(?is)^BEGIN\s+DBMS_LOGMNR\.END_LOGMNR(\(\))?;\s*END;$`)
	reAlter   = regexp.MustCompile(`(?is)^ALTER SESSION SET (\w+)\s*=\s*'([^']*)'$`)
)

func (c *testConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	q = strings.TrimSpace(q)
	c.calls = append(c.calls, q)
	switch {
	case reInsert.MatchString(q):
		m := reInsert.FindStringSubmatch(q)
		c.db.mu.Lock()
		t := c.db.tables[strings.ToUpper(m[1])]
		c.db.mu.Unlock()
		if t == nil {
			return nil, &oraErr{942, "table or view does not exist"}
		}
		row := make([]driver.Value, len(args))
		for i, a := range args {
			row[i] = a.Value
		}
		apply := func() { t.rows = append(t.rows, row) }
		if c.tx != nil {
			c.tx.pending = append(c.tx.pending, apply)
		} else {
			c.db.mu.Lock()
			apply()
			c.db.mu.Unlock()
		}
		return driver.RowsAffected(1), nil
	case reRaise.MatchString(q):
		code, _ := strconv.Atoi(reRaise.FindStringSubmatch(q)[1])
		return nil, &oraErr{code, "raised on request"}
	case strings.EqualFold(q, "BEGIN PANIC; END;"):
		return nil, fmt.Errorf("something without an ORA code")
	case strings.EqualFold(q, "BEGIN BADCONN; END;"):
		return nil, driver.ErrBadConn
	case strings.EqualFold(q, "BEGIN SLEEP; END;"):
		<-ctx.Done()
		return nil, ctx.Err()
	case reStartLM.MatchString(q):
		if len(args) != 2 {
			return nil, &oraErr{6550, fmt.Sprintf("wrong number of binds: %d", len(args))}
		}
		lo, ok1 := args[0].Value.(int64)
		hi, ok2 := args[1].Value.(int64)
		if !ok1 || !ok2 {
			return nil, &oraErr{6550, fmt.Sprintf("SCN binds must be int64, got %T %T", args[0].Value, args[1].Value)}
		}
		c.lmnr, c.lmnrLo, c.lmnrHi = true, lo, hi
		return driver.RowsAffected(0), nil
	case reEndLM.MatchString(q):
		if !c.lmnr {
			return nil, &oraErr{1306, "dbms_logmnr.start_logmnr() must be invoked before selecting from v$logmnr_contents"}
		}
		c.lmnr = false
		return driver.RowsAffected(0), nil
	case reAlter.MatchString(q):
		m := reAlter.FindStringSubmatch(q)
		c.nls[strings.ToUpper(m[1])] = m[2]
		return driver.RowsAffected(0), nil
	}
	return nil, &oraErr{900, "invalid SQL statement"}
}

func (c *testConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	q = strings.TrimSpace(q)
	c.calls = append(c.calls, q)
	if strings.EqualFold(q, "SELECT SLEEP FROM DUAL") {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if strings.EqualFold(q, "SELECT NLS FROM DUAL") {
		return &memRows{cols: []tcol{{name: "NLS_DATE_FORMAT", typ: "VARCHAR2", length: 64}},
			data: [][]driver.Value{{c.nls["NLS_DATE_FORMAT"]}}}, nil
	}
	if m := reSelect.FindStringSubmatch(q); m != nil {
		name := strings.ToUpper(m[1])
		if name == "V$LOGMNR_CONTENTS" && !c.lmnr {
			return nil, &oraErr{1306, "dbms_logmnr.start_logmnr() must be invoked before selecting from v$logmnr_contents"}
		}
		c.db.mu.Lock()
		g, isGen := c.db.gen[name]
		t := c.db.tables[name]
		c.db.mu.Unlock()
		if isGen {
			n := g.n
			if name == "V$LOGMNR_CONTENTS" {
				n = int(c.lmnrHi - c.lmnrLo)
			}
			return &genRows{t: g, n: n, ctx: ctx}, nil
		}
		if t == nil {
			return nil, &oraErr{942, "table or view does not exist"}
		}
		c.db.mu.Lock()
		data := append([][]driver.Value(nil), t.rows...)
		c.db.mu.Unlock()
		if m[2] != "" {
			col := -1
			for i, tc := range t.cols {
				if strings.EqualFold(tc.name, m[2]) {
					col = i
				}
			}
			var keep [][]driver.Value
			for _, r := range data {
				if col >= 0 && fmt.Sprint(r[col]) == fmt.Sprint(args[0].Value) {
					keep = append(keep, r)
				}
			}
			data = keep
		}
		return &memRows{cols: t.cols, data: data}, nil
	}
	if m := reEcho.FindStringSubmatch(q); m != nil && len(args) > 0 {
		// SELECT :1 AS "TYPE", ... FROM DUAL echoes binds with declared types.
		parts := strings.Split(m[1], ",")
		if len(parts) != len(args) {
			return nil, &oraErr{1008, "not all variables bound"}
		}
		cols := make([]tcol, len(parts))
		row := make([]driver.Value, len(parts))
		for i, p := range parts {
			typ := "VARCHAR2"
			if j := strings.Index(strings.ToUpper(p), " AS "); j >= 0 {
				typ = strings.Trim(strings.TrimSpace(p[j+4:]), `"`)
			}
			cols[i] = tcol{name: fmt.Sprintf("C%d", i+1), typ: typ, length: 4000}
			row[i] = args[i].Value
		}
		return &memRows{cols: cols, data: [][]driver.Value{row}}, nil
	}
	return nil, &oraErr{900, "invalid SQL statement"}
}

type memRows struct {
	cols []tcol
	data [][]driver.Value
}

func (r *memRows) Columns() []string {
	n := make([]string, len(r.cols))
	for i, c := range r.cols {
		n[i] = c.name
	}
	return n
}
func (r *memRows) Close() error                            { return nil }
func (r *memRows) ColumnTypeDatabaseTypeName(i int) string { return r.cols[i].typ }
func (r *memRows) ColumnTypeLength(i int) (int64, bool) {
	return r.cols[i].length, r.cols[i].length > 0
}
func (r *memRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.cols[i].prec, r.cols[i].scal, r.cols[i].prec > 0
}
func (r *memRows) Next(dest []driver.Value) error {
	if len(r.data) == 0 {
		return io.EOF
	}
	copy(dest, r.data[0])
	r.data = r.data[1:]
	return nil
}

type genRows struct {
	t   genTable
	n   int
	i   int
	ctx context.Context
}

func (r *genRows) Columns() []string {
	n := make([]string, len(r.t.cols))
	for i, c := range r.t.cols {
		n[i] = c.name
	}
	return n
}
func (r *genRows) Close() error                            { return nil }
func (r *genRows) ColumnTypeDatabaseTypeName(i int) string { return r.t.cols[i].typ }
func (r *genRows) ColumnTypeLength(i int) (int64, bool) {
	return r.t.cols[i].length, r.t.cols[i].length > 0
}
func (r *genRows) Next(dest []driver.Value) error {
	if r.i >= r.n {
		return io.EOF
	}
	if r.i%1024 == 0 && r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	r.t.row(r.i, dest)
	r.i++
	return nil
}

// Generated tables.

func bigTable(n int) genTable {
	return genTable{
		cols: []tcol{{name: "ID", typ: "NUMBER"}, {name: "NAME", typ: "VARCHAR2", length: 64}},
		n:    n,
		row: func(i int, dest []driver.Value) {
			dest[0] = strconv.Itoa(i)
			dest[1] = "row-" + strconv.Itoa(i)
		},
	}
}

var lmBase = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// logminerTable returns rows shaped like V$LOGMNR_CONTENTS: 15 columns with
// a SQL_REDO of about 300 bytes.
func logminerTable() genTable {
	cols := []tcol{
		{name: "SCN", typ: "NUMBER"}, {name: "COMMIT_SCN", typ: "NUMBER"},
		{name: "TIMESTAMP", typ: "DATE"}, {name: "OPERATION_CODE", typ: "NUMBER"},
		{name: "OPERATION", typ: "VARCHAR2", length: 32}, {name: "SEG_OWNER", typ: "VARCHAR2", length: 128},
		{name: "TABLE_NAME", typ: "VARCHAR2", length: 128}, {name: "ROW_ID", typ: "VARCHAR2", length: 18},
		{name: "XID", typ: "RAW", length: 8}, {name: "CSF", typ: "NUMBER"},
		{name: "RS_ID", typ: "VARCHAR2", length: 32}, {name: "SSN", typ: "NUMBER"},
		{name: "THREAD#", typ: "NUMBER"}, {name: "ROLLBACK", typ: "NUMBER"},
		{name: "SQL_REDO", typ: "VARCHAR2", length: 4000},
	}
	return genTable{cols: cols, row: logminerRow}
}

func logminerRow(i int, dest []driver.Value) {
	scn := 1000000 + i
	dest[0] = strconv.Itoa(scn)
	dest[1] = strconv.Itoa(scn + 3)
	dest[2] = lmBase.Add(time.Duration(i) * time.Second)
	dest[3] = "1"
	dest[4] = "INSERT"
	dest[5] = "FINANCE_USER"
	dest[6] = "TRANS_INFO"
	dest[7] = "AAAR3sAAEAAAACXAAA"
	dest[8] = []byte{0, 5, 0, 12, byte(i), byte(i >> 8), 0, 1}
	dest[9] = "0"
	dest[10] = " 0x00000a.00012345.0010 "
	dest[11] = "0"
	dest[12] = "1"
	dest[13] = "0"
	dest[14] = `insert into "FINANCE_USER"."TRANS_INFO"("ID","ACCOUNT_NO","AMOUNT","CURRENCY","TRANS_TIME","STATUS","REMARK") values ('` +
		strconv.Itoa(i) + `','6222020200112233445','1234.56','CNY',TO_TIMESTAMP('2024-03-01 10:00:00.123456','YYYY-MM-DD HH24:MI:SS.FF'),'SUCCESS','transfer, with "quotes" and more text to reach three hundred bytes');`
}
