package oraclesim

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redoflow/redoflow/logminer/redo"
	"pgregory.net/rapid"
)

// typeGens generates values for each column type the engine stores.
var typeGens = []struct {
	typ string
	gen *rapid.Generator[any]
}{
	{"NUMBER", rapid.Custom(func(t *rapid.T) any { return genDecimal(t, 38, 20) })},
	{"NUMBER(18,2)", rapid.Custom(func(t *rapid.T) any { return genDecimal(t, 16, 2) })},
	{"NUMBER(5)", rapid.Custom(func(t *rapid.T) any { return rapid.Int64Range(-99999, 99999).Draw(t, "n") })},
	{"FLOAT", rapid.Custom(func(t *rapid.T) any { return genDecimal(t, 30, 10) })},
	{"BINARY_FLOAT", rapid.Custom(func(t *rapid.T) any { return genFloat(t, 32) })},
	{"BINARY_DOUBLE", rapid.Custom(func(t *rapid.T) any { return genFloat(t, 64) })},
	{"VARCHAR2(4000)", rapid.Custom(func(t *rapid.T) any { return genText(t, 4000, false) })},
	{"NVARCHAR2(2000)", rapid.Custom(func(t *rapid.T) any { return genText(t, 2000, true) })},
	{"CHAR(10)", rapid.Custom(func(t *rapid.T) any { return genText(t, 10, false) })},
	{"NCHAR(10)", rapid.Custom(func(t *rapid.T) any { return genText(t, 10, true) })},
	{"DATE", rapid.Custom(func(t *rapid.T) any { return genTime(t, false) })},
	{"TIMESTAMP(6)", rapid.Custom(func(t *rapid.T) any { return genTime(t, false) })},
	{"TIMESTAMP(9)", rapid.Custom(func(t *rapid.T) any { return genTime(t, false) })},
	{"TIMESTAMP(6) WITH TIME ZONE", rapid.Custom(func(t *rapid.T) any { return genTime(t, true) })},
	{"TIMESTAMP(3) WITH LOCAL TIME ZONE", rapid.Custom(func(t *rapid.T) any { return genTime(t, true) })},
	{"RAW(200)", rapid.Custom(func(t *rapid.T) any { return rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "raw") })},
	{"CLOB", rapid.Custom(func(t *rapid.T) any { return genText(t, 6000, false) })},
	{"NCLOB", rapid.Custom(func(t *rapid.T) any { return genText(t, 3000, true) })},
	{"BLOB", rapid.Custom(func(t *rapid.T) any { return rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "blob") })},
	{"LONG", rapid.Custom(func(t *rapid.T) any { return genText(t, 6000, false) })},
	{"LONG RAW", rapid.Custom(func(t *rapid.T) any { return rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "longraw") })},
	// ANSI types, stored as NUMBER, FLOAT(126) and CHAR.
	{"SMALLINT", rapid.Custom(func(t *rapid.T) any { return rapid.Int64Range(-99999, 99999).Draw(t, "n") })},
	{"DOUBLE PRECISION", rapid.Custom(func(t *rapid.T) any { return genDecimal(t, 30, 10) })},
	{"CHARACTER(10)", rapid.Custom(func(t *rapid.T) any { return genText(t, 10, false) })},
	{"INTERVAL YEAR(2) TO MONTH", rapid.Custom(func(t *rapid.T) any {
		return strings.Repeat("-", rapid.IntRange(0, 1).Draw(t, "neg")) + fmtInt(rapid.IntRange(0, 99).Draw(t, "y")) + "-" + fmtInt(rapid.IntRange(0, 11).Draw(t, "m"))
	})},
	{"INTERVAL DAY(3) TO SECOND(4)", rapid.Custom(func(t *rapid.T) any {
		return strings.Repeat("-", rapid.IntRange(0, 1).Draw(t, "neg")) + fmtInt(rapid.IntRange(0, 999).Draw(t, "d")) + " " +
			fmtInt(rapid.IntRange(0, 23).Draw(t, "h")) + ":" + fmtInt(rapid.IntRange(0, 59).Draw(t, "mi")) + ":" + fmtInt(rapid.IntRange(0, 59).Draw(t, "s")) +
			"." + fmtInt(rapid.IntRange(0, 9999).Draw(t, "f"))
	})},
}

