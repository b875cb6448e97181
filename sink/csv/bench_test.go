package csv

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
)

var benchTable = &change.Table{Schema: "FINANCE_USER", Name: "TRANS_INFO", Columns: []change.Column{
	{Name: "ID"}, {Name: "ACCOUNT_NO"}, {Name: "AMOUNT"}, {Name: "CURRENCY"}, {Name: "TRANS_TIME"},
	{Name: "STATUS"}, {Name: "REMARK"}, {Name: "CHANNEL"}, {Name: "BRANCH_CODE"}, {Name: "UPDATED_AT"},
}}

var benchEvent = &change.Event{Op: change.OpUpdate, Table: benchTable, SCN: 123456789, CommitSCN: 123456790,
	CommitTS: time.Date(2026, 11, 25, 10, 30, 12, 0, time.UTC), XID: "0a001f00c3040000", Seq: 3,
	Row: []change.Value{{Text: "100234"}, {Text: "6222021234567890123"}, {Text: "1250.75"}, {Text: "CNY"},
		{Text: "2026-11-25T10:29:58.123456"}, {Text: "SETTLED"}, {Text: "transfer, ref 'INV-2026-0042' to 上海分行"},
		{Text: "MOBILE"}, {Text: "0101"}, {Text: "2026-11-25T10:30:12"}}}

// BenchmarkSinkWrite: encoding and writing change rows to the in-progress
// file (page cache; the fsync belongs to checkpoints).
func BenchmarkSinkWrite(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir, cfg.Task = b.TempDir(), "0"
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	row := appendRow(nil, benchEvent)
	b.SetBytes(int64(len(row)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkBufferedFileWrite: the same bytes written with a plain
// bufio.Writer on an os.File, the ceiling for the sink.
func BenchmarkBufferedFileWrite(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "plain.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, DefaultConfig().BufferSize)
	row := appendRow(nil, benchEvent)
	b.SetBytes(int64(len(row)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Write(row); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
