package oraclesim

import (
	"bufio"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleTexts returns every line of a copied sample file, for checking that
// a pinned expectation is verbatim real LogMiner output.
func sampleTexts(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	// the files are JSON: undo the escaping of quotes and backslashes
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(string(b))
}

// renderOne runs one change through the engine and returns the SQL_REDO of
// its DML rows under the given session settings.
func renderOne(t *testing.T, level string, spec TableSpec, nlsStmts []string, opts string, do func(tx *Tx, tbl *Table)) []string {
	t.Helper()
	db, _ := newTestDB(t, func(c *Config) { c.SupplementalLogging = level })
	tbl := mustTable(t, db, spec)
	start := db.CurrentSCN()
	tx := db.Begin(spec.Schema)
	do(tx, tbl)
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c := conn(t, openSQL(t, db, "SYSTEM"))
	for _, s := range nlsStmts {
		execT(t, c, s)
	}
	var out []string
	for _, r := range dmlRows(mine(t, c, start, opts)) {
		out = append(out, r.redo)
	}
	return out
}

func cols2(a, ta, b, tb string) []ColumnSpec {
	return []ColumnSpec{{Name: a, Type: ta}, {Name: b, Type: tb}}
}

// TestRenderMatchesRealSamples pins SQL_REDO for each type and NLS setting
// to statements copied verbatim from real LogMiner output
// (testdata/sql_redo_cases.jsonl). The ROWID of samples that carry one is
// replaced by the simulator's.
func TestRenderMatchesRealSamples(t *testing.T) {
	samples := sampleTexts(t, "sql_redo_cases.jsonl")
	noRowid := "DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG + DBMS_LOGMNR.NO_ROWID_IN_STMT"
	noRowidNoDelim := noRowid + " + DBMS_LOGMNR.NO_SQL_DELIMITER"
	tests := []struct {
		name  string
		level string
		spec  TableSpec
		nls   []string
		opts  string
		do    func(tx *Tx, tbl *Table) error
		want  string // verbatim from the samples
		rowid string // the sample's ROWID, replaced by ours
	}{
		{
			name: "insert NUMBER and VARCHAR2 (real Oracle, DBZ-6960)", level: LoggingAll,
			spec: TableSpec{Schema: "DEBEZIUM", Name: "DBZ6960", Columns: cols2("ID", "NUMBER(9)", "DATA", "VARCHAR2(50)"), PrimaryKey: []string{"ID"}},
			opts: noRowid,
			do:   func(tx *Tx, tbl *Table) error { _, err := tx.Insert(tbl, 1, "test"); return err },
			want: `insert into "DEBEZIUM"."DBZ6960"("ID","DATA") values ('1','test');`,
		},
		{
			name: "insert with C## schema", level: LoggingAll,
			spec: TableSpec{Schema: "C##MYADMIN", Name: "EMPLOYEE", Columns: []ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "NAME_TARGET", Type: "VARCHAR2(100)"}, {Name: "SALARY", Type: "NUMBER"}}},
			opts: noRowid,
			do:   func(tx *Tx, tbl *Table) error { _, err := tx.Insert(tbl, 900000, "Alice Johnson", "70000"); return err },
			want: `insert into "C##MYADMIN"."EMPLOYEE"("ID","NAME_TARGET","SALARY") values ('900000','Alice Johnson','70000');`,
		},
		{
			name: "delete with every column and ROWID (Oracle docs)", level: LoggingAll,
			spec: TableSpec{Schema: "OE", Name: "ORDERS", Columns: []ColumnSpec{{Name: "ORDER_ID", Type: "NUMBER(12)"}, {Name: "ORDER_MODE", Type: "VARCHAR2(8)"},
				{Name: "CUSTOMER_ID", Type: "NUMBER(6)"}, {Name: "ORDER_STATUS", Type: "NUMBER(2)"}, {Name: "ORDER_TOTAL", Type: "NUMBER(8,2)"},
				{Name: "SALES_REP_ID", Type: "NUMBER(6)"}, {Name: "PROMOTION_ID", Type: "NUMBER(6)"}}, PrimaryKey: []string{"ORDER_ID"}},
			do: func(tx *Tx, tbl *Table) error {
				if _, err := tx.Insert(tbl, 2413, "direct", 101, 5, 48552, 161, nil); err != nil {
					return err
				}
				return tx.DeleteByKey(tbl, 2413)
			},
			want:  `delete from "OE"."ORDERS" where "ORDER_ID" = '2413' and "ORDER_MODE" = 'direct' and "CUSTOMER_ID" = '101' and "ORDER_STATUS" = '5' and "ORDER_TOTAL" = '48552' and "SALES_REP_ID" = '161' and "PROMOTION_ID" IS NULL and ROWID = 'AAAHTCAABAAAZAPAAN';`,
			rowid: "AAAHTCAABAAAZAPAAN",
		},
		{
			name: "DATE under a lower-case NLS_DATE_FORMAT and NUMBER below one (Oracle docs)", level: LoggingAll,
			spec: TableSpec{Schema: "HR", Name: "EMPLOYEES", Columns: []ColumnSpec{{Name: "EMPLOYEE_ID", Type: "NUMBER(6)"}, {Name: "FIRST_NAME", Type: "VARCHAR2(20)"},
				{Name: "LAST_NAME", Type: "VARCHAR2(25)"}, {Name: "EMAIL", Type: "VARCHAR2(25)"}, {Name: "PHONE_NUMBER", Type: "VARCHAR2(20)"}, {Name: "HIRE_DATE", Type: "DATE"},
				{Name: "JOB_ID", Type: "VARCHAR2(10)"}, {Name: "SALARY", Type: "NUMBER(8,2)"}, {Name: "COMMISSION_PCT", Type: "NUMBER(2,2)"}, {Name: "MANAGER_ID", Type: "NUMBER(6)"},
				{Name: "DEPARTMENT_ID", Type: "NUMBER(4)"}}, PrimaryKey: []string{"EMPLOYEE_ID"}},
			nls: []string{"ALTER SESSION SET NLS_DATE_FORMAT = 'dd-mon-yyyy hh24:mi:ss'"},
			do: func(tx *Tx, tbl *Table) error {
				_, err := tx.Insert(tbl, 306, "Nandini", "Shastry", "NSHASTRY", "1234567890", time.Date(2012, 1, 10, 13, 34, 43, 0, time.UTC), "HR_REP", 120000, "0.05", 105, 10)
				return err
			},
			want: `insert into "HR"."EMPLOYEES"("EMPLOYEE_ID","FIRST_NAME","LAST_NAME","EMAIL","PHONE_NUMBER","HIRE_DATE","JOB_ID","SALARY","COMMISSION_PCT","MANAGER_ID","DEPARTMENT_ID") values ('306','Nandini','Shastry','NSHASTRY','1234567890',TO_DATE('10-jan-2012 13:34:43', 'dd-mon-yyyy hh24:mi:ss'),'HR_REP','120000','.05','105','10');`,
		},
		{
			name: "update to NULL, NO_SQL_DELIMITER and NO_ROWID_IN_STMT (dtle)", level: LoggingAll,
			spec: TableSpec{Schema: "TEST", Name: "TESTNULL", Columns: []ColumnSpec{{Name: "COL1", Type: "VARCHAR2(10)"}}},
			opts: noRowidNoDelim,
			do: func(tx *Tx, tbl *Table) error {
				rid, err := tx.Insert(tbl, "T")
				if err != nil {
					return err
				}
				return tx.UpdateRowID(tbl, rid, []string{"COL1"}, []any{nil})
			},
			want: `update "TEST"."TESTNULL" set "COL1" = NULL where "COL1" = 'T'`,
		},
		{
			name: "signed year NLS_DATE_FORMAT (dtle)", level: LoggingAll,
			spec: TableSpec{Schema: "TEST", Name: "DATE_COLUMNS", Columns: cols2("COL1", "NUMBER", "COL2", "DATE")},
			nls:  []string{"ALTER SESSION SET NLS_DATE_FORMAT = 'SYYYY-MM-DD HH24:MI:SS'"},
			opts: noRowidNoDelim,
			do: func(tx *Tx, tbl *Table) error {
				_, err := tx.Insert(tbl, 4, time.Date(2003, 5, 3, 21, 2, 44, 0, time.UTC))
				return err
			},
			want: `insert into "TEST"."DATE_COLUMNS"("COL1","COL2") values ('4',TO_DATE(' 2003-05-03 21:02:44', 'SYYYY-MM-DD HH24:MI:SS'))`,
		},
		{
			name: "NULL DATE (dtle)", level: LoggingAll,
			spec: TableSpec{Schema: "TEST", Name: "DATE_COLUMNS", Columns: cols2("COL1", "NUMBER", "COL2", "DATE")},
			opts: noRowidNoDelim,
			do:   func(tx *Tx, tbl *Table) error { _, err := tx.Insert(tbl, 1, nil); return err },
			want: `insert into "TEST"."DATE_COLUMNS"("COL1","COL2") values ('1',NULL)`,
		},
		{
			name: "NCHAR padded UNISTR with ASCII kept (dtle)", level: LoggingAll,
			spec: TableSpec{Schema: "TEST", Name: "NCHAR_255_COLUMNS", Columns: cols2("COL1", "NUMBER", "COL2", "NCHAR(255)")},
			opts: noRowidNoDelim,
			do: func(tx *Tx, tbl *Table) error {
				_, err := tx.Insert(tbl, 11, "数据库sql测试数据库sql测试")
				return err
			},
			want: `insert into "TEST"."NCHAR_255_COLUMNS"("COL1","COL2") values ('11',UNISTR('\6570\636E\5E93sql\6D4B\8BD5\6570\636E\5E93sql\6D4B\8BD5` + strings.Repeat(" ", 239) + `'))`,
		},
		{
			name: "quotes doubled in SET and WHERE (DBZ-3413)", level: LoggingAll,
			spec: TableSpec{Schema: "DEBEZIUM", Name: "TEST", Columns: cols2("COL1", "VARCHAR2(20)", "COL2", "NUMBER")},
			opts: noRowid,
			do: func(tx *Tx, tbl *Table) error {
				rid, err := tx.Insert(tbl, "Bob's dog", 0)
				if err != nil {
					return err
				}
				return tx.UpdateRowID(tbl, rid, []string{"COL2"}, []any{1})
			},
			want: `update "DEBEZIUM"."TEST" set "COL2" = '1' where "COL1" = 'Bob''s dog' and "COL2" = '0';`,
		},
		{
			name: "HEXTORAW for RAW (Oracle docs)", level: LoggingAll,
			spec: TableSpec{Schema: "UNKNOWN", Name: "OBJ# 45522", Columns: []ColumnSpec{{Name: "COL 1", Type: "RAW(10)"}, {Name: "COL 2", Type: "RAW(40)"}, {Name: "COL 3", Type: "RAW(4)"}, {Name: "COL 4", Type: "RAW(4)"}}},
			opts: noRowid,
			do: func(tx *Tx, tbl *Table) error {
				_, err := tx.Insert(tbl, []byte("EF_GH"), []byte("Technical Writer"), []byte{0xc2, 0x29}, []byte{0xc3, 0x02, 0x0b})
				return err
			},
			want: `insert into "UNKNOWN"."OBJ# 45522"("COL 1","COL 2","COL 3","COL 4") values (HEXTORAW('45465f4748'),HEXTORAW('546563686e6963616c20577269746572'),HEXTORAW('c229'),HEXTORAW('c3020b'));`,
		},
		{
			name: "'||' inside literals (DBZ-5521)", level: LoggingAll,
			spec: TableSpec{Schema: "UNKNOWN", Name: "TABLE", Columns: cols2("COL1", "VARCHAR2(20)", "COL2", "VARCHAR2(20)")},
			opts: noRowid,
			do: func(tx *Tx, tbl *Table) error {
				rid, err := tx.Insert(tbl, "I||am", "test||case")
				if err != nil {
					return err
				}
				return tx.UpdateRowID(tbl, rid, []string{"COL1"}, []any{"I||am||updated"})
			},
			want: `update "UNKNOWN"."TABLE" set "COL1" = 'I||am||updated' where "COL1" = 'I||am' and "COL2" = 'test||case';`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(samples, tc.want) {
				t.Fatalf("expectation is not verbatim in the real samples: %s", tc.want)
			}
			var doErr error
			got := renderOne(t, tc.level, tc.spec, tc.nls, tc.opts, func(tx *Tx, tbl *Table) { doErr = tc.do(tx, tbl) })
			if doErr != nil {
				t.Fatal(doErr)
			}
			last := got[len(got)-1]
			want := tc.want
			if tc.rowid != "" {
				i := strings.LastIndex(last, "ROWID = '")
				if i < 0 {
					t.Fatalf("no ROWID in %s", last)
				}
				want = strings.Replace(want, tc.rowid, last[i+9:i+27], 1)
			}
			if last != want {
				t.Errorf("SQL_REDO\n got: %s\nwant: %s", last, want)
			}
		})
	}
}