func genDecimal(t *rapid.T, intDigits, fracDigits int) any {
	digits := "0123456789"
	i := rapid.StringOfN(rapid.SampledFrom([]rune(digits)), 1, intDigits, -1).Draw(t, "int")
	f := rapid.StringOfN(rapid.SampledFrom([]rune(digits)), 0, fracDigits, -1).Draw(t, "frac")
	s := i
	if f != "" {
		s += "." + f
	}
	if rapid.Bool().Draw(t, "neg") {
		s = "-" + s
	}
	return s
}

func genFloat(t *rapid.T, bits int) any {
	switch rapid.IntRange(0, 9).Draw(t, "kind") {
	case 0:
		return rapid.SampledFrom([]float64{math.Inf(1), math.Inf(-1), math.NaN(), 0, math.MaxFloat32, math.SmallestNonzeroFloat32}).Draw(t, "special")
	case 1:
		return float64(rapid.Int32().Draw(t, "int"))
	}
	if bits == 32 {
		return float64(math.Float32frombits(rapid.Uint32().Filter(func(u uint32) bool {
			f := math.Float32frombits(u)
			return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
		}).Draw(t, "bits32")))
	}
	return math.Float64frombits(rapid.Uint64().Filter(func(u uint64) bool {
		f := math.Float64frombits(u)
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	}).Draw(t, "bits64"))
}

func genText(t *rapid.T, maxBytes int, national bool) any {
	alphabet := []rune("abcXYZ 019',;\"\\|()%_\n\té€数据😀Ω")
	s := rapid.StringOfN(rapid.SampledFrom(alphabet), 0, maxBytes/4, -1).Draw(t, "text")
	if national {
		if n := utf8.RuneCountInString(s); n > maxBytes {
			s = string([]rune(s)[:maxBytes])
		}
	}
	if len(s) > maxBytes {
		s = s[:0]
	}
	return s
}

// TestQuotedFunctionLookalike is the round trip of character values that
// look like function calls: the text HEXTORAW('41') must not decode as the
// call HEXTORAW('41'). The reader tells them apart with Parser.Quoted.
func TestQuotedFunctionLookalike(t *testing.T) {
	for _, v := range []string{"HEXTORAW('41')", "EMPTY_CLOB()", "a()"} {
		checkRoundTripPlain(t, v)
	}
}

func checkRoundTripPlain(t *testing.T, v string) {
	rapid.Check(t, func(rt *rapid.T) { checkRoundTrip(rt, "VARCHAR2(100)", MustType("VARCHAR2(100)"), v, v) })
}

func genTime(t *rapid.T, zone bool) any {
	sec := rapid.Int64Range(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()).Draw(t, "sec")
	ns := rapid.SampledFrom([]int64{0, 0, 500000000, 123456789, 1000, 999999999}).Draw(t, "ns")
	tm := time.Unix(sec, ns).UTC()
	if zone {
		off := rapid.IntRange(-12*4, 14*4).Draw(t, "off15") * 15 * 60
		tm = tm.In(time.FixedZone("", off))
		if tm.Year() < 1 || tm.Year() > 9999 {
			tm = tm.UTC()
		}
	}
	return tm
}

// TestRoundTripThroughLogMiner writes generated values of every column type
// through the engine (insert, update to a second value, delete) and checks
// that redo.Parse + DecodeLiteral on the mined SQL_REDO gives back
// the engine's canonical truth for every value, in the new and old images.
func TestRoundTripThroughLogMiner(t *testing.T) {
	for _, tg := range typeGens {
		t.Run(tg.typ, func(t *testing.T) {
			ty := MustType(tg.typ)
			rapid.Check(t, func(rt *rapid.T) {
				a := tg.gen.Draw(rt, "a")
				b := tg.gen.Draw(rt, "b")
				checkRoundTrip(rt, tg.typ, ty, a, b)
			})
		})
	}
}

