package redo_test

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/redoflow/redoflow/logminer/redo"
)

// render writes r back as LogMiner would, every value quoted; parsing the
// result must give r again.
func render(r redo.Statement, upper, delimiter, alias bool) string {
	var b strings.Builder
	kw := func(s string) {
		if upper {
			s = strings.ToUpper(s)
		}
		b.WriteString(s)
	}
	ident := func(s string) { b.WriteString(`"` + strings.ReplaceAll(s, `"`, `""`) + `"`) }
	val := func(v *string) {
		if v == nil {
			kw("NULL")
			return
		}
		b.WriteString("'" + strings.ReplaceAll(*v, "'", "''") + "'")
	}
	table := func() {
		if r.Schema != "" {
			ident(r.Schema)
			b.WriteByte('.')
		}
		ident(r.Table)
		if alias && r.Op != redo.OpInsert {
			b.WriteString(" a")
		}
	}
	col := func(name string) {
		if alias {
			b.WriteString("a.")
		}
		ident(name)
	}
	where := func() {
		first := true
		and := func() {
			if first {
				kw(" where ")
			} else {
				kw(" and ")
			}
			first = false
		}
		for _, c := range r.Old {
			and()
			col(c.Name)
			if c.Value == nil {
				kw(" IS NULL")
			} else {
				b.WriteString(" = ")
				val(c.Value)
			}
		}
		if r.RowID != "" {
			and()
			kw("ROWID")
			b.WriteString(" = ")
			val(&r.RowID)
		}
	}
	switch r.Op {
	case redo.OpInsert:
		kw("insert into ")
		table()
		b.WriteByte('(')
		for i, c := range r.New {
			if i > 0 {
				b.WriteByte(',')
			}
			ident(c.Name)
		}
		kw(") values (")
		for i, c := range r.New {
			if i > 0 {
				b.WriteByte(',')
			}
			val(c.Value)
		}
		b.WriteByte(')')
	case redo.OpUpdate:
		kw("update ")
		table()
		kw(" set ")
		for i, c := range r.New {
			if i > 0 {
				b.WriteString(", ")
			}
			col(c.Name)
			b.WriteString(" = ")
			val(c.Value)
		}
		where()
	case redo.OpDelete:
		kw("delete from ")
		table()
		where()
	}
	if delimiter {
		b.WriteByte(';')
	}
	return b.String()
}

func sameRedo(a, b redo.Statement) bool {
	eq := func(x, y []redo.Column) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].Name != y[i].Name || !sameValue(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return a.Op == b.Op && a.Schema == b.Schema && a.Table == b.Table && a.RowID == b.RowID && eq(a.New, b.New) && eq(a.Old, b.Old)
}

// TestParseRedoRoundTrip: any statement rendered from generated names and
// values (quotes, commas, keywords, parentheses, non-ASCII) parses back to
// exactly those names and values.
func TestParseRedoRoundTrip(t *testing.T) {
	tricky := rapid.SampledFrom([]string{"'", "''", `"`, ",", ", ", ")", "(", ") values (", " and ", " where ", " set ",
		"||", ";", "NULL", " IS NULL", "a.", "\n", "é", "数据", "#", "$", " ", "x", "0"})
	text := rapid.Custom(func(t *rapid.T) string {
		return strings.Join(rapid.SliceOfN(rapid.OneOf(tricky, rapid.StringN(0, 6, -1)), 0, 8).Draw(t, "parts"), "")
	})
	name := rapid.Custom(func(t *rapid.T) string {
		n := text.Draw(t, "name")
		if n == "" {
			n = "C"
		}
		return n
	})
	column := rapid.Custom(func(t *rapid.T) redo.Column {
		c := redo.Column{Name: name.Draw(t, "col")}
		if !rapid.Bool().Draw(t, "null") {
			v := text.Draw(t, "value")
			c.Value = &v
		}
		return c
	})
	rapid.Check(t, func(t *rapid.T) {
		r := redo.Statement{
			Op:     rapid.SampledFrom([]redo.Op{redo.OpInsert, redo.OpUpdate, redo.OpDelete}).Draw(t, "op"),
			Schema: rapid.OneOf(rapid.Just(""), name).Draw(t, "schema"),
			Table:  name.Draw(t, "table"),
		}
		switch r.Op {
		case redo.OpInsert:
			r.New = rapid.SliceOfN(column, 1, 12).Draw(t, "new")
		case redo.OpUpdate:
			r.New = rapid.SliceOfN(column, 1, 12).Draw(t, "new")
			fallthrough
		case redo.OpDelete:
			r.Old = rapid.SliceOfN(column, 0, 12).Draw(t, "old")
			if rapid.Bool().Draw(t, "rowid") {
				r.RowID = rapid.StringMatching(`[A-Za-z0-9+/]{18}`).Draw(t, "rowidValue")
			}
		}
		if len(r.Old) == 0 {
			r.Old = nil
		}
		sql := render(r, rapid.Bool().Draw(t, "upper"), rapid.Bool().Draw(t, "delimiter"), rapid.Bool().Draw(t, "alias"))
		got, err := redo.Parse(sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", sql, err)
		}
		if !sameRedo(got, r) {
			t.Fatalf("Parse(%q)\n got %s %q.%q new %s old %s rowid %q\nwant %s %q.%q new %s old %s rowid %q", sql,
				got.Op, got.Schema, got.Table, fmtCols(got.New), fmtCols(got.Old), got.RowID,
				r.Op, r.Schema, r.Table, fmtCols(r.New), fmtCols(r.Old), r.RowID)
		}
	})
}