// TestRenderLiteralsMatchRealSamples pins single value literals for every
// type and NLS setting to real LogMiner output
// (testdata/value_literal_cases.jsonl and sql_redo_cases.jsonl).
func TestRenderLiteralsMatchRealSamples(t *testing.T) {
	samples := sampleTexts(t, "value_literal_cases.jsonl") + sampleTexts(t, "sql_redo_cases.jsonl")
	def := defaultNLS()
	reader := defaultNLS()
	var err error
	reader.dateFmt, _ = compileDateFormat("YYYY-MM-DD HH24:MI:SS")
	reader.tsFmt, _ = compileDateFormat("YYYY-MM-DD HH24:MI:SS.FF")
	reader.tsTZFmt, err = compileDateFormat("YYYY-MM-DD HH24:MI:SS.FF6 TZH:TZM")
	if err != nil {
		t.Fatal(err)
	}
	tz1 := time.FixedZone("", 3600)
	tests := []struct {
		typ  string
		nls  *nls
		in   any
		want string
	}{
		{"NUMBER", &def, 0, `'0'`},
		{"NUMBER", &def, -1, `'-1'`},
		{"NUMBER(20,10)", &def, "9999999999.9999999999", `'9999999999.9999999999'`},
		{"NUMBER(20,10)", &def, "1e-10", `'.0000000001'`},
		{"NUMBER", &def, "1e-36", `'.000000000000000000000000000000000001'`},
		{"NUMBER(5,2)", &def, "-1.00", `'-1'`},
		{"BINARY_FLOAT", &def, 1, `'1.0E+000'`},
		{"BINARY_FLOAT", &def, 0.5, `'5.0E-001'`},
		{"BINARY_FLOAT", &def, 3.14, `'3.1400001E+000'`},
		{"BINARY_FLOAT", &def, 3.14159265, `'3.14159274E+000'`},
		{"BINARY_FLOAT", &def, 9.99, `'9.98999977E+000'`},
		{"BINARY_DOUBLE", &def, 65536.125, `'6.5536125E+004'`},
		{"BINARY_DOUBLE", &def, 0.0625, `'6.25E-002'`},
		{"BINARY_DOUBLE", &def, 1e100, `'1.0E+100'`},
		{"BINARY_DOUBLE", &def, math.Inf(1), `'Inf'`},
		{"BINARY_FLOAT", &def, math.Inf(-1), `'-Inf'`},
		{"DATE", &def, time.Date(2025, 6, 15, 10, 30, 0, 0, time.UTC), `TO_DATE('15-JUN-25', 'DD-MON-RR')`},
		{"TIMESTAMP(9)", &def, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), `TO_TIMESTAMP('01-JAN-00 12.00.00 AM')`},
		{"TIMESTAMP(6)", &reader, time.Date(2020, 9, 22, 0, 9, 37, 0, time.UTC), `TO_TIMESTAMP('2020-09-22 00:09:37.')`},
		{"TIMESTAMP(6)", &reader, time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC), `TO_TIMESTAMP('2020-02-02 00:00:00.')`},
		{"TIMESTAMP(6) WITH TIME ZONE", &reader, time.Date(2024, 2, 14, 10, 58, 2, 202590000, tz1), `TO_TIMESTAMP_TZ('2024-02-14 10:58:02.202590 +01:00')`},
		{"TIMESTAMP(6) WITH TIME ZONE", &reader, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), `TO_TIMESTAMP_TZ('3000-01-01 00:00:00.000000 +00:00')`},
		{"VARCHAR2(20)", &def, `path\to\file`, `'path\to\file'`},
		{"VARCHAR2(20)", &def, `she said "hello"`, `'she said "hello"'`},
		{"NVARCHAR2(10)", &def, "❤️", `UNISTR('\2764\FE0F')`},
		{"NVARCHAR2(10)", &def, "café", `UNISTR('caf\00E9')`},
		{"CLOB", &def, "", `EMPTY_CLOB()`},
		{"BLOB", &def, []byte{}, `EMPTY_BLOB()`},
		{"INTERVAL DAY(3) TO SECOND(2)", &def, "-1 02:03:04.56", `TO_DSINTERVAL('-001 02:03:04.56')`},
	}
	for _, tc := range tests {
		ty := MustType(tc.typ)
		v, err := coerce(ty, "C", tc.in)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.typ, tc.in, err)
		}
		got := string(tc.nls.appendRedoValue(nil, ty, v))
		if got != tc.want {
			t.Errorf("%s %v: got %s want %s", tc.typ, tc.in, got, tc.want)
		}
		if !strings.Contains(samples, tc.want) && !strings.Contains(strings.ToLower(samples), strings.ToLower(tc.want)) {
			t.Errorf("expectation %s is not in the real samples", tc.want)
		}
	}
}

