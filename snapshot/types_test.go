package snapshot_test

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/snapshot"
)

// typeColumns is a table with a column of every type redoflow captures,
// the ANSI types Oracle converts included; LONG RAW has a table of its own,
// since a table holds one LONG or LONG RAW column at most.
var typeColumns = []oraclesim.ColumnSpec{
	{Name: "ID", Type: "NUMBER"},
	{Name: "N", Type: "NUMBER(18,2)"}, {Name: "F", Type: "FLOAT"}, {Name: "BF", Type: "BINARY_FLOAT"}, {Name: "BD", Type: "BINARY_DOUBLE"},
	{Name: "I", Type: "INT"}, {Name: "SI", Type: "SMALLINT"}, {Name: "DE", Type: "DECIMAL(9,2)"}, {Name: "DP", Type: "DOUBLE PRECISION"}, {Name: "RE", Type: "REAL"},
	{Name: "D", Type: "DATE"}, {Name: "TS", Type: "TIMESTAMP(9)"}, {Name: "TZ", Type: "TIMESTAMP(6) WITH TIME ZONE"}, {Name: "LTZ", Type: "TIMESTAMP(6) WITH LOCAL TIME ZONE"},
	{Name: "V", Type: "VARCHAR2(40)"}, {Name: "NV", Type: "NVARCHAR2(20)"}, {Name: "C", Type: "CHAR(4)"}, {Name: "NC", Type: "NCHAR(2)"},
	{Name: "CH", Type: "CHARACTER(3)"}, {Name: "CV", Type: "CHARACTER VARYING(20)"}, {Name: "NAT", Type: "NATIONAL CHARACTER VARYING(10)"},
	{Name: "CL", Type: "CLOB"}, {Name: "NCL", Type: "NCLOB"}, {Name: "L", Type: "LONG"},
	{Name: "R", Type: "RAW(16)"}, {Name: "BL", Type: "BLOB"},
	{Name: "YM", Type: "INTERVAL YEAR(2) TO MONTH"}, {Name: "DS", Type: "INTERVAL DAY(2) TO SECOND(6)"},
}

// TestSnapshotReadsEveryTypeAsTheStreamDecodes: for the same rows, the
// snapshot writes the text the stream decodes from the redo, column by
// column, for every type both capture; and both equal the simulator's truth.
func TestSnapshotReadsEveryTypeAsTheStreamDecodes(t *testing.T) {
	sim, err := oraclesim.New(oraclesim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	types, err := sim.CreateTable(oraclesim.TableSpec{Schema: "FINANCE_USER", Name: "TYPES", PrimaryKey: []string{"ID"}, Columns: typeColumns})
	if err != nil {
		t.Fatal(err)
	}
	longRaw, err := sim.CreateTable(oraclesim.TableSpec{Schema: "FINANCE_USER", Name: "TYPES_LR", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "LR", Type: "LONG RAW"}}})
	if err != nil {
		t.Fatal(err)
	}
	start := sim.CurrentSCN()
	tx := sim.Begin("FINANCE_USER")
	est := time.FixedZone("", -5*3600)
	ts := time.Date(2026, 11, 25, 10, 29, 58, 123456789, time.UTC)
	rows := [][]any{
		{1, "1250.75", "0.5", 3.14, 65536.125, 42, -7, "12.30", "1E-3", "2.5",
			ts, ts, ts.In(est), ts, "transfer, ref 'INV-42'", "上海分行", "ab", "é", "x", "a\"b", "ÅÄÖ",
			strings.Repeat("clob ", 900), "nclob €", strings.Repeat("long, text ", 500), []byte{0xC3, 0x02, 0x0B}, []byte{0, 1, 2, 0xFF},
			"+02-03", "-01 02:03:04.5"},
		{2, "-0.01", "-12345678901234567890.5", math.Inf(1), math.NaN(), 0, 32767, "-0.5", "0", "-1",
			time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2020, 1, 15, 10, 30, 0, 500000000, time.FixedZone("", 5*3600+30*60)), time.Date(2000, 1, 1, 0, 0, 0, 1000, time.UTC),
			"line\nbreak", "Выбу", "abcd", "ab", "abc", "", "x", "", "", "L", []byte{0xAB}, []byte{}, "-00-11", "+00 00:00:00"},
		{3}, // every other column NULL
	}
	for _, r := range rows {
		vals := make([]any, len(typeColumns))
		copy(vals, r)
		if _, err := tx.Insert(types, vals...); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range []any{[]byte(strings.Repeat("\x00\x7f\xfe", 1500)), []byte{0x01}, nil} {
		if _, err := tx.Insert(longRaw, i+1, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	names := []string{"FINANCE_USER.TYPES", "FINANCE_USER.TYPES_LR"}
	db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "FINANCE_USER"}))
	defer db.Close()

	stream := streamRows(t, db, start, sim.CurrentSCN(), names)

	cfg := snapshot.DefaultConfig()
	cfg.Tables = names
	r, err := snapshot.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := r.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(0)
	if _, err := r.Run(context.Background(), pos, c); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		snap, str, want := sortedRows(c.rows[name]), sortedRows(stream[name]), truth(t, sim, name, pos.SCN)
		if len(snap) != 3 || len(str) != 3 {
			t.Fatalf("%s: %d rows from the snapshot, %d from the stream, want 3", name, len(snap), len(str))
		}
		for i := range snap {
			if snap[i] != str[i] {
				t.Errorf("%s row %d:\nsnapshot %q\nstream   %q", name, i, snap[i], str[i])
			}
		}
		if !slices.Equal(snap, want) {
			t.Errorf("%s: the snapshot differs from the truth:\n%q\n%q", name, snap, want)
		}
	}
}

// streamRows mines the inserts committed between from and to with the
// stream's reader, as lines of canonical text like the collector's.
func streamRows(t *testing.T, db *sql.DB, from, to uint64, tables []string) map[string][]string {
	t.Helper()
	cfg := logminer.DefaultReaderConfig()
	cfg.Schema = "FINANCE_USER"
	for _, name := range tables {
		cfg.Tables = append(cfg.Tables, strings.TrimPrefix(name, "FINANCE_USER."))
	}
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	h := &streamCollector{rows: map[string][]string{}, to: to, stop: stop}
	if err := r.Run(ctx, logminer.PositionAt(from), h); err != context.Canceled {
		t.Fatalf("reader: %v", err)
	}
	return h.rows
}

type streamCollector struct {
	rows map[string][]string
	to   uint64
	stop context.CancelFunc
}

func (h *streamCollector) Change(_ context.Context, ev *change.Event) error {
	if ev.Op != change.OpCreate {
		return nil
	}
	var b strings.Builder
	for i, v := range ev.Row {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.Text)
	}
	h.rows[ev.Table.ID()] = append(h.rows[ev.Table.ID()], b.String())
	return nil
}

func (h *streamCollector) Boundary(_ context.Context, pos change.Position) error {
	if restart, _, _ := logminer.PositionSCNs(pos); restart > h.to {
		h.stop()
	}
	return nil
}
