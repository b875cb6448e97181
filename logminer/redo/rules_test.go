package redo_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/logminer/redo"
)

func TestParseRedoRules(t *testing.T) {
	long := strings.Repeat("x'y, z) values (w and v where ", 200) // > 4000 bytes
	tests := []struct {
		name      string
		sql       string
		want      redo.Statement
		wantErrAt int // byte offset the error must quote; -1: no error
	}{
		{"quoted identifiers with space, #, $, quotes and lower case",
			`insert into "My Schema"."tab#$""x"""("col 1","Col#2","c$3","lower") values ('1','2','3','4');`,
			redo.Statement{Op: redo.OpInsert, Schema: "My Schema", Table: `tab#$"x"`, New: cols("col 1", "1", "Col#2", "2", "c$3", "3", "lower", "4")}, -1},
		{"alias form of tables with LOB columns",
			`update "S"."T" a set a."C" = EMPTY_CLOB() where a."ID" = '7' and ROWID = 'AAAHTCAABAAAZAPAAN';`,
			redo.Statement{Op: redo.OpUpdate, Schema: "S", Table: "T", New: cols("C", "EMPTY_CLOB()"), Old: cols("ID", "7"), RowID: "AAAHTCAABAAAZAPAAN"}, -1},
		{"delete with alias",
			`delete from "S"."T" a where a."ID" = '7'`,
			redo.Statement{Op: redo.OpDelete, Schema: "S", Table: "T", Old: cols("ID", "7")}, -1},
		{"IS NULL in where, no delimiter, no rowid",
			`delete from "S"."T" where "A" IS NULL and "B" = '2'`,
			redo.Statement{Op: redo.OpDelete, Schema: "S", Table: "T", Old: []redo.Column{{Name: "A"}, {Name: "B", Value: str("2")}}}, -1},
		{"values that look like syntax",
			`update "S"."T" set "A" = 'it''s', "B" = ', "C" = ''x''', "C" = ') values (' where "D" = ' and "E" = ''1''' and "F" = ' where ' and ROWID = 'AAAB/+CAA';`,
			redo.Statement{Op: redo.OpUpdate, Schema: "S", Table: "T",
				New: cols("A", "it's", "B", `, "C" = 'x'`, "C", ") values ("),
				Old: cols("D", ` and "E" = '1'`, "F", " where "), RowID: "AAAB/+CAA"}, -1},
		{"statement longer than 4000 bytes",
			`insert into "S"."T"("A","B") values ('` + strings.ReplaceAll(long, "'", "''") + `',NULL);`,
			redo.Statement{Op: redo.OpInsert, Schema: "S", Table: "T", New: []redo.Column{{Name: "A", Value: str(long)}, {Name: "B"}}}, -1},
		{"functions, concatenation and numbers kept verbatim",
			`insert into "S"."T"("A","B","C","D") values (TO_DATE('2020-01-15 10:30:00', 'YYYY-MM-DD HH24:MI:SS'),UNISTR('\0041') || UNISTR('\0042'),3.5E+000,HEXTORAW('ab'))`,
			redo.Statement{Op: redo.OpInsert, Schema: "S", Table: "T", New: cols(
				"A", "TO_DATE('2020-01-15 10:30:00', 'YYYY-MM-DD HH24:MI:SS')",
				"B", "UNISTR('\\0041') || UNISTR('\\0042')", "C", "3.5E+000", "D", "HEXTORAW('ab')")}, -1},
		{"upper-case keywords and newlines",
			"UPDATE \"S\".\"T\"\n SET \"A\" = '1'\n WHERE \"B\" = '2'\n AND ROWID = 'R';",
			redo.Statement{Op: redo.OpUpdate, Schema: "S", Table: "T", New: cols("A", "1"), Old: cols("B", "2"), RowID: "R"}, -1},
		{"Unsupported Type is NULL",
			`update "S"."T" set "A" = Unsupported Type where "B" = Unsupported Type`,
			redo.Statement{Op: redo.OpUpdate, Schema: "S", Table: "T", New: []redo.Column{{Name: "A"}}, Old: []redo.Column{{Name: "B"}}}, -1},
		// Errors quote the position at fault.
		{"not DML", `commit;`, redo.Statement{}, 0},
		{"unterminated literal", `insert into "S"."T"("A") values ('abc`, redo.Statement{}, 33},
		{"missing value", `insert into "S"."T"("A","B") values ('1')`, redo.Statement{}, 40},
		{"trailing garbage", `delete from "S"."T" where "A" = '1' or "B" = 2`, redo.Statement{}, 36},
		{"unterminated identifier", `delete from "S"."T`, redo.Statement{}, 16},
		{"empty", ``, redo.Statement{}, 0},
		{"function without parentheses", `update "S"."T" set "A" = SYSDATE`, redo.Statement{}, 32},
		{"unbalanced parentheses", `update "S"."T" set "A" = TO_DATE('x'`, redo.Statement{}, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := redo.Parse(tt.sql)
			if tt.wantErrAt >= 0 {
				var se *redo.SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Parse = %+v, %v; want a *SyntaxError", got, err)
				}
				if se.Pos != tt.wantErrAt {
					t.Errorf("error at byte %d, want %d: %v", se.Pos, tt.wantErrAt, err)
				}
				if !strings.HasPrefix(tt.sql[se.Pos:], strings.TrimSuffix(se.Near, "...")) {
					t.Errorf("Near = %q does not quote the statement at byte %d", se.Near, se.Pos)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Op != tt.want.Op || got.Schema != tt.want.Schema || got.Table != tt.want.Table || got.RowID != tt.want.RowID {
				t.Errorf("got %s %q.%q rowid %q, want %s %q.%q rowid %q", got.Op, got.Schema, got.Table, got.RowID,
					tt.want.Op, tt.want.Schema, tt.want.Table, tt.want.RowID)
			}
			checkColumns(t, "New", got.New, tt.want.New)
			checkColumns(t, "Old", got.Old, tt.want.Old)
		})
	}
}

