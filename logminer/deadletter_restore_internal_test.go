package logminer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/oraclesim"
)

type stopAt struct{ positions []change.Position }

var errStop = errors.New("stop")

func (s *stopAt) Change(context.Context, *change.Event) error { return nil }
func (s *stopAt) Boundary(_ context.Context, p change.Position) error {
	s.positions = append(s.positions, p)
	return nil
}

// deadTxn feeds one committed transaction of an undecodable insert, with
// the XID and commit SCN given, into st.
func deadTxn(t *testing.T, st *runState, xid string, commit uint64) {
	t.Helper()
	rows := []rawRow{
		{scn: commit - 2, op: 6, xid: []byte(xid)},
		{scn: commit - 1, op: 1, xid: []byte(xid), owner: []byte("S"), table: []byte("T"), rowID: []byte("R" + xid), rsID: []byte(" 0x1 "),
			redo: sql.NullString{String: `insert into "S"."T"("ID","D") values ('1',TO_DATE('not a date', 'YYYY-MM-DD'));`, Valid: true}},
		{scn: commit, op: 7, xid: []byte(xid), thread: 1, ts: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)},
	}
	for i := range rows {
		if err := st.row(context.Background(), &rows[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// readerOn returns a reader of S.T on a simulator with that table, writing
// dead letters to path, and a run state for synthetic rows from pos.
func readerOn(t *testing.T, db *sql.DB, path string, pos position) (*Reader, *runState, *stopAt) {
	t.Helper()
	cfg := DefaultReaderConfig()
	cfg.Schema, cfg.Tables = "S", []string{"T"}
	cfg.DeadLetter, cfg.DeadLetterPath = DeadLetterWrite, path
	cfg.PollMin, cfg.PollMax = time.Millisecond, time.Millisecond
	r, err := NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ti, err := newTableInfo(0, "S", "T", [][2]string{{"ID", "NUMBER"}, {"D", "DATE"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &stopAt{}
	st := &runState{r: r, h: h, tables: []*tableInfo{ti}, byName: map[tableName]*tableInfo{{"S", "T"}: ti},
		txns: map[string]*txn{}, emitted: pos.clone()}
	st.pos = st.emitted.clone()
	return r, st, h
}

func deadLetterXIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var xids []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var rec deadLetterRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		xids = append(xids, rec.XID)
	}
	return xids
}

// TestDeadLetterExactlyOnce: a reader writes the dead letters of two
// transactions and "crashes" with only the first covered by the position
// resumed from. The next reader, started from that position, cuts the
// second transaction's line before it reads it again; each transaction has
// its line once.
func TestDeadLetterExactlyOnce(t *testing.T) {
	sim, err := oraclesim.New(oraclesim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if _, err := sim.CreateTable(oraclesim.TableSpec{Schema: "S", Name: "T", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "D", Type: "DATE"}}}); err != nil {
		t.Fatal(err)
	}
	// Some redo first, so that the SCNs below lie in the simulator's logs.
	wc := oraclesim.DefaultWorkloadConfig()
	wc.MaxChanges = 20
	w, err := oraclesim.NewWorkload(sim, wc)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "S"}))
	defer db.Close()
	base := sim.CurrentSCN()
	if base < oraclesim.DefaultConfig().StartSCN+20 {
		t.Fatalf("the workload left the SCN at %d", base)
	}
	path := filepath.Join(t.TempDir(), "dead.jsonl")

	r1, st1, h1 := readerOn(t, db, path, position{restart: base - 10, floor: base - 10})
	deadTxn(t, st1, "AA", base-6)
	deadTxn(t, st1, "BB", base-3)
	r1.dl.close()
	if got := deadLetterXIDs(t, path); strings.Join(got, ",") != "AA,BB" || len(h1.positions) != 2 {
		t.Fatalf("first reader: dead letters %v, %d positions", got, len(h1.positions))
	}
	checkpointed := h1.positions[0] // AA delivered, BB not

	// The restart: Run from the checkpoint's position, stopped by the
	// handler at its first boundary, once it has begun.
	r2, st2, _ := readerOn(t, db, path, position{})
	from, err := decodePosition(checkpointed)
	if err != nil {
		t.Fatal(err)
	}
	stop := &stopHandler{}
	if err := r2.Run(context.Background(), checkpointed, stop); !errors.Is(err, errStop) {
		t.Fatalf("Run: %v", err)
	}
	st2.emitted, st2.pos = from.clone(), from.clone()
	deadTxn(t, st2, "BB", base-3) // read again
	r2.dl.close()
	if got := deadLetterXIDs(t, path); strings.Join(got, ",") != "AA,BB" {
		t.Fatalf("dead letters after the restart: %v, want each transaction once", got)
	}
}

// stopHandler stops a reader at its first boundary.
type stopHandler struct{}

func (stopHandler) Change(context.Context, *change.Event) error     { return nil }
func (stopHandler) Boundary(context.Context, change.Position) error { return errStop }

// TestDeadLetterRestoreKeepsDelivered: the cut keeps the lines of delivered
// transactions, those of versions without a thread included, and cuts from
// the first line of a transaction not delivered on, a torn last line too.
func TestDeadLetterRestoreKeepsDelivered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	lines := []string{
		`{"commit_scn":5,"xid":"OLD"}`,            // before the floor, no thread
		`{"commit_scn":30,"xid":"LEGACY"}`,        // on some thread, no thread field
		`not a record`,                            // kept as it is
		`{"commit_scn":40,"xid":"AA","thread":1}`, // the last delivered
		`{"commit_scn":40,"xid":"BB","thread":1}`, // same SCN, not listed
		`{"commit_scn":50,"xid":"CC","thread":1}`, // later
	}
	content := strings.Join(lines, "\n") + "\n" + `{"commit_scn":60,"xi`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &deadLetters{path: path}
	pos := position{restart: 41, floor: 10, threads: []threadCommit{{Thread: 1, SCN: 40, XIDs: []string{"AA"}}}}
	if err := d.restore(&pos, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := strings.Join(lines[:4], "\n") + "\n"; string(b) != want {
		t.Fatalf("after the cut:\n%s\nwant:\n%s", b, want)
	}
	// Nothing to cut: the file stays as it is.
	if err := d.restore(&pos, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatalf("a second restore changed the file: %s", b2)
	}
}
