package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/verify"
)

// nullFixture: rows whose V is NULL or the empty string (an empty LOB),
// which the sink writes as an empty field and as "".
func nullFixture(t *testing.T) (out, truth string) {
	t.Helper()
	e := change.Value{Text: ""}
	evs := []change.Event{
		{Op: change.OpCreate, Table: info, CommitSCN: 201, XID: "X1", Seq: 0, Row: []change.Value{{Text: "1"}, null()}},
		{Op: change.OpCreate, Table: info, CommitSCN: 201, XID: "X1", Seq: 1, Row: []change.Value{{Text: "2"}, e}},
		{Op: change.OpCreate, Table: info, CommitSCN: 202, XID: "X2", Seq: 0, Row: []change.Value{{Text: "3"}, e}},
		{Op: change.OpUpdate, Table: info, CommitSCN: 202, XID: "X2", Seq: 1, Row: []change.Value{{Text: "3"}, null()}},
	}
	out, truth = t.TempDir(), t.TempDir()
	writeSink(t, out, "0", evs, 10)
	writeChangeLog(t, truth, []*change.Table{info}, evs)
	writeDump(t, truth, info, []change.Value{{Text: "1"}, null()}, []change.Value{{Text: "2"}, e}, []change.Value{{Text: "3"}, null()})
	if err := os.WriteFile(filepath.Join(truth, "_keys.json"), []byte(`{"S.INFO":["ID"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, truth
}

// replaceLine replaces the line from with to in the table's output files,
// byte for byte, and fails the test unless it does once.
func replaceLine(t *testing.T, out, table, from, to string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, table, "part-*.csv"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if l == from {
				lines[i] = to
				n++
			}
		}
		if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Fatalf("%q is %d times in the output, want once", from, n)
	}
}

// TestNullIsNotEmpty: NULL and the empty string are different values to
// both checks.
func TestNullIsNotEmpty(t *testing.T) {
	out, truth := nullFixture(t)
	if rep := orderReport(t, out, truth); !rep.OK() {
		t.Fatalf("report:\n%s", rep)
	}
	tests := []struct {
		name, from, to string
		example        string
	}{
		{"NULL becomes the empty string", "c,201,201,,X1,0,1,", `c,201,201,,X1,0,1,""`,
			`wrong: xid X1 commit SCN 201 seq 0: got "c,201,201,,X1,0,1,\"\"" (S.INFO/part-0-0.csv line 2), want "c,201,X1,0,1," (_changes/S.INFO.csv line 2)`},
		{"the empty string becomes NULL", `c,201,201,,X1,1,2,""`, "c,201,201,,X1,1,2,",
			`wrong: xid X1 commit SCN 201 seq 1: got "c,201,201,,X1,1,2," (S.INFO/part-0-0.csv line 3), want "c,201,X1,1,2,\"\"" (_changes/S.INFO.csv line 3)`},
		{"the empty string becomes NULL in a row the next change overwrites", `c,202,202,,X2,0,3,""`, "c,202,202,,X2,0,3,",
			`wrong: xid X2 commit SCN 202 seq 0: got "c,202,202,,X2,0,3," (S.INFO/part-0-0.csv line 4)`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, truth := nullFixture(t)
			replaceLine(t, out, "S.INFO", tt.from, tt.to)
			rep := orderReport(t, out, truth)
			m, x, d, w := rep.Changes.Totals()
			if m+x+d != 0 || w != 1 || rep.OK() || !strings.Contains(rep.String(), tt.example) {
				t.Fatalf("want 1 wrong transaction and the example %q:\n%s", tt.example, rep)
			}
			// The final-state check sees the damage unless a later change
			// overwrites it.
			fm, fd, fx := rep.Totals()
			if final := fm + fd + fx; final != 0 != (i < 2) {
				t.Fatalf("the final-state check found %d differences:\n%s", final, rep)
			}
		})
	}
	t.Run("the final contents differ in NULL only", func(t *testing.T) {
		out, truth := nullFixture(t)
		writeDump(t, truth, info, []change.Value{{Text: "1"}, {Text: ""}}, []change.Value{{Text: "2"}, null()}, []change.Value{{Text: "3"}, null()})
		rep, err := verify.RunWith(out, truth, verify.Options{Mode: verify.ModeFinalState})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, x := rep.Totals(); x != 2 || !strings.Contains(rep.String(), `key 1: got "1,", want "1,\"\""`) {
			t.Fatalf("want 2 mismatched rows:\n%s", rep)
		}
	})
}