// TestUnistrConcatenation pins the UNISTR('..') || UNISTR('..') form of
// long national values (DBZ-3892 shows it with two-character pieces).
func TestUnistrConcatenation(t *testing.T) {
	samples := sampleTexts(t, "sql_redo_cases.jsonl")
	old := unistrChunk
	unistrChunk = 10
	got := string(appendNational(nil, "Выпо"))
	unistrChunk = old
	want := `UNISTR('\0412\044B') || UNISTR('\043F\043E')`
	if got != want || !strings.Contains(samples, want) {
		t.Fatalf("got %s want %s", got, want)
	}
	// surrogate pairs stay inside one piece and backslashes double
	if got := string(appendNational(nil, `\😀`)); got != `UNISTR('\\\D83D\DE00')` {
		t.Fatalf("got %s", got)
	}
}

// TestContentsGolden pins whole V$LOGMNR_CONTENTS rows (every column a
// reader selects) for a transaction mix: commits, a savepoint rollback, a
// full rollback, LOB columns and a CSF split, under the reader's NLS
// settings. Regenerate with -update after an intended format change.
func TestContentsGolden(t *testing.T) {
	db, _ := newTestDB(t, func(c *Config) { c.SupplementalLogging = LoggingPK })
	info := mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "TRANS_INFO", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
		{Name: "ID", Type: "NUMBER"}, {Name: "AMOUNT", Type: "NUMBER(18,2)"}, {Name: "CURRENCY", Type: "CHAR(3)"}, {Name: "TRANS_TIME", Type: "TIMESTAMP(6)"}, {Name: "REMARK", Type: "VARCHAR2(4000)"}}})
	doc := mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "DOCS", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
		{Name: "ID", Type: "NUMBER"}, {Name: "BODY", Type: "CLOB"}, {Name: "IMG", Type: "BLOB"}}})
	start := db.CurrentSCN()
	ts := time.Date(2024, 3, 1, 9, 15, 30, 250000000, time.UTC)
	t1 := db.Begin("FINANCE_USER")
	t2 := db.Begin("FINANCE_USER")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := t1.Insert(info, 1, "12.50", "USD", ts, "O'Brien")
	must(err)
	_, err = t2.Insert(doc, 7, "hello clob", []byte{0xaa, 0xbb})
	must(err)
	must(t1.Savepoint("A"))
	_, err = t1.Insert(info, 2, "-0.5", "EU", ts, strings.Repeat("x", 3990))
	must(err)
	must(t1.RollbackTo("A"))
	must(t1.UpdateByKey(info, []any{1}, []string{"AMOUNT"}, []any{"13"}))
	_, err = t1.Commit()
	must(err)
	must(t2.UpdateByKey(doc, []any{7}, []string{"BODY"}, []any{nil}))
	must(t2.Rollback())
	c := conn(t, openSQL(t, db, "SYSTEM"))
	for _, s := range readerNLS {
		execT(t, c, s)
	}
	execT(t, c, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => DBMS_LOGMNR.NEW); END;", db.Config().OnlineLogDir+"/redo01.log")
	execT(t, c, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG); END;", start, db.CurrentSCN())
	rows, err := c.QueryContext(context.Background(), `SELECT SCN, START_SCN, COMMIT_SCN, TIMESTAMP, COMMIT_TIMESTAMP, XID, XIDUSN, XIDSLT, XIDSQN,
		OPERATION, OPERATION_CODE, SEG_OWNER, TABLE_NAME, ROW_ID, CSF, RS_ID, SSN, ROLLBACK, STATUS, INFO, THREAD#, RBASQN, RBABLK, RBABYTE,
		SQL_REDO, SQL_UNDO FROM V$LOGMNR_CONTENTS WHERE SCN > :1`, start)
	must(err)
	defer rows.Close()
	names, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		must(rows.Scan(ptrs...))
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(names[i] + "=")
			switch x := v.(type) {
			case nil:
				b.WriteString("NULL")
			case []byte:
				b.WriteString(strings.ToUpper(strings.TrimSpace(strings.Map(func(r rune) rune { return r }, hexString(x)))))
			case time.Time:
				b.WriteString(x.Format(time.RFC3339Nano))
			case string:
				if len(x) > 200 {
					x = x[:60] + "...(" + itoa(len(x)) + " bytes)..." + x[len(x)-60:]
				}
				b.WriteString(x)
			default:
				b.WriteString("?")
			}
		}
		b.WriteByte('\n')
	}
	must(rows.Err())
	checkGolden(t, "contents.golden", b.String())
}

func hexString(b []byte) string {
	const h = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(string(rune('0'+0)), "0", "", 1)) + fmtInt(n)
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		sc1, sc2 := bufio.NewScanner(strings.NewReader(string(want))), bufio.NewScanner(strings.NewReader(got))
		for line := 1; ; line++ {
			a, b := sc1.Scan(), sc2.Scan()
			if !a && !b {
				break
			}
			if sc1.Text() != sc2.Text() {
				t.Fatalf("%s differs at line %d\nwant: %s\n got: %s", name, line, sc1.Text(), sc2.Text())
			}
		}
		t.Fatalf("%s differs", name)
	}
}
