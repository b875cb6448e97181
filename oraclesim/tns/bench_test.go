package tns

import (
	"database/sql"
	"testing"
	"time"
)

// BenchmarkLogMinerFetch measures V$LOGMNR_CONTENTS-shaped rows (15 columns,
// a ~300-byte SQL_REDO) fetched through go-ora from the listener on
// loopback, the way the LogMiner reader fetches them.
func BenchmarkLogMinerFetch(b *testing.B) {
	for _, prefetch := range []string{"1000", "5000"} {
		b.Run("prefetch="+prefetch, func(b *testing.B) {
			db := newTestDB()
			db.gen["V$LOGMNR_CONTENTS"] = logminerTable()
			ts := startServer(b, db, nil)
			sqldb := ts.open(b, "PREFETCH_ROWS="+prefetch)
			ctx := testCtx(b)
			conn, err := sqldb.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			const perQuery = 200_000
			if _, err := conn.ExecContext(ctx, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2); END;", int64(0), int64(perQuery)); err != nil {
				b.Fatal(err)
			}
			var (
				scn, commitSCN, opCode, op, owner, table, rowID, csf, rsID, ssn, thread, rollback, redo sql.NullString
				stamp                                                                                   time.Time
				xid                                                                                     []byte
			)
			b.ResetTimer()
			start := time.Now()
			total := 0
			for total < b.N {
				rows, err := conn.QueryContext(ctx, "SELECT * FROM V$LOGMNR_CONTENTS")
				if err != nil {
					b.Fatal(err)
				}
				for total < b.N && rows.Next() {
					if err := rows.Scan(&scn, &commitSCN, &stamp, &opCode, &op, &owner, &table, &rowID, &xid, &csf, &rsID, &ssn, &thread, &rollback, &redo); err != nil {
						b.Fatal(err)
					}
					total++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "rows/s")
		})
	}
}
