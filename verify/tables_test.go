package verify_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/verify"
)

// tablesFixture: transactions that change S.INFO and S.LOG, and the output
// of a job that captures S.INFO alone, its _seq counted over S.INFO's
// changes only, as LogMiner's filtered query gives them; with overAll,
// the output keeps the truth's _seq instead.
func tablesFixture(t *testing.T, overAll bool) (out, truth string) {
	t.Helper()
	evs := []change.Event{
		{Op: change.OpCreate, Table: info, CommitSCN: 201, XID: "T1", Seq: 0, Row: v("1", "a")},
		{Op: change.OpCreate, Table: logt, CommitSCN: 201, XID: "T1", Seq: 1, Row: v("p", "q")},
		{Op: change.OpCreate, Table: info, CommitSCN: 201, XID: "T1", Seq: 2, Row: v("2", "b")},
		{Op: change.OpCreate, Table: logt, CommitSCN: 202, XID: "T2", Seq: 0, Row: v("r", "s")},
		{Op: change.OpUpdate, Table: info, CommitSCN: 202, XID: "T2", Seq: 1, Row: v("1", "a2")},
		{Op: change.OpDelete, Table: logt, CommitSCN: 202, XID: "T2", Seq: 2, Row: v("p", "q")},
		{Op: change.OpDelete, Table: info, CommitSCN: 202, XID: "T2", Seq: 3, Row: v("2", "b")},
	}
	out, truth = t.TempDir(), t.TempDir()
	writeChangeLog(t, truth, []*change.Table{info, logt}, evs)
	writeDump(t, truth, info, v("1", "a2"))
	writeDump(t, truth, logt, v("r", "s"))
	if err := os.WriteFile(filepath.Join(truth, "_keys.json"), []byte(`{"S.INFO":["ID"],"S.LOG":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var job []change.Event
	seq := map[string]int{}
	for _, e := range evs {
		if e.Table != info {
			continue
		}
		if !overAll {
			e.Seq = seq[e.XID]
			seq[e.XID]++
		}
		job = append(job, e)
	}
	writeSink(t, out, "0", job, 2)
	return out, truth
}

// TestTables: a job capturing some tables is checked on those, with _seq
// counted over them.
func TestTables(t *testing.T) {
	only := verify.Options{Tables: []string{"S.INFO"}}
	t.Run("the tables captured", func(t *testing.T) {
		out, truth := tablesFixture(t, false)
		rep, err := verify.RunWith(out, truth, only)
		if err != nil {
			t.Fatal(err)
		}
		c := rep.Changes
		if !rep.OK() || len(c.Tables) != 1 || c.Tables[0].Want != 2 || c.Tables[0].WantChanges != 4 ||
			len(rep.Tables) != 1 || rep.Tables[0].Table != "S.INFO" || !strings.Contains(rep.String(), "only the tables S.INFO, _seq counted over them") {
			t.Fatalf("report:\n%s", rep)
		}
	})
	t.Run("every table", func(t *testing.T) {
		out, truth := tablesFixture(t, false)
		rep, err := verify.Run(out, truth)
		if err != nil {
			t.Fatal(err)
		}
		m, x, d, w := rep.Changes.Totals()
		if m != 2 || x+d != 0 || w != 2 || rep.OK() {
			t.Fatalf("want S.LOG's 2 transactions missing and S.INFO's 2 wrong:\n%s", rep)
		}
	})
	t.Run("_seq counted over every table", func(t *testing.T) {
		out, truth := tablesFixture(t, true)
		rep, err := verify.RunWith(out, truth, only)
		if err != nil {
			t.Fatal(err)
		}
		if m, x, d, w := rep.Changes.Totals(); m+x+d != 0 || w != 2 || !strings.Contains(rep.String(), "xid T1 commit SCN 201 seq 1 is missing") {
			t.Fatalf("want 2 wrong transactions:\n%s", rep)
		}
	})
	for _, bad := range [][]string{{"S.NONE"}, {"INFO"}, {"S.INFO", "S."}} {
		out, truth := tablesFixture(t, false)
		if _, err := verify.RunWith(out, truth, verify.Options{Tables: bad}); !errors.Is(err, verify.ErrTable) {
			t.Errorf("--tables %v: err = %v", bad, err)
		}
	}
}