func redoSeeds(f *testing.F) {
	for _, c := range loadJSONL(f, "testdata/sql_redo_cases.jsonl", func(*redoCase, int) {}) {
		f.Add(c.SQLRedo)
	}
	f.Add(`update "S"."T" set "A" = 'it''s' where "B" IS NULL and ROWID = 'AAAB';`)
	f.Add(`insert into "S"."T"("A") values (UNISTR('\0041') || 'x')`)
}

func FuzzParseRedo(f *testing.F) {
	redoSeeds(f)
	f.Fuzz(func(t *testing.T, sql string) {
		r, err := redo.Parse(sql)
		if err != nil {
			var se *redo.SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, redo.ErrSyntax) || se.Pos < 0 || se.Pos > len(sql) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if r.Op != redo.OpInsert && r.Op != redo.OpUpdate && r.Op != redo.OpDelete || r.Table == "" {
			t.Fatalf("parsed %q into %+v", sql, r)
		}
		// What parsed must render and parse back to the same thing.
		again, err := redo.Parse(render(r, false, true, false))
		if err != nil || !sameRedo(again, r) {
			t.Fatalf("re-render of %q does not parse back: %v", sql, err)
		}
	})
}

var canonicalNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)

var fuzzTypes = []string{"NUMBER", "BINARY_FLOAT", "BINARY_DOUBLE", "DATE", "TIMESTAMP(6)",
	"TIMESTAMP(6) WITH TIME ZONE", "TIMESTAMP(6) WITH LOCAL TIME ZONE", "VARCHAR2", "NVARCHAR2",
	"CLOB", "RAW", "BLOB", "INTERVAL DAY(2) TO SECOND(6)", "INTERVAL YEAR(2) TO MONTH"}

func FuzzDecodeLiteral(f *testing.F) {
	for _, c := range loadJSONL(f, "testdata/value_literal_cases.jsonl", func(*valueCase, int) {}) {
		raw := strings.Trim(c.Text, "'")
		for i := range fuzzTypes {
			f.Add(raw, uint8(i))
		}
	}
	f.Add("1.5E+10", uint8(0))
	f.Add("TO_TIMESTAMP_TZ('2020-07-01 10:30:00.25 America/New_York')", uint8(5))
	f.Fuzz(func(t *testing.T, raw string, ti uint8) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		out, err := redo.DecodeLiteral(raw, typ)
		if err != nil {
			if !errors.Is(err, redo.ErrDecode) {
				t.Fatalf("error %v does not match ErrDecode", err)
			}
			return
		}
		switch typ {
		case "NUMBER":
			if !canonicalNumber.MatchString(out) {
				t.Fatalf("NUMBER %q decoded to non-canonical %q", raw, out)
			}
			in, ok1 := new(big.Rat).SetString(raw)
			got, ok2 := new(big.Rat).SetString(out)
			if !ok1 || !ok2 || in.Cmp(got) != 0 {
				t.Fatalf("NUMBER %q decoded to %q, a different value", raw, out)
			}
		case "BINARY_DOUBLE":
			in, _ := strconv.ParseFloat(raw, 64)
			got, err := strconv.ParseFloat(out, 64)
			if err != nil || in != got && !(math.IsNaN(in) && math.IsNaN(got)) {
				t.Fatalf("BINARY_DOUBLE %q decoded to %q", raw, out)
			}
		}
		// Decoding is a function of its input.
		if again, err := redo.DecodeLiteral(raw, typ); err != nil || again != out {
			t.Fatalf("second decode of %q differs: %q, %v", raw, again, err)
		}
	})
}
