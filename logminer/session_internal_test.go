package logminer

import (
	"slices"
	"testing"
)

// TestContentsQueryText: the query the reader sends, built from the
// operation codes, is the SQL text it has always sent.
func TestContentsQueryText(t *testing.T) {
	q, args := contentsQuery(ReaderConfig{Schema: "S", Tables: []string{"T1", "T2", "O.T3"}})
	want := "SELECT SCN, OPERATION_CODE, RAWTOHEX(XID), ROLLBACK, SEG_OWNER, TABLE_NAME, ROW_ID, CSF, RS_ID, THREAD#, TIMESTAMP, SQL_REDO FROM V$LOGMNR_CONTENTS WHERE OPERATION_CODE IN (6, 7, 36)" +
		" OR (OPERATION_CODE IN (1, 2, 3) AND SEG_OWNER = :1 AND TABLE_NAME IN (:2, :3))" +
		" OR (OPERATION_CODE IN (1, 2, 3) AND SEG_OWNER = :4 AND TABLE_NAME IN (:5))"
	if q != want {
		t.Errorf("query\n got %s\nwant %s", q, want)
	}
	if wantArgs := []any{"S", "T1", "T2", "O", "T3"}; !slices.Equal(args, wantArgs) {
		t.Errorf("args = %v, want %v", args, wantArgs)
	}
}
