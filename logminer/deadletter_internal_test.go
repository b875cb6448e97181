package logminer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/change"
)

type collect struct{ evs []string }

func (c *collect) Change(_ context.Context, ev *change.Event) error {
	c.evs = append(c.evs, ev.Row[0].Text+"/"+ev.Row[1].Text)
	return nil
}
func (c *collect) Boundary(context.Context, change.Position) error { return nil }

// feed runs synthetic V$LOGMNR_CONTENTS rows through a reader's row
// handling: a good insert, an unparsable one and a commit.
func feed(t *testing.T, cfg ReaderConfig) (*Reader, *collect, error) {
	t.Helper()
	cfg.Schema, cfg.Tables = "S", []string{"T"}
	r, err := NewReader(&sql.DB{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ti, err := newTableInfo(0, "S", "T", [][2]string{{"ID", "NUMBER"}, {"D", "DATE"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &collect{}
	st := &runState{r: r, h: h, tables: []*tableInfo{ti}, byName: map[tableName]*tableInfo{{"S", "T"}: ti},
		txns: map[string]*txn{}, emitted: position{restart: 1, floor: 1}}
	st.pos = st.emitted.clone()
	rows := []rawRow{
		{scn: 10, op: 6, xid: []byte("AA")},
		{scn: 11, op: 1, xid: []byte("AA"), owner: []byte("S"), table: []byte("T"), rowID: []byte("R1"), rsID: []byte(" 0x1.2.3 "),
			redo: sql.NullString{String: `insert into "S"."T"("ID","D") values ('1',TO_DATE('2024-01-02 03:04:05', 'YYYY-MM-DD HH24:MI:SS'));`, Valid: true}},
		{scn: 12, op: 1, xid: []byte("AA"), owner: []byte("S"), table: []byte("T"), rowID: []byte("R2"), rsID: []byte(" 0x1.2.4 "),
			redo: sql.NullString{String: `insert into "S"."T"("ID","D") values ('2',TO_DATE('not a date', 'YYYY-MM-DD'));`, Valid: true}},
		{scn: 13, op: 7, xid: []byte("AA"), thread: 1, ts: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)},
	}
	for i := range rows {
		if err := st.row(context.Background(), &rows[i]); err != nil {
			return r, h, err
		}
	}
	return r, h, nil
}

// TestDeadLetterPolicy: under "dead-letter" an undecodable committed row
// is written with SCN, XID, RS_ID, SQL_REDO and the error and counted, the
// rest of the transaction is delivered; under "fail" it stops the reader
// with a fatal ErrUnparsable naming the row.
func TestDeadLetterPolicy(t *testing.T) {
	cfg := DefaultReaderConfig()
	cfg.DeadLetter = DeadLetterWrite
	cfg.DeadLetterPath = filepath.Join(t.TempDir(), "dead.jsonl")
	r, h, err := feed(t, cfg)
	r.dl.close()
	if err != nil {
		t.Fatal(err)
	}
	if len(h.evs) != 1 || h.evs[0] != "1/2024-01-02T03:04:05" {
		t.Errorf("delivered %q", h.evs)
	}
	if r.DeadLetters() != 1 {
		t.Errorf("DeadLetters = %d", r.DeadLetters())
	}
	b, err := os.ReadFile(cfg.DeadLetterPath)
	if err != nil {
		t.Fatal(err)
	}
	var rec deadLetterRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if rec.SCN != 12 || rec.CommitSCN != 13 || rec.XID != "AA" || rec.RSID != "0x1.2.4" || !strings.Contains(rec.SQLRedo, "not a date") || rec.Error == "" || rec.Table != "S.T" {
		t.Errorf("dead letter %+v", rec)
	}

	cfg = DefaultReaderConfig()
	_, _, err = feed(t, cfg)
	if !errors.Is(err, ErrUnparsable) || !IsFatal(err) || !strings.Contains(err.Error(), "0x1.2.4") || !strings.Contains(err.Error(), "SCN 12") {
		t.Errorf("fail policy: %v", err)
	}
}

// TestPickLogsGaps covers log selection without a database.
func TestPickLogsGaps(t *testing.T) {
	l := func(th int, seq, first, next uint64, ok bool) *redoLog {
		return &redoLog{thread: th, seq: seq, first: first, next: next, name: "f" + string(rune('0'+seq)), available: ok}
	}
	logs := func(ls ...*redoLog) map[int]map[uint64]*redoLog {
		m := map[int]map[uint64]*redoLog{}
		for _, x := range ls {
			if m[x.thread] == nil {
				m[x.thread] = map[uint64]*redoLog{}
			}
			m[x.thread][x.seq] = x
		}
		return m
	}
	files, err := pickLogs(logs(l(1, 1, 100, 200, true), l(1, 2, 200, 300, true), l(1, 3, 300, 0, true)), 250, 260)
	if err != nil || strings.Join(files, ",") != "f2" {
		t.Errorf("window in one log: %v %v", files, err)
	}
	files, err = pickLogs(logs(l(1, 1, 100, 200, true), l(1, 2, 200, 300, true), l(1, 3, 300, 0, true)), 150, 350)
	if err != nil || strings.Join(files, ",") != "f1,f2,f3" {
		t.Errorf("window over three logs: %v %v", files, err)
	}
	_, err = pickLogs(logs(l(1, 1, 100, 200, true), l(1, 3, 300, 0, true)), 150, 350)
	if !errors.Is(err, ErrMissingLog) || !strings.Contains(err.Error(), "sequence 2") {
		t.Errorf("gap: %v", err)
	}
	_, err = pickLogs(logs(l(1, 4, 400, 0, true)), 150, 450)
	if !errors.Is(err, ErrMissingLog) || !strings.Contains(err.Error(), "sequence 3") {
		t.Errorf("older logs unknown: %v", err)
	}
	_, err = pickLogs(logs(l(1, 1, 100, 200, false), l(1, 2, 200, 0, true)), 150, 250)
	if !errors.Is(err, ErrMissingLog) || !strings.Contains(err.Error(), "sequence 1") || !IsFatal(err) {
		t.Errorf("deleted: %v", err)
	}
}

// TestSpillReadErrorMidTransaction: when a spill file cannot be read back
// after part of the transaction was handed over, the reader knows it is in
// the middle of a delivery (Run then returns ErrInterrupted instead of
// starting over and repeating those changes).
func TestSpillReadErrorMidTransaction(t *testing.T) {
	cfg := DefaultReaderConfig()
	cfg.Schema, cfg.Tables = "S", []string{"T"}
	cfg.SpillThreshold, cfg.SpillDir = 1, t.TempDir()
	r, err := NewReader(&sql.DB{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ti, _ := newTableInfo(0, "S", "T", [][2]string{{"ID", "NUMBER"}, {"D", "DATE"}})
	h := &collect{}
	st := &runState{r: r, h: h, tables: []*tableInfo{ti}, byName: map[tableName]*tableInfo{{"S", "T"}: ti},
		txns: map[string]*txn{}, emitted: position{restart: 1, floor: 1}}
	st.pos = st.emitted.clone()
	ctx := context.Background()
	for i := range 100 {
		rr := rawRow{scn: uint64(10 + i), op: 1, xid: []byte("AA"), owner: []byte("S"), table: []byte("T"), rowID: []byte("R" + strconv.Itoa(i)),
			redo: sql.NullString{String: `insert into "S"."T"("ID","D") values ('` + strconv.Itoa(i) + `',NULL);`, Valid: true}}
		if err := st.row(ctx, &rr); err != nil {
			t.Fatal(err)
		}
	}
	tx := st.txns["AA"]
	if tx.spilled == 0 {
		t.Fatal("nothing spilled")
	}
	if err := tx.w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, _ := tx.file.Stat()
	if err := os.Truncate(tx.file.Name(), fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	err = st.row(ctx, &rawRow{scn: 200, op: 7, xid: []byte("AA"), thread: 1})
	if err == nil || !st.delivering || len(h.evs) == 0 {
		t.Fatalf("commit = %v after %d changes, delivering %v", err, len(h.evs), st.delivering)
	}
}

// TestFencedAttemptWritesNoDeadLetter: a task attempt whose lease ran out
// (a worker resuming after a pause) appends nothing to the dead-letter
// file, which every attempt of the job shares; its successor writes the line.
func TestFencedAttemptWritesNoDeadLetter(t *testing.T) {
	cfg := DefaultReaderConfig()
	cfg.DeadLetter = DeadLetterWrite
	cfg.DeadLetterPath = filepath.Join(t.TempDir(), "dead.jsonl")
	fenced := errors.New("fenced: the lease ran out")
	cfg.Fence = func() error { return fenced }
	r, _, err := feed(t, cfg)
	r.dl.close()
	if !errors.Is(err, fenced) {
		t.Fatalf("fenced reader: %v, want the fence's error", err)
	}
	if b, err := os.ReadFile(cfg.DeadLetterPath); !os.IsNotExist(err) {
		t.Fatalf("the fenced attempt wrote %q (%v)", b, err)
	}
}
