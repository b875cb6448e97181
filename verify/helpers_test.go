package verify_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	csvsink "github.com/redoflow/redoflow/sink/csv"
)

// field encodes a value as the sink and the truth writers do: NULL as an
// empty field, an empty value as "", quotes where encoding/csv puts them.
func field(v change.Value) string {
	switch {
	case v.Null:
		return ""
	case v.Text == "":
		return `""`
	case strings.ContainsAny(v.Text, ",\"\r\n") || v.Text[0] == ' ':
		return `"` + strings.ReplaceAll(v.Text, `"`, `""`) + `"`
	}
	return v.Text
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func header(tbl *change.Table, meta ...string) string {
	h := meta
	for _, c := range tbl.Columns {
		h = append(h, c.Name)
	}
	return strings.Join(h, ",")
}

// writeChangeLog writes the truth's change log of evs, in commit order,
// for each of tables (a header alone for a table evs do not change).
func writeChangeLog(t *testing.T, truth string, tables []*change.Table, evs []change.Event) {
	t.Helper()
	for _, tbl := range tables {
		lines := []string{header(tbl, "_op", "_commit_scn", "_xid", "_seq")}
		for _, e := range evs {
			if e.Table != tbl {
				continue
			}
			l := string(e.Op) + "," + strconv.FormatUint(e.CommitSCN, 10) + "," + e.XID + "," + strconv.Itoa(e.Seq)
			for _, x := range e.Row {
				l += "," + field(x)
			}
			lines = append(lines, l)
		}
		writeLines(t, filepath.Join(truth, "_changes", tbl.ID()+".csv"), lines)
	}
}

// writeDump writes a table's final contents to the truth.
func writeDump(t *testing.T, truth string, tbl *change.Table, rows ...[]change.Value) {
	t.Helper()
	lines := []string{header(tbl)}
	for _, r := range rows {
		var f []string
		for _, x := range r {
			f = append(f, field(x))
		}
		lines = append(lines, strings.Join(f, ","))
	}
	writeLines(t, filepath.Join(truth, tbl.ID()+".csv"), lines)
}

// writeSink writes evs through the real sink as task, committing (and so
// rolling every table's file) after each per events.
func writeSink(t *testing.T, out, task string, evs []change.Event, per int) {
	t.Helper()
	cfg := csvsink.DefaultConfig()
	now := time.Unix(0, 0)
	cfg.Dir, cfg.Task, cfg.Now = out, task, func() time.Time { return now }
	s, err := csvsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commit := func() {
		now = now.Add(time.Hour)
		st, err := s.PreCommit()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(st); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range evs {
		if e.SCN == 0 {
			e.SCN = e.CommitSCN
		}
		if err := s.Write(&e); err != nil {
			t.Fatal(err)
		}
		if (i+1)%per == 0 {
			commit()
		}
	}
	commit()
}

func null() change.Value { return change.Value{Null: true} }
