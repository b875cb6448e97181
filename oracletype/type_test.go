package oracletype_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/redoflow/redoflow/oracletype"
)

// typeNames is every name the tests resolve, with the kind it resolves to
// (Invalid: rejected). The names ALL_TAB_COLUMNS reports come first, then
// the ANSI names Oracle converts, DDL spellings, and names rejected.
var typeNames = []struct {
	Name string
	Kind oracletype.Kind
}{
	{"NUMBER", oracletype.Number},
	{"FLOAT", oracletype.Number},
	{"BINARY_FLOAT", oracletype.Float32},
	{"BINARY_DOUBLE", oracletype.Float64},
	{"DATE", oracletype.Date},
	{"TIMESTAMP(0)", oracletype.Timestamp},
	{"TIMESTAMP(6)", oracletype.Timestamp},
	{"TIMESTAMP(9)", oracletype.Timestamp},
	{"TIMESTAMP(6) WITH TIME ZONE", oracletype.TimestampTZ},
	{"TIMESTAMP(3) WITH LOCAL TIME ZONE", oracletype.TimestampLTZ},
	{"VARCHAR2", oracletype.Text},
	{"NVARCHAR2", oracletype.Text},
	{"CHAR", oracletype.Text},
	{"NCHAR", oracletype.Text},
	{"CLOB", oracletype.Text},
	{"NCLOB", oracletype.Text},
	{"LONG", oracletype.Text},
	{"RAW", oracletype.Binary},
	{"BLOB", oracletype.Binary},
	{"LONG RAW", oracletype.Binary},
	{"INTERVAL YEAR(2) TO MONTH", oracletype.Interval},
	{"INTERVAL DAY(2) TO SECOND(6)", oracletype.Interval},
	{"INTERVAL DAY(9) TO SECOND(0)", oracletype.Interval},

	// ANSI names, as Oracle converts them.
	{"INTEGER", oracletype.Number},
	{"INT", oracletype.Number},
	{"SMALLINT", oracletype.Number},
	{"NUMERIC(10,2)", oracletype.Number},
	{"DECIMAL", oracletype.Number},
	{"DEC(5)", oracletype.Number},
	{"DOUBLE PRECISION", oracletype.Number},
	{"REAL", oracletype.Number},
	{"CHARACTER(3)", oracletype.Text},
	{"CHARACTER VARYING(10)", oracletype.Text},
	{"CHAR VARYING(10)", oracletype.Text},
	{"VARCHAR(10)", oracletype.Text},
	{"NATIONAL CHARACTER(2)", oracletype.Text},
	{"NATIONAL CHAR VARYING(2)", oracletype.Text},
	{"NCHAR VARYING(2)", oracletype.Text},

	// DDL spellings.
	{"NUMBER(18,2)", oracletype.Number},
	{"NUMBER(*,0)", oracletype.Number},
	{"number", oracletype.Number},
	{"VARCHAR2(40 CHAR)", oracletype.Text},
	{"  timestamp (6)\twith  time zone ", oracletype.TimestampTZ},
	{"TIMESTAMP", oracletype.Timestamp},
	{"INTERVAL DAY TO SECOND", oracletype.Interval},
	{"long  raw", oracletype.Binary},

	// Rejected: types redoflow does not capture, and names that are no type.
	{"ROWID", oracletype.Invalid},
	{"UROWID", oracletype.Invalid},
	{"BFILE", oracletype.Invalid},
	{"XMLTYPE", oracletype.Invalid},
	{"JSON", oracletype.Invalid},
	{"BOOLEAN", oracletype.Invalid},
	{"SDO_GEOMETRY", oracletype.Invalid},
	{"INTERVAL", oracletype.Invalid},
	{"DOUBLE", oracletype.Invalid},
	{"LONG VARCHAR2", oracletype.Invalid},
	{"TIMESTAMP(6) WITH ZONE", oracletype.Invalid},
	{"NUMBER(18", oracletype.Invalid},
	{"NUMBER)", oracletype.Invalid},
	{"", oracletype.Invalid},
}

