package oraclesim

import (
	"context"
	"testing"
)

func TestSmokeLogMinerOverSQL(t *testing.T) {
	db, _ := newTestDB(t, nil)
	mustTable(t, db, TableSpec{Schema: "FINANCE_USER", Name: "T", Columns: []ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "NAME", Type: "VARCHAR2(20)"}, {Name: "TS", Type: "TIMESTAMP(6)"}}, PrimaryKey: []string{"ID"}})
	sdb := openSQL(t, db, "FINANCE_USER")
	c := conn(t, sdb)
	start := db.CurrentSCN()
	execT(t, c, "INSERT INTO T (ID, NAME, TS) VALUES (:1, :2, TIMESTAMP '2020-01-15 10:30:00.123')", 1, "it's")
	execT(t, c, "UPDATE FINANCE_USER.T SET NAME = 'b' WHERE ID = 1")
	execT(t, c, `DELETE FROM "FINANCE_USER"."T" WHERE ID = :1`, 1)
	for _, s := range readerNLS {
		execT(t, c, s)
	}
	rows := mine(t, c, start, "")
	t.Log("\n" + joinRedo(rows))
	var n int
	if err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM T").Scan(&n); err != nil || n != 0 {
		t.Fatal(n, err)
	}
}