// cols builds columns from name, value pairs.
func cols(kv ...string) []redo.Column {
	var out []redo.Column
	for i := 0; i < len(kv); i += 2 {
		out = append(out, redo.Column{Name: kv[i], Value: str(kv[i+1])})
	}
	return out
}

func TestDecodeLiteralRules(t *testing.T) {
	tests := []struct {
		typ, raw, want string // want "!" means an error
	}{
		// NUMBER: exact, leading zero, no exponent, no float64 on the way.
		{"NUMBER", ".5", "0.5"},
		{"NUMBER", "-.5", "-0.5"},
		{"NUMBER", "12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"NUMBER", "-1234567890.1234567890123456789012345678", "-1234567890.1234567890123456789012345678"},
		{"NUMBER", "0.10", "0.1"},
		{"NUMBER", "007", "7"},
		{"NUMBER", "-0", "0"},
		{"NUMBER", "+3", "3"},
		{"NUMBER", "1.5E+10", "15000000000"},
		{"NUMBER", "1E-5", "0.00001"},
		{"NUMBER", "-2.5e-1", "-0.25"},
		{"NUMBER", "1.0E+126", "1" + strings.Repeat("0", 126)},
		{"FLOAT", "3.25", "3.25"},
		{"INTEGER", "42", "42"},
		{"NUMBER", "1,5", "!"},
		{"NUMBER", "abc", "!"},
		{"NUMBER", "", "!"},
		{"NUMBER", ".", "!"},
		{"NUMBER", "1E+9999", "!"},
		{"NUMBER", "1.2.3", "!"},
		// BINARY_FLOAT / BINARY_DOUBLE
		{"BINARY_FLOAT", "2.56E+002", "256"},
		{"BINARY_DOUBLE", "0", "0"},
		{"BINARY_DOUBLE", "Nan", "NaN"},
		{"BINARY_DOUBLE", "Inf", "+Inf"},
		{"BINARY_FLOAT", "1.0E+039", "!"}, // beyond float32
		{"BINARY_DOUBLE", "x", "!"},
		// DATE and TIMESTAMP
		{"DATE", "TO_DATE('2020-01-15 10:30:00', 'YYYY-MM-DD HH24:MI:SS')", "2020-01-15T10:30:00"},
		{"DATE", "TO_DATE('15-JAN-20', 'DD-MON-RR')", "2020-01-15T00:00:00"},
		{"DATE", "TO_DATE('15-JAN-98', 'DD-MON-RR')", "1998-01-15T00:00:00"},
		{"DATE", "TO_DATE('2020-01-15T10:30:00', 'YYYY-MM-DD\"T\"HH24:MI:SS')", "2020-01-15T10:30:00"},
		{"DATE", "TO_DATE('15 September 2021 01:02:03 P.M.', 'DD MONTH YYYY HH:MI:SS A.M.')", "2021-09-15T13:02:03"},
		{"DATE", "TO_DATE('-0044-03-15 12:00:00', 'SYYYY-MM-DD HH24:MI:SS')", "-0044-03-15T12:00:00"},
		{"DATE", "TO_DATE('2020-01-15 10:30:00')", "2020-01-15T10:30:00"},
		{"DATE", "TO_DATE('2021-02-29', 'YYYY-MM-DD')", "!"},
		{"DATE", "TO_DATE('2020-13-01', 'YYYY-MM-DD')", "!"},
		{"DATE", "TO_DATE('2020-01-15 24:00:00', 'YYYY-MM-DD HH24:MI:SS')", "!"},
		{"DATE", "TO_TIMESTAMP('2020-01-15 10:30:00.5')", "!"}, // a DATE has no fraction
		{"DATE", "SYSDATE()", "!"},
		{"TIMESTAMP(6)", "TO_TIMESTAMP('2020-01-15 10:30:00.123000')", "2020-01-15T10:30:00.123"},
		{"TIMESTAMP(6)", "TO_TIMESTAMP('15-JAN-20 10.30.00.123000 PM')", "2020-01-15T22:30:00.123"},
		{"TIMESTAMP(6)", "TO_TIMESTAMP('15-JAN-20 12.30.00.000001 AM')", "2020-01-15T00:30:00.000001"},
		{"TIMESTAMP(3)", "TO_TIMESTAMP('2020-01-15 10:30:00.123', 'YYYY-MM-DD HH24:MI:SS.FF3')", "2020-01-15T10:30:00.123"},
		{"TIMESTAMP(6)", "TO_TIMESTAMP('2020-01-15 10:30:00 +01:00')", "!"},
		{"TIMESTAMP(6)", "TO_TIMESTAMP('yesterday')", "!"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP_TZ('15-JAN-20 10.30.00.000000 AM -05:00')", "2020-01-15T10:30:00-05:00"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP_TZ('15-JAN-20 10.30.00.000000 AM UTC')", "2020-01-15T10:30:00+00:00"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP_TZ('2020-07-01 10:30:00.25 America/New_York')", "2020-07-01T10:30:00.25-04:00"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP_TZ('2020-01-15 10:30:00 -00:30')", "2020-01-15T10:30:00-00:30"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP_TZ('2020-01-15 10:30:00 Mars/Olympus')", "!"},
		{"TIMESTAMP(6) WITH TIME ZONE", "TO_TIMESTAMP('2020-01-15 10:30:00')", "!"},
		{"TIMESTAMP(6) WITH LOCAL TIME ZONE", "TO_TIMESTAMP('2020-01-15 10:30:00.1')", "2020-01-15T10:30:00.1"},
		// Character data
		{"VARCHAR2", "plain text, with 'quotes'", "plain text, with 'quotes'"},
		{"CHAR", "ab   ", "ab   "},
		{"VARCHAR2", "", ""},
		{"NVARCHAR2", `UNISTR('\D83D\DE00 it''s')`, "😀 it's"},
		{"NCHAR", `UNISTR('\00e9') || 'x' || UNISTR('\00E9')`, "éxé"},
		{"NVARCHAR2", `UNISTR('\D83D')`, "!"},
		{"NVARCHAR2", `UNISTR('\12')`, "!"},
		{"VARCHAR2", `HEXTORAW('ff')`, "!"},
		{"CLOB", "EMPTY_CLOB()", ""},
		{"NCLOB", "EMPTY_CLOB()", ""},
		{"CLOB", "TO_DATE('x')", "!"},
		// Binary
		{"RAW", "HEXTORAW('C3020B')", "c3020b"},
		{"RAW", "HEXTORAW('c')", "0c"},
		{"RAW", "ABCD", "abcd"},
		{"RAW", "HEXTORAW('zz')", "!"},
		{"BLOB", "EMPTY_BLOB()", ""},
		{"BLOB", "/* JSON */ EMPTY_BLOB()", ""},
		{"BLOB", "HEXTORAW('aa') || HEXTORAW('BB')", "aabb"},
		// Interval
		{"INTERVAL YEAR(2) TO MONTH", "TO_YMINTERVAL('+02-03')", "+02-03"},
		{"INTERVAL DAY(2) TO SECOND(6)", "+01 02:03:04.500000", "+01 02:03:04.500000"},
		{"INTERVAL DAY(2) TO SECOND(6)", "TO_DATE('x')", "!"},
		// Types it does not know
		{"XMLTYPE", "x", "!"},
		{"SDO_GEOMETRY", "x", "!"},
	}
	for _, tt := range tests {
		got, err := redo.DecodeLiteral(tt.raw, tt.typ)
		if tt.want == "!" {
			if err == nil {
				t.Errorf("DecodeLiteral(%q, %q) = %q, want an error", tt.raw, tt.typ, got)
			} else if !errors.Is(err, redo.ErrDecode) || !strings.Contains(err.Error(), tt.typ) {
				t.Errorf("DecodeLiteral(%q, %q) error %q must match ErrDecode and name the type", tt.raw, tt.typ, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DecodeLiteral(%q, %q) = %q, %v; want %q", tt.raw, tt.typ, got, err, tt.want)
		}
	}
}

// TestQuotedLookalikes: text that reads like a function call stays text
// when the reader decodes with Parser.Quoted.
func TestQuotedLookalikes(t *testing.T) {
	var p redo.Parser
	r, err := p.Parse(`update "S"."T" set "A" = 'HEXTORAW(''41'')', "B" = HEXTORAW('41'), "C" = 'EMPTY_CLOB()', "D" = NULL where "E" = 'a()' and "F" IS NULL and "G" = UNISTR('\0041')`)
	if err != nil {
		t.Fatal(err)
	}
	newQ, oldQ := p.Quoted()
	wantNewQ, wantOldQ := []bool{true, false, true, false}, []bool{true, false, false}
	if !slices.Equal(newQ, wantNewQ) || !slices.Equal(oldQ, wantOldQ) {
		t.Fatalf("Quoted() = %v %v, want %v %v", newQ, oldQ, wantNewQ, wantOldQ)
	}
	typ, _ := redo.ParseType("VARCHAR2")
	want := map[string]string{"A": "HEXTORAW('41')", "B": "A", "C": "EMPTY_CLOB()", "E": "a()", "G": "A"}
	for i, set := range [][]redo.Column{r.New, r.Old} {
		q := [][]bool{newQ, oldQ}[i]
		for j, c := range set {
			if c.Value == nil {
				continue
			}
			got, err := typ.DecodeValue(*c.Value, q[j])
			if err != nil || got != want[c.Name] {
				t.Errorf("%s: DecodeValue(%q, %v) = %q, %v; want %q", c.Name, *c.Value, q[j], got, err, want[c.Name])
			}
		}
	}
	// A quoted datetime or raw text is read as text too.
	for _, tt := range []struct{ typ, raw, want string }{
		{"DATE", "2020-01-15 10:30:00", "2020-01-15T10:30:00"},
		{"RAW", "C3020B", "c3020b"},
		{"INTERVAL DAY(2) TO SECOND(6)", "+01 02:03:04.5", "+01 02:03:04.5"},
	} {
		typ, _ := redo.ParseType(tt.typ)
		if got, err := typ.DecodeValue(tt.raw, true); err != nil || got != tt.want {
			t.Errorf("DecodeValue(%q, %s, literal) = %q, %v; want %q", tt.raw, tt.typ, got, err, tt.want)
		}
	}
}