func TestParse(t *testing.T) {
	for _, tt := range typeNames {
		got, err := oracletype.Parse(tt.Name)
		if got.Name != tt.Name {
			t.Errorf("Parse(%q).Name = %q", tt.Name, got.Name)
		}
		if tt.Kind == oracletype.Invalid {
			var ue *oracletype.UnsupportedError
			if !errors.Is(err, oracletype.ErrUnsupported) || !errors.As(err, &ue) || ue.DataType != tt.Name {
				t.Errorf("Parse(%q) = %v, %v; want an *UnsupportedError naming it", tt.Name, got.Kind, err)
			}
			continue
		}
		if err != nil || got.Kind != tt.Kind {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.Name, got.Kind, err, tt.Kind)
		}
	}
}

func TestParseColumnError(t *testing.T) {
	_, err := oracletype.ParseColumn("S.T", "C", "XMLTYPE")
	want := "S.T column C has data type XMLTYPE, which redoflow does not capture"
	if err == nil || err.Error() != want || !errors.Is(err, oracletype.ErrUnsupported) {
		t.Fatalf("ParseColumn error %v, want %q matching ErrUnsupported", err, want)
	}
	if typ, err := oracletype.ParseColumn("S.T", "C", "LONG RAW"); err != nil || typ.Kind != oracletype.Binary {
		t.Fatalf("ParseColumn(LONG RAW) = %v, %v", typ, err)
	}
}

// TestParseAllocs: resolving the common spellings, and the others, does
// not allocate.
func TestParseAllocs(t *testing.T) {
	for _, name := range []string{"NUMBER", "VARCHAR2", "TIMESTAMP(6) WITH TIME ZONE", "TIMESTAMP(3)", "INTERVAL DAY(2) TO SECOND(6)", "LONG RAW", "integer"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = oracletype.Parse(name) }); n != 0 {
			t.Errorf("Parse(%q): %v allocations", name, n)
		}
	}
}

func TestValueText(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	tm := time.Date(2020, 1, 15, 10, 30, 0, 123000000, est)
	tests := []struct {
		typ  string
		v    any
		want string
	}{
		{"NUMBER", "12.50", "12.5"},
		{"NUMBER", int64(-7), "-7"},
		{"FLOAT", "1E+3", "1000"},
		{"BINARY_FLOAT", float32(3.14), "3.14"},
		{"BINARY_DOUBLE", math.Inf(-1), "-Inf"},
		{"DATE", tm, "2020-01-15T10:30:00"},
		{"TIMESTAMP(6)", tm, "2020-01-15T10:30:00.123"},
		{"TIMESTAMP(6) WITH TIME ZONE", tm, "2020-01-15T10:30:00.123-05:00"},
		{"TIMESTAMP(6) WITH LOCAL TIME ZONE", tm, "2020-01-15T10:30:00.123"},
		{"VARCHAR2", "a,b", "a,b"},
		{"LONG", "long text", "long text"},
		{"CLOB", []byte("clob"), "clob"},
		{"RAW", []byte{0xC3, 0x02}, "c302"},
		{"LONG RAW", []byte{0xFF, 0x00}, "ff00"},
		{"INTERVAL DAY(2) TO SECOND(6)", "+01 02:03:04.500000", "+01 02:03:04.500000"},
	}
	for _, tt := range tests {
		typ, err := oracletype.Parse(tt.typ)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := typ.ValueText(tt.v); err != nil || got != tt.want {
			t.Errorf("%s ValueText(%#v) = %q, %v; want %q", tt.typ, tt.v, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		typ string
		v   any
	}{{"NUMBER", "x"}, {"RAW", "ff"}, {"DATE", "2020-01-15"}, {"BINARY_FLOAT", "1"}} {
		typ, _ := oracletype.Parse(bad.typ)
		if got, err := typ.ValueText(bad.v); err == nil {
			t.Errorf("%s ValueText(%#v) = %q, want an error", bad.typ, bad.v, got)
		}
	}
}
