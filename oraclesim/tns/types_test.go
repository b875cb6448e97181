package tns

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// typeCase is one column of the all-types table: what the backend returns
// and what go-ora must hand back to database/sql.
type typeCase struct {
	col  tcol
	in   driver.Value
	want any
}

func typeCases() []typeCase {
	long := strings.Repeat("0123456789abcdef", 40) // 640 bytes: chunked
	huge := strings.Repeat("LogMiner SQL_REDO text. ", 500)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		shanghai = time.FixedZone("+08:00", 8*3600)
	}
	blob := bytes.Repeat([]byte{0, 1, 2, 0xFE, 0xFF}, 1000)
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC)
	return []typeCase{
		{tcol{name: "N_INT", typ: "NUMBER"}, "12345678901234567890", "12345678901234567890"},
		{tcol{name: "N_ZERO", typ: "NUMBER"}, "0", "0"},
		{tcol{name: "N_NEG", typ: "NUMBER", prec: 10, scal: 3}, "-3.142", "-3.142"},
		{tcol{name: "N_SMALL", typ: "NUMBER"}, "0.000123", "0.000123"},
		{tcol{name: "N_38", typ: "NUMBER"}, "99999999999999999999999999999999999999", "99999999999999999999999999999999999999"},
		{tcol{name: "N_INT64", typ: "NUMBER"}, int64(-9223372036854775808), "-9223372036854775808"},
		{tcol{name: "N_NULL", typ: "NUMBER"}, nil, nil},
		{tcol{name: "F", typ: "FLOAT"}, "1.5", "1.5"},
		{tcol{name: "BF", typ: "BINARY_FLOAT"}, float32(1.25), float32(1.25)},
		{tcol{name: "BD", typ: "BINARY_DOUBLE"}, 3.141592653589793, 3.141592653589793},
		{tcol{name: "BD_NEG", typ: "BINARY_DOUBLE"}, -1e-300, -1e-300},
		{tcol{name: "V", typ: "VARCHAR2", length: 100}, "hello", "hello"},
		{tcol{name: "V_EMPTY", typ: "VARCHAR2", length: 100}, "", nil},
		{tcol{name: "V_LONG", typ: "VARCHAR2", length: 4000}, long, long},
		{tcol{name: "V_253", typ: "VARCHAR2", length: 4000}, strings.Repeat("x", 253), strings.Repeat("x", 253)},
		{tcol{name: "V_252", typ: "VARCHAR2", length: 4000}, strings.Repeat("y", 252), strings.Repeat("y", 252)},
		{tcol{name: "V_UNI", typ: "VARCHAR2", length: 100}, "Grüße 你好 😀 'q' \"d\",", "Grüße 你好 😀 'q' \"d\","},
		{tcol{name: "NV", typ: "NVARCHAR2", length: 100}, "Grüße 你好 😀", "Grüße 你好 😀"},
		{tcol{name: "C", typ: "CHAR", length: 3}, "CNY", "CNY"},
		{tcol{name: "NC", typ: "NCHAR", length: 2}, "你好", "你好"},
		{tcol{name: "D", typ: "DATE"}, time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC), time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)},
		{tcol{name: "D_OLD", typ: "DATE"}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{tcol{name: "TS", typ: "TIMESTAMP"}, ts, ts},
		{tcol{name: "TS3", typ: "TIMESTAMP(3)"}, time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC), time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC)},
		{tcol{name: "TSTZ_OFF", typ: "TIMESTAMP WITH TIME ZONE"}, ts.In(time.FixedZone("+05:30", 5*3600+1800)), ts.In(time.FixedZone("+05:30", 5*3600+1800))},
		{tcol{name: "TSTZ_NEG", typ: "TIMESTAMP WITH TIME ZONE"}, ts.In(time.FixedZone("-07:00", -7*3600)), ts.In(time.FixedZone("-07:00", -7*3600))},
		{tcol{name: "TSTZ_UTC", typ: "TIMESTAMP WITH TIME ZONE"}, ts, ts},
		{tcol{name: "TSTZ_REGION", typ: "TIMESTAMP(6) WITH TIME ZONE"}, ts.In(shanghai), ts.In(shanghai)},
		{tcol{name: "TSLTZ", typ: "TIMESTAMP WITH LOCAL TIME ZONE"}, ts, ts},
		{tcol{name: "R", typ: "RAW", length: 16}, []byte{0, 1, 2, 0xFF}, []byte{0, 1, 2, 0xFF}},
		{tcol{name: "R_LONG", typ: "RAW", length: 2000}, bytes.Repeat([]byte{0xAB}, 2000), bytes.Repeat([]byte{0xAB}, 2000)},
		{tcol{name: "R_NULL", typ: "RAW", length: 16}, nil, nil},
		{tcol{name: "CL", typ: "CLOB"}, huge, huge},
		{tcol{name: "CL_SHORT", typ: "CLOB"}, "short clob", "short clob"},
		{tcol{name: "CL_NULL", typ: "CLOB"}, nil, nil},
		{tcol{name: "NCL", typ: "NCLOB"}, "national 你好 " + long, "national 你好 " + long},
		{tcol{name: "BL", typ: "BLOB"}, blob, blob},
	}
}

