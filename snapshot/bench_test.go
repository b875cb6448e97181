package snapshot_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/snapshot"
)

// bigTable creates S.BIG with n rows: a composite key (REGION, SEQ) and a
// few payload columns.
func bigTable(tb testing.TB, n int) (*oraclesim.DB, *sql.DB) {
	db, err := oraclesim.New(oraclesim.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	t, err := db.CreateTable(oraclesim.TableSpec{Schema: "S", Name: "BIG", PrimaryKey: []string{"REGION", "SEQ"}, Columns: []oraclesim.ColumnSpec{
		{Name: "REGION", Type: "VARCHAR2(8)", NotNull: true}, {Name: "SEQ", Type: "NUMBER", NotNull: true},
		{Name: "AMOUNT", Type: "NUMBER(18,2)"}, {Name: "AT", Type: "TIMESTAMP(6)"}, {Name: "NOTE", Type: "VARCHAR2(200)"},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	regions := []string{"north", "south", "east", "west", "上海"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; {
		tx := db.Begin("S")
		for k := 0; k < 1000 && i < n; k, i = k+1, i+1 {
			if _, err := tx.Insert(t, regions[i%len(regions)], int64(i), fmt.Sprintf("%d.%02d", i, i%100), base.Add(time.Duration(i)*time.Second), "note "+strconv.Itoa(i)); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	sqldb := sql.OpenDB(oraclesim.NewConnector(db, oraclesim.ConnOptions{User: "S"}))
	tb.Cleanup(func() { sqldb.Close() })
	return db, sqldb
}

// TestCompositeKeyChunks: a two-column key splits into tuple ranges that
// cover every row once.
func TestCompositeKeyChunks(t *testing.T) {
	db, sqldb := bigTable(t, 2345)
	cfg := snapshot.DefaultConfig()
	cfg.Tables, cfg.ChunkSize, cfg.Parallelism = []string{"S.BIG"}, 100, 3
	r, _ := snapshot.New(sqldb, cfg)
	pos, err := r.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pos.Tables[0].Key, []string{"REGION", "SEQ"}) || pos.Tables[0].Chunks() != 24 {
		t.Fatalf("plan %v with %d chunks, want the composite key and 24 chunks", pos.Tables[0].Key, pos.Tables[0].Chunks())
	}
	c := newCollector(0)
	if _, err := r.Run(context.Background(), pos, c); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedRows(c.rows["S.BIG"]), truth(t, db, "S.BIG", pos.SCN); !slices.Equal(got, want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
}

type countHandler struct{ n int64 }

func (h *countHandler) Change(context.Context, *change.Event) error     { h.n++; return nil }
func (h *countHandler) Boundary(context.Context, change.Position) error { return nil }

// BenchmarkSnapshot reads a table (SNAPSHOT_BENCH_ROWS rows, default
// 200000; make bench uses 2000000) with 1, 2 and 4 slots, in process.
func BenchmarkSnapshot(b *testing.B) {
	rows := 200000
	if v, err := strconv.Atoi(os.Getenv("SNAPSHOT_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	_, sqldb := bigTable(b, rows)
	for _, slots := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) {
			cfg := snapshot.DefaultConfig()
			cfg.Tables, cfg.Parallelism = []string{"S.BIG"}, slots
			r, _ := snapshot.New(sqldb, cfg)
			var total int64
			for b.Loop() {
				pos, err := r.Plan(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				h := &countHandler{}
				if _, err := r.Run(context.Background(), pos, h); err != nil {
					b.Fatal(err)
				}
				total += h.n
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