func checkRoundTrip(rt *rapid.T, typText string, ty Type, a, b any) {
	db, err := New(func() Config { c := DefaultConfig(); c.SupplementalLogging = LoggingAll; return c }())
	if err != nil {
		rt.Fatal(err)
	}
	defer db.Close()
	tbl, err := db.CreateTable(TableSpec{Schema: "RT", Name: "T", PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "V", Type: typText}}})
	if err != nil {
		rt.Fatal(err)
	}
	want := func(v any) *string {
		s, ok, err := CanonicalValue(ty, v)
		if err != nil {
			rt.Fatalf("canonical %v: %v", v, err)
		}
		if !ok {
			return nil
		}
		return &s
	}
	wa, wb := want(a), want(b)
	start := db.CurrentSCN()
	tx := db.Begin("RT")
	if _, err := tx.Insert(tbl, 1, a); err != nil {
		rt.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		rt.Fatal(err)
	}
	// the truth dump must hold the same canonical text
	var csv strings.Builder
	if err := db.DumpCSV(&csv, tbl, 0); err != nil {
		rt.Fatal(err)
	}
	tx = db.Begin("RT")
	if err := tx.UpdateByKey(tbl, []any{1}, []string{"V"}, []any{b}); err != nil {
		rt.Fatal(err)
	}
	if err := tx.DeleteByKey(tbl, 1); err != nil {
		rt.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		rt.Fatal(err)
	}
	c, err := NewConnector(db, ConnOptions{User: "RT"}).Connect(context.Background())
	if err != nil {
		rt.Fatal(err)
	}
	defer c.Close()
	sc := c.(*Conn)
	for _, s := range readerNLS {
		if _, err := sc.ExecContext(context.Background(), s, nil); err != nil {
			rt.Fatal(err)
		}
	}
	if err := sc.sess.runPLSQL([]plsqlCall{{proc: "ADD_LOGFILE", args: []plsqlArg{{name: "LOGFILENAME", val: []operand{{kind: oString, s: db.cfg.OnlineLogDir + "/redo01.log"}}}}}}, nil); err != nil {
		rt.Fatal(err)
	}
	if err := db.startLogmnr(&sc.sess.lm, start, 0, LogmnrDictFromOnlineCatalog|LogmnrNoRowidInStmt); err != nil {
		rt.Fatal(err)
	}
	cs, err := db.openContents(&sc.sess.lm, &sc.sess.nls)
	if err != nil {
		rt.Fatal(err)
	}
	cs.needRedo = true
	var stmts []string
	var cur strings.Builder
	for cs.next() {
		if cs.rec.tbl == nil {
			continue
		}
		cur.WriteString(cs.value(lcSQLRedo).(string))
		if cs.value(lcCSF).(uint64) == 0 {
			stmts = append(stmts, cur.String())
			cur.Reset()
		}
	}
	// gather (column V) values: new image of every statement, old image of updates/deletes
	type rawValue struct {
		where  string
		raw    *string
		quoted bool
	}
	var got []rawValue
	var p redo.Parser
	for _, s := range stmts {
		r, err := p.Parse(s)
		if err != nil {
			rt.Fatalf("Parse(%q): %v", s, err)
		}
		newQ, oldQ := p.Quoted()
		for i, col := range r.New {
			if col.Name == "V" {
				got = append(got, rawValue{r.Op.String() + " new: " + s, copyStr(col.Value), newQ[i]})
			}
		}
		for i, col := range r.Old {
			if col.Name == "V" {
				got = append(got, rawValue{r.Op.String() + " old: " + s, copyStr(col.Value), oldQ[i]})
			}
		}
	}
	// expected sequence: insert new=a, update new=b old=a, delete old=b;
	// LOB columns are never in a WHERE list: insert EMPTY_LOB, the follow-up
	// update new=a, update new=b; nor are LONG columns, which are written
	// in the insert: new=a, update new=b
	var expect []*string
	switch {
	case ty.IsLOB():
		empty := ""
		expect = []*string{&empty, wa, wb}
	case ty.IsLong():
		expect = []*string{wa, wb}
	default:
		expect = []*string{wa, wb, wa, wb}
	}
	if len(got) != len(expect) {
		rt.Fatalf("got %d values from %q, want %d", len(got), stmts, len(expect))
	}
	for i, g := range got {
		var dec *string
		if g.raw != nil {
			lt, err := redo.ParseType(ty.DataType())
			if err != nil {
				rt.Fatal(err)
			}
			d, err := lt.DecodeValue(*g.raw, g.quoted)
			if err != nil {
				rt.Fatalf("DecodeValue(%q, %s, quoted=%v) in %s: %v", *g.raw, ty.DataType(), g.quoted, g.where, err)
			}
			dec = &d
		}
		if (dec == nil) != (expect[i] == nil) || dec != nil && *dec != *expect[i] {
			rt.Fatalf("value %d (%s): decoded %v, truth %v", i, g.where, show(dec), show(expect[i]))
		}
	}
	if wa != nil && !strings.Contains(csv.String(), *wa) && !strings.ContainsAny(*wa, "\"\n,") {
		rt.Fatalf("truth CSV %q does not hold %q", csv.String(), *wa)
	}
}

// copyStr copies a value out of the Parser's reused memory.
func copyStr(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + *s + "'"
}
