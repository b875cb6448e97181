package redo_test

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/logminer/redo"
)

// A realistic UPDATE of a 10-column FINANCE_USER.TRANS_INFO row as LogMiner
// writes it under ALL-column supplemental logging: the SET list, the full
// before image and the ROWID.
const transInfoUpdate = `update "FINANCE_USER"."TRANS_INFO" set "AMOUNT" = '1250.75', "STATUS" = 'SETTLED', ` +
	`"UPDATED_AT" = TO_DATE('2026-11-25 10:30:12', 'YYYY-MM-DD HH24:MI:SS') where "ID" = '100234' and ` +
	`"ACCOUNT_NO" = '6222021234567890123' and "AMOUNT" = '1200.5' and "CURRENCY" = 'CNY' and ` +
	`"TRANS_TIME" = TO_TIMESTAMP('2026-11-25 10:29:58.123456') and "STATUS" = 'PENDING' and ` +
	`"REMARK" = 'transfer, ref ''INV-2026-0042'' to 上海分行' and "CHANNEL" = 'MOBILE' and ` +
	`"BRANCH_CODE" = '0101' and "UPDATED_AT" = TO_DATE('2026-11-25 10:29:58', 'YYYY-MM-DD HH24:MI:SS') and ` +
	`ROWID = 'AAAR3sAAEAAAACXAAA';`

var transInfoTypes = map[string]string{
	"ID": "NUMBER", "ACCOUNT_NO": "VARCHAR2", "AMOUNT": "NUMBER", "CURRENCY": "CHAR",
	"TRANS_TIME": "TIMESTAMP(6)", "STATUS": "VARCHAR2", "REMARK": "VARCHAR2", "CHANNEL": "VARCHAR2",
	"BRANCH_CODE": "VARCHAR2", "UPDATED_AT": "DATE",
}

// The same 13 values as one CSV line, what a CSV source would carry.
const transInfoCSV = `1250.75,SETTLED,2026-11-25T10:30:12,100234,6222021234567890123,1200.5,CNY,` +
	`2026-11-25T10:29:58.123456,PENDING,"transfer, ref 'INV-2026-0042' to 上海分行",MOBILE,0101,2026-11-25T10:29:58` + "\n"

// transInfoTable is the table as a reader holds it: column names in table
// order with their types resolved once.
var transInfoTable = func() (t struct {
	names []string
	types []redo.Type
}) {
	for _, n := range []string{"ID", "ACCOUNT_NO", "AMOUNT", "CURRENCY", "TRANS_TIME", "STATUS", "REMARK", "CHANNEL", "BRANCH_CODE", "UPDATED_AT"} {
		typ, err := redo.ParseType(transInfoTypes[n])
		if err != nil {
			panic(err)
		}
		t.names = append(t.names, n)
		t.types = append(t.types, typ)
	}
	return t
}()

// BenchmarkParseRedoDecode is the reader's hot path: parse the statement
// with a reused Parser, find each column in the table, decode its value with
// the resolved type.
func BenchmarkParseRedoDecode(b *testing.B) {
	benchParseDecode(b, func(raw string, col int) (string, error) { return transInfoTable.types[col].Decode(raw) })
}

// BenchmarkParseRedoDecodeLiteral is the same through the string-typed
// DecodeLiteral, which resolves the type name on every call.
func BenchmarkParseRedoDecodeLiteral(b *testing.B) {
	benchParseDecode(b, func(raw string, col int) (string, error) {
		return redo.DecodeLiteral(raw, transInfoTypes[transInfoTable.names[col]])
	})
}

func benchParseDecode(b *testing.B, decode func(raw string, col int) (string, error)) {
	r, err := redo.Parse(transInfoUpdate)
	if err != nil {
		b.Fatal(err)
	}
	ncols := len(r.New) + len(r.Old)
	var p redo.Parser
	b.SetBytes(int64(len(transInfoUpdate)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := p.Parse(transInfoUpdate)
		if err != nil {
			b.Fatal(err)
		}
		for _, set := range [2][]redo.Column{r.New, r.Old} {
			for _, c := range set {
				col := slices.Index(transInfoTable.names, c.Name)
				if c.Value == nil || col < 0 {
					continue
				}
				if _, err := decode(*c.Value, col); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(ncols), "cols/row")
}

// BenchmarkParserReuse is Parse with the memory reuse of Parser, the
// counterpart of csv.Reader with ReuseRecord.
func BenchmarkParserReuse(b *testing.B) {
	var p redo.Parser
	b.SetBytes(int64(len(transInfoUpdate)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(transInfoUpdate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRedoOnly(b *testing.B) {
	b.SetBytes(int64(len(transInfoUpdate)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := redo.Parse(transInfoUpdate); err != nil {
			b.Fatal(err)
		}
	}
}

// repeatReader yields line over and over, so the CSV reader never ends.
type repeatReader struct {
	line string
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

func benchCSV(b *testing.B, line string) {
	cr := csv.NewReader(&repeatReader{line: line})
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cr.Read(); err != nil && err != io.EOF {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVSameBytes: encoding/csv reading the very SQL_REDO bytes as a
// CSV line (the byte-rate baseline for Parse).
func BenchmarkCSVSameBytes(b *testing.B) {
	benchCSV(b, strings.ReplaceAll(transInfoUpdate, "\n", " ")+"\n")
}

// BenchmarkCSVEquivalentLine: encoding/csv reading the same 13 values as a
// CSV line (the row-rate baseline).
func BenchmarkCSVEquivalentLine(b *testing.B) {
	benchCSV(b, transInfoCSV)
}