// equalValue compares what database/sql returned with what we expect;
// times must be the same instant in a zone with the same offset and name.
func equalValue(got, want any) error {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		if !ok {
			return fmt.Errorf("got %T %v, want time.Time %v", got, got, w)
		}
		gn, goff := g.Zone()
		wn, woff := w.Zone()
		if !g.Equal(w) || goff != woff || gn != wn {
			return fmt.Errorf("got %v (%s %d), want %v (%s %d)", g, gn, goff, w, wn, woff)
		}
		return nil
	case []byte:
		g, ok := got.([]byte)
		if !ok || !bytes.Equal(g, w) {
			return fmt.Errorf("got %T %.40v, want []byte %.40v", got, got, w)
		}
		return nil
	}
	if fmt.Sprintf("%T|%v", got, got) != fmt.Sprintf("%T|%v", want, want) {
		return fmt.Errorf("got %T %.80v, want %T %.80v", got, got, want, want)
	}
	return nil
}

func TestTypesRoundTrip(t *testing.T) {
	db := newTestDB()
	cases := typeCases()
	cols := make([]tcol, len(cases))
	row := make([]driver.Value, len(cases))
	for i, c := range cases {
		cols[i] = c.col
		row[i] = c.in
	}
	db.createTable("ALLTYPES", cols...)
	db.tables["ALLTYPES"].rows = [][]driver.Value{row, row, row}
	ts := startServer(t, db, nil)
	for _, opts := range []string{"", "PREFETCH_ROWS=1", "PREFETCH_ROWS=1000"} {
		t.Run("opts="+opts, func(t *testing.T) {
			sqldb := ts.open(t, opts)
			rows, err := sqldb.QueryContext(testCtx(t), "SELECT * FROM ALLTYPES")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			names, _ := rows.Columns()
			if len(names) != len(cases) {
				t.Fatalf("got %d columns, want %d", len(names), len(cases))
			}
			n := 0
			for rows.Next() {
				dest := make([]any, len(cases))
				ptrs := make([]any, len(cases))
				for i := range dest {
					ptrs[i] = &dest[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, c := range cases {
					if names[i] != c.col.name {
						t.Errorf("column %d named %q, want %q", i, names[i], c.col.name)
					}
					if err := equalValue(dest[i], c.want); err != nil {
						t.Errorf("row %d %s (%s): %v", n, c.col.name, c.col.typ, err)
					}
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("got %d rows, want 3", n)
			}
		})
	}
}

func TestNoRows(t *testing.T) {
	db := newTestDB()
	db.createTable("EMPTY", tcol{name: "ID", typ: "NUMBER"})
	db.createTable("EMPTYLOB", tcol{name: "ID", typ: "NUMBER"}, tcol{name: "C", typ: "CLOB"})
	ts := startServer(t, db, nil)
	sqldb := ts.open(t, "")
	for _, tbl := range []string{"EMPTY", "EMPTYLOB"} {
		var id string
		err := sqldb.QueryRowContext(testCtx(t), "SELECT * FROM "+tbl).Scan(&id)
		if err != sql.ErrNoRows {
			t.Fatalf("%s: got %v, want sql.ErrNoRows", tbl, err)
		}
	}
}

// TestRepeatedValuesAcrossBatches drives the changed-columns-only row
// encoding: random rows drawn from tiny alphabets (so values repeat, turn
// NULL and change back) must arrive intact for every batch size.
func TestRepeatedValuesAcrossBatches(t *testing.T) {
	db := newTestDB()
	cols := []tcol{
		{name: "N", typ: "NUMBER"}, {name: "S", typ: "VARCHAR2", length: 400},
		{name: "D", typ: "DATE"}, {name: "R", typ: "RAW", length: 4}, {name: "C", typ: "CLOB"},
		{name: "F", typ: "BINARY_DOUBLE"}, {name: "S2", typ: "VARCHAR2", length: 10},
		{name: "S3", typ: "VARCHAR2", length: 10}, {name: "N2", typ: "NUMBER"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...driver.Value) driver.Value { return vals[rng.IntN(len(vals))] }
	var data [][]driver.Value
	for i := 0; i < 500; i++ {
		data = append(data, []driver.Value{
			pick("1", "2", nil),
			pick("a", strings.Repeat("b", 300), nil),
			pick(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), nil),
			pick([]byte{1}, []byte{2, 3}, nil),
			pick("clob", nil, strings.Repeat("c", 500)),
			pick(1.5, -2.0, nil),
			pick("x", "y"),
			pick("z", nil),
			strconv.Itoa(i),
		})
	}
	db.createTable("REP", cols...)
	db.tables["REP"].rows = data
	ts := startServer(t, db, nil)
	for _, prefetch := range []int{1, 2, 7, 1000} {
		t.Run(fmt.Sprint("prefetch=", prefetch), func(t *testing.T) {
			sqldb := ts.open(t, fmt.Sprint("PREFETCH_ROWS=", prefetch))
			for pass := 0; pass < 2; pass++ { // the second pass re-executes a cached cursor
				rows, err := sqldb.QueryContext(testCtx(t), "SELECT * FROM REP")
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for rows.Next() {
					got := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range got {
						ptrs[i] = &got[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					for i := range cols {
						want := any(data[n][i])
						if s, ok := want.(string); ok && s == "" {
							want = nil
						}
						if err := equalValue(got[i], want); err != nil {
							t.Fatalf("row %d %s: %v", n, cols[i].name, err)
						}
					}
					n++
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if n != len(data) {
					t.Fatalf("got %d rows, want %d", n, len(data))
				}
			}
		})
	}
}
