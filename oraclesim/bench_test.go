package oraclesim

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// BenchmarkLogMinerContents measures V$LOGMNR_CONTENTS rows/s produced in
// process through database/sql, selecting the columns a reader selects,
// over a workload of TRANS_INFO changes.
func BenchmarkLogMinerContents(b *testing.B) {
	db, _ := newTestDB(b, func(c *Config) { c.LogFileSize = 1 << 30 })
	wcfg := DefaultWorkloadConfig()
	wcfg.MaxChanges = 100000
	wcfg.BigRemarkShare = 0.001
	w, err := NewWorkload(db, wcfg)
	if err != nil {
		b.Fatal(err)
	}
	start := db.CurrentSCN()
	if err := w.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	sdb := sql.OpenDB(NewConnector(db, ConnOptions{User: "SYSTEM"}))
	defer sdb.Close()
	ctx := context.Background()
	c, err := sdb.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, s := range readerNLS {
		if _, err := c.ExecContext(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.ExecContext(ctx, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => DBMS_LOGMNR.NEW); END;", db.Config().OnlineLogDir+"/redo01.log"); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG + DBMS_LOGMNR.NO_ROWID_IN_STMT); END;", start); err != nil {
		b.Fatal(err)
	}
	const q = `SELECT SCN, START_SCN, COMMIT_SCN, TIMESTAMP, COMMIT_TIMESTAMP, XID, OPERATION_CODE, SEG_OWNER, TABLE_NAME, ROW_ID,
		SQL_REDO, CSF, RS_ID, SSN, ROLLBACK, STATUS, THREAD# FROM V$LOGMNR_CONTENTS WHERE SCN > :1 AND OPERATION_CODE IN (1,2,3,6,7,36)`
	var (
		scn, startSCN, opcode, csf, ssn, rollback, status, thread string
		commitSCN, owner, table, redo                             sql.NullString
		ts                                                        time.Time
		commitTS                                                  sql.NullTime
		xid                                                       []byte
		rowid, rsid                                               string
	)
	b.ReportAllocs()
	b.ResetTimer()
	rowsTotal := 0
	begin := time.Now()
	for i := 0; i < b.N; i++ {
		rows, err := c.QueryContext(ctx, q, start)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(&scn, &startSCN, &commitSCN, &ts, &commitTS, &xid, &opcode, &owner, &table, &rowid, &redo, &csf, &rsid, &ssn, &rollback, &status, &thread); err != nil {
				b.Fatal(err)
			}
			rowsTotal++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
	}
	b.ReportMetric(float64(rowsTotal)/time.Since(begin).Seconds(), "rows/s")
	b.ReportMetric(float64(rowsTotal)/float64(b.N), "rows/op")
}
