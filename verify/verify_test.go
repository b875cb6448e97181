package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	csvsink "github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/verify"
)

var info = &change.Table{Schema: "S", Name: "INFO", Columns: []change.Column{{Name: "ID"}, {Name: "V"}}}
var logt = &change.Table{Schema: "S", Name: "LOG", Columns: []change.Column{{Name: "A"}, {Name: "B"}}}

func v(s ...string) []change.Value {
	out := make([]change.Value, len(s))
	for i, x := range s {
		out[i] = change.Value{Text: x}
	}
	return out
}

// fixture writes a change log through the real sink (rolling a file per
// checkpoint) and the matching truth.
func fixture(t *testing.T) (out, truth string) {
	out, truth = t.TempDir(), t.TempDir()
	cfg := csvsink.DefaultConfig()
	now := time.Unix(0, 0)
	cfg.Dir, cfg.Task, cfg.Now = out, "0", func() time.Time { return now }
	s, err := csvsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	evs := []change.Event{
		{Op: change.OpRead, Table: info, SCN: 100, CommitSCN: 100, Row: v("1", "a")},
		{Op: change.OpRead, Table: info, SCN: 100, CommitSCN: 100, Row: v("2", "b")},
		{Op: change.OpCreate, Table: info, SCN: 101, CommitSCN: 103, XID: "x1", Seq: 0, Row: v("3", "c")},
		{Op: change.OpUpdate, Table: info, SCN: 102, CommitSCN: 103, XID: "x1", Seq: 1, Row: v("1", "a2")},
		{Op: change.OpCreate, Table: logt, SCN: 104, CommitSCN: 106, XID: "x2", Seq: 0, Row: v("p", "q")},
		{Op: change.OpCreate, Table: logt, SCN: 105, CommitSCN: 106, XID: "x2", Seq: 1, Row: v("p", "q")},
		{Op: change.OpDelete, Table: info, SCN: 107, CommitSCN: 108, XID: "x3", Seq: 0, Row: v("2", "b")},
		{Op: change.OpDelete, Table: logt, SCN: 109, CommitSCN: 110, XID: "x4", Seq: 0, Row: v("p", "q")},
	}
	for i := range evs {
		if err := s.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 {
			now = now.Add(time.Hour)
			st, err := s.PreCommit()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(st); err != nil {
				t.Fatal(err)
			}
		}
	}
	now = now.Add(time.Hour)
	st, _ := s.PreCommit()
	if err := s.Commit(st); err != nil {
		t.Fatal(err)
	}
	s.Close()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(truth, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("S.INFO.csv", "ID,V\n1,a2\n3,c\n")
	write("S.LOG.csv", "A,B\np,q\n")
	write("_keys.json", `{"S.INFO":["ID"],"S.LOG":[]}`)
	return out, truth
}

func TestVerifyMatches(t *testing.T) {
	out, truth := fixture(t)
	rep, err := verify.Run(out, truth)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("report:\n%s", rep)
	}
	if rep.Tables[0].Changes != 5 || rep.Tables[1].Changes != 3 {
		t.Fatalf("counted %d and %d changes, want 5 and 3:\n%s", rep.Tables[0].Changes, rep.Tables[1].Changes, rep)
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	tests := []struct {
		name                          string
		damage                        func(t *testing.T, out, truth string)
		missing, duplicated, mismatch int
	}{
		// part-0-0 holds the snapshot rows 1 and 2 and the insert of 3: row
		// 3 goes missing, and the update of 1 and the delete of 2 find
		// nothing to change.
		{"a lost file", func(t *testing.T, out, _ string) {
			os.Remove(filepath.Join(out, "S.INFO", "part-0-0.csv"))
		}, 1, 0, 2},
		{"a file written twice", func(t *testing.T, out, _ string) {
			copyFile(t, filepath.Join(out, "S.INFO", "part-0-0.csv"), filepath.Join(out, "S.INFO", "part-1-0.csv"))
		}, 0, 3, 0},
		{"a changed value", func(t *testing.T, _, truth string) {
			os.WriteFile(filepath.Join(truth, "S.INFO.csv"), []byte("ID,V\n1,a3\n3,c\n"), 0o644)
		}, 0, 0, 1},
		{"a row the source does not have", func(t *testing.T, _, truth string) {
			os.WriteFile(filepath.Join(truth, "S.INFO.csv"), []byte("ID,V\n1,a2\n"), 0o644)
		}, 0, 1, 0},
		{"a keyless snapshot row written twice", func(t *testing.T, out, _ string) {
			os.WriteFile(filepath.Join(out, "S.LOG", "part-1-0.csv"), []byte("_op,_scn,_commit_scn,_commit_ts,_xid,_seq,A,B\nr,100,100,,,0,p,q\n"), 0o644)
		}, 0, 1, 0},
		{"a keyless row missing", func(t *testing.T, _, truth string) {
			os.WriteFile(filepath.Join(truth, "S.LOG.csv"), []byte("A,B\np,q\np,q\n"), 0o644)
		}, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, truth := fixture(t)
			tt.damage(t, out, truth)
			rep, err := verify.Run(out, truth)
			if err != nil {
				t.Fatal(err)
			}
			m, d, x := rep.Totals()
			if m != tt.missing || d != tt.duplicated || x != tt.mismatch || rep.OK() {
				t.Fatalf("got %d missing, %d duplicated, %d mismatched; want %d, %d, %d\n%s", m, d, x, tt.missing, tt.duplicated, tt.mismatch, rep)
			}
		})
	}
}

func TestVerifyRejectsWrongColumns(t *testing.T) {
	out, truth := fixture(t)
	os.WriteFile(filepath.Join(truth, "S.INFO.csv"), []byte("ID,OTHER\n1,a2\n"), 0o644)
	if _, err := verify.Run(out, truth); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Fatalf("err = %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
