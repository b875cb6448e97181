package redo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/logminer/redo"
)

type valueCase struct {
	Line       int
	OracleType string `json:"oracle_type"`
	Text       string `json:"sql_redo_text"`
	Expect     string `json:"expect"`
}

// rawOf returns the raw literal Parse produces for a value as it stands
// in SQL_REDO, so that these tests feed DecodeLiteral what the reader does.
func rawOf(t *testing.T, text string) string {
	t.Helper()
	r, err := redo.Parse(`insert into "S"."T"("C") values (` + text + `)`)
	if err != nil {
		t.Fatalf("Parse of value %q: %v", text, err)
	}
	if r.New[0].Value == nil {
		t.Fatalf("value %q parsed as NULL", text)
	}
	return *r.New[0].Value
}

type want struct {
	typ, out string
	err      bool
}

// The samples' "expect" fields describe other tools' conventions (UTC with
// Z, Oracle's float text); redoflow's canonical forms, fixed by the package
// documentation, are stated here for each line.
var valueWants = map[int][]want{
	1:  {{typ: "NUMBER", out: "0"}},
	2:  {{typ: "NUMBER", out: "-1"}},
	3:  {{typ: "NUMBER(20,10)", out: "9999999999.9999999999"}},
	4:  {{typ: "NUMBER(20,10)", out: "0.0000000001"}},
	5:  {{typ: "NUMBER", out: "0.000000000000000000000000000000000001"}},
	6:  {{typ: "NUMBER(5,2)", out: "-1"}},
	7:  {{typ: "BINARY_FLOAT", out: "1"}},
	8:  {{typ: "BINARY_FLOAT", out: "0.5"}},
	9:  {{typ: "BINARY_FLOAT", out: "3.14"}},
	10: {{typ: "BINARY_FLOAT", out: "3.1415927"}},
	11: {{typ: "BINARY_FLOAT", out: "9.99"}},
	12: {{typ: "BINARY_DOUBLE", out: "65536.125"}},
	13: {{typ: "BINARY_DOUBLE", out: "0.0625"}},
	14: {{typ: "BINARY_DOUBLE", out: "1e+100"}},
	15: {{typ: "BINARY_FLOAT", out: "+Inf"}, {typ: "BINARY_DOUBLE", out: "+Inf"}},
	16: {{typ: "BINARY_FLOAT", out: "-Inf"}, {typ: "BINARY_DOUBLE", out: "-Inf"}},
	17: {{typ: "DATE", out: "2025-06-15T00:00:00"}},
	18: {{typ: "TIMESTAMP(9)", out: "2000-01-01T00:00:00"}},
	19: {{typ: "VARCHAR2", out: `path\to\file`}},
	20: {{typ: "VARCHAR2", out: `she said "hello"`}},
	21: nil, // "EMPTY_CLOB() / EMPTY_BLOB()" is prose, covered in TestDecodeLiteralRules
	22: {{typ: "DATE", out: "2020-01-15T00:00:00"}},
	23: {{typ: "DATE", out: "2020-01-15T10:30:00"}},
	24: {{typ: "TIMESTAMP(6) WITH TIME ZONE", out: "2020-01-15T10:30:00+00:00"}},
	25: {{typ: "TIMESTAMP(6) WITH TIME ZONE", out: "2020-01-15T10:30:00-05:00"}},
	26: {{typ: "TIMESTAMP(6) WITH TIME ZONE", out: "2020-01-15T10:30:00.123456+00:00"}},
	27: {{typ: "RAW", out: "48656c6c6f"}, {typ: "VARCHAR2", out: "Hello"}, {typ: "BLOB", out: "48656c6c6f"}},
	28: {{typ: "NVARCHAR2", out: "café"}},
	29: {{typ: "BINARY_FLOAT", out: "3.4e+37"}}, // the shortest text that reads back as the same float32
	30: {{typ: "TIMESTAMP(9)", out: "2025-01-02T01:02:03.123456789"}},
	// WE8ISO8859P1 bytes are not AL32UTF8: an error (dead letter), never mojibake.
	31: {{typ: "VARCHAR2", err: true}},
	32: {{typ: "VARCHAR2", out: "ÅÄÖ"}},
	33: {{typ: "NVARCHAR2", out: "Выбу"}},
	34: {{typ: "NVARCHAR2", out: "❤️"}},
	35: {{typ: "NVARCHAR2", out: `\ \ ❤️ \`}},
	36: {{typ: "TIMESTAMP", out: "2020-09-22T00:09:37"}},
	37: {{typ: "INTERVAL DAY(2) TO SECOND(6)", out: "-001 02:03:04.56"}},
}

func TestDecodeLiteralSamples(t *testing.T) {
	cases := loadJSONL(t, "testdata/value_literal_cases.jsonl", func(c *valueCase, n int) { c.Line = n })
	for _, c := range cases {
		wants, ok := valueWants[c.Line]
		if !ok {
			t.Errorf("line %d (%s %s) has no expectation", c.Line, c.OracleType, c.Text)
			continue
		}
		if wants == nil {
			continue
		}
		raw := rawOf(t, c.Text)
		for _, w := range wants {
			got, err := redo.DecodeLiteral(raw, w.typ)
			switch {
			case w.err && err == nil:
				t.Errorf("line %d: DecodeLiteral(%q, %q) = %q, want an error", c.Line, raw, w.typ, got)
			case w.err && !errors.Is(err, redo.ErrDecode):
				t.Errorf("line %d: error %v does not match ErrDecode", c.Line, err)
			case !w.err && err != nil:
				t.Errorf("line %d: DecodeLiteral(%q, %q): %v", c.Line, raw, w.typ, err)
			case !w.err && got != w.out:
				t.Errorf("line %d: DecodeLiteral(%q, %q) = %q, want %q", c.Line, raw, w.typ, got, w.out)
			}
		}
	}
}

// TestParseAndDecodeSamples chains Parse and DecodeLiteral on the
// statements whose samples give a decoded value.
func TestParseAndDecodeSamples(t *testing.T) {
	tests := []struct {
		line      int
		column    string
		before    bool
		typ, want string
	}{
		{7, "TM_UPDATE", false, "DATE", "2021-03-17T10:18:55"},
		{9, "COL2", false, "NVARCHAR2", "Выпо"},
		{22, "COL2", false, "DATE", "2003-05-03T21:02:44"},
		{40, "TIME_A", true, "TIMESTAMP(6) WITH TIME ZONE", "2024-02-14T10:58:02.20259+01:00"},
		{40, "TIME_B", true, "TIMESTAMP(6) WITH TIME ZONE", "3000-01-01T00:00:00+00:00"},
		{31, "F3", false, "CLOB", ""}, // XMLType(...) is not character data: must fail
	}
	cases := loadJSONL(t, "testdata/sql_redo_cases.jsonl", func(c *redoCase, n int) { c.Line = n })
	for _, tt := range tests {
		sql := cases[tt.line-1].SQLRedo
		if tt.line == 40 {
			// An XML DOC BEGIN row: its WHERE list is an ordinary predicate list.
			sql = "delete from" + strings.SplitN(sql, " from", 2)[1]
		}
		r, err := redo.Parse(sql)
		if err != nil {
			t.Fatalf("line %d: %v", tt.line, err)
		}
		cols := r.New
		if tt.before {
			cols = r.Old
		}
		var raw *string
		for _, c := range cols {
			if c.Name == tt.column {
				raw = c.Value
			}
		}
		if raw == nil {
			t.Fatalf("line %d: no value for %s in %s", tt.line, tt.column, fmtCols(cols))
		}
		got, err := redo.DecodeLiteral(*raw, tt.typ)
		if tt.want == "" {
			if err == nil {
				t.Errorf("line %d: DecodeLiteral(%q, %s) = %q, want an error", tt.line, *raw, tt.typ, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("line %d: DecodeLiteral(%q, %s) = %q, %v; want %q", tt.line, *raw, tt.typ, got, err, tt.want)
		}
	}
}
