package oraclesim

import (
	"errors"
	"testing"
)

// TestParseTypeANSIAndLong: DDL with ANSI types is stored as the Oracle
// type of Oracle's conversion table and reported so in ALL_TAB_COLUMNS;
// LONG and LONG RAW are their own types.
func TestParseTypeANSIAndLong(t *testing.T) {
	for _, tt := range []struct{ ddl, dataType, str string }{
		{"INTEGER", "NUMBER", "NUMBER(38,0)"},
		{"INT", "NUMBER", "NUMBER(38,0)"},
		{"smallint", "NUMBER", "NUMBER(38,0)"},
		{"NUMERIC", "NUMBER", "NUMBER(38,0)"},
		{"DECIMAL(9,2)", "NUMBER", "NUMBER(9,2)"},
		{"DEC(5)", "NUMBER", "NUMBER(5,0)"},
		{"DOUBLE PRECISION", "FLOAT", "FLOAT(126)"},
		{"REAL", "FLOAT", "FLOAT(63)"},
		{"CHARACTER(3)", "CHAR", "CHAR(3)"},
		{"CHARACTER VARYING(20)", "VARCHAR2", "VARCHAR2(20)"},
		{"CHAR VARYING(20)", "VARCHAR2", "VARCHAR2(20)"},
		{"VARCHAR(20)", "VARCHAR2", "VARCHAR2(20)"},
		{"NATIONAL CHARACTER(2)", "NCHAR", "NCHAR(2)"},
		{"NATIONAL CHAR VARYING(4)", "NVARCHAR2", "NVARCHAR2(4)"},
		{"NCHAR VARYING(4)", "NVARCHAR2", "NVARCHAR2(4)"},
		{"LONG", "LONG", "LONG"},
		{"long  raw", "LONG RAW", "LONG RAW"},
		{"INTERVAL DAY(3) TO SECOND(2)", "INTERVAL DAY(3) TO SECOND(2)", "INTERVAL DAY(3) TO SECOND(2)"},
	} {
		ty, err := ParseType(tt.ddl)
		if err != nil || ty.DataType() != tt.dataType || ty.String() != tt.str {
			t.Errorf("ParseType(%q) = %s (DATA_TYPE %s), %v; want %s (%s)", tt.ddl, ty, ty.DataType(), err, tt.str, tt.dataType)
		}
	}
	for _, bad := range []string{"DOUBLE", "DOUBLE PRECISION(5)", "LONG VARCHAR2", "INTEGRAL"} {
		if ty, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) = %s, want an error", bad, ty)
		}
	}
}

// TestLongRestrictions: a table holds at most one LONG or LONG RAW column,
// which cannot be a key; supplemental logging leaves it out, like LOBs.
func TestLongRestrictions(t *testing.T) {
	db, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	code := func(err error) int {
		var oe *OraError
		if errors.As(err, &oe) {
			return oe.Code
		}
		return 0
	}
	_, err = db.CreateTable(TableSpec{Schema: "S", Name: "T1", Columns: []ColumnSpec{{Name: "A", Type: "LONG"}, {Name: "B", Type: "LONG RAW"}}})
	if code(err) != 1754 {
		t.Errorf("two LONG columns: %v, want ORA-01754", err)
	}
	_, err = db.CreateTable(TableSpec{Schema: "S", Name: "T2", PrimaryKey: []string{"A"}, Columns: []ColumnSpec{{Name: "A", Type: "LONG"}}})
	if code(err) != 2269 {
		t.Errorf("LONG key: %v, want ORA-02269", err)
	}
	tbl, err := db.CreateTable(TableSpec{Schema: "S", Name: "T3", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "L", Type: "LONG RAW"}, {Name: "C", Type: "CLOB"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.logged) != 1 || tbl.logged[0] != 0 {
		t.Errorf("logged columns %v, want [0]: LONG RAW and CLOB are not supplementally logged", tbl.logged)
	}
}
