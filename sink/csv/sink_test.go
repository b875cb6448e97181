package csv

import (
	"bytes"
	stdcsv "encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/redoflow/redoflow/change"
)

var update = flag.Bool("update", false, "rewrite golden files")

var transInfo = &change.Table{Schema: "FINANCE_USER", Name: "TRANS_INFO", Columns: []change.Column{
	{Name: "ID", Type: "NUMBER"}, {Name: "REMARK", Type: "VARCHAR2"}, {Name: "AMOUNT", Type: "NUMBER"},
}}

func val(s string) change.Value { return change.Value{Text: s} }

var null = change.Value{Null: true}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSink(t interface{ Fatal(...any) }, dir string, c *clock, rollSize int64) *Sink {
	return newSinkAt(t, dir, c, rollSize, Attempt{Epoch: 1, N: 1})
}

// newSinkAt returns a sink of attempt a.
func newSinkAt(t interface{ Fatal(...any) }, dir string, c *clock, rollSize int64, a Attempt) *Sink {
	cfg := DefaultConfig()
	cfg.Dir, cfg.Task, cfg.Now, cfg.Attempt = dir, "0", c.now, a
	if rollSize > 0 {
		cfg.RollSize = rollSize
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGoldenFormat pins header, metadata columns and quoting, and checks
// encoding/csv reads back every value.
func TestGoldenFormat(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	s := newSink(t, dir, c, 0)
	ts := time.Date(2026, 11, 25, 10, 30, 12, 123000000, time.UTC)
	rows := [][]change.Value{
		{val("1"), val("plain"), val("12.5")},
		{val("2"), val(`with "quotes", commas`), val("-0.5")},
		{val("3"), val("multi\nline\r\nvalue"), null},
		{val("4"), val(""), val("0")},
		{val("5"), val(" leading space"), val("7")},
		{val("6"), val(`\.`), val("8")},
		{val("7"), val("上海分行 ✓"), val("9")},
	}
	ops := []change.Op{change.OpRead, change.OpCreate, change.OpUpdate, change.OpDelete, change.OpCreate, change.OpCreate, change.OpUpdate}
	for i, r := range rows {
		ev := &change.Event{Op: ops[i], Table: transInfo, SCN: uint64(1000 + i), CommitSCN: 2000, CommitTS: ts, XID: "0a001f00c3040000", Seq: i, Row: r}
		if ops[i] == change.OpRead {
			ev.CommitTS = time.Time{}
		}
		if err := s.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	c.t = c.t.Add(time.Hour) // past the roll age: the checkpoint finishes the file
	st, err := s.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(st); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "FINANCE_USER.TRANS_INFO", "part-0-0.csv"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "trans_info.golden.csv")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s:\n%s", golden, got)
	}
	recs, err := stdcsv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "_op,_scn,_commit_scn,_commit_ts,_xid,_seq,ID,REMARK,AMOUNT" {
		t.Fatalf("header %v", recs[0])
	}
	for i, r := range rows {
		for j, v := range r {
			// encoding/csv reads \r\n inside a quoted field as \n.
			if recs[i+1][6+j] != strings.ReplaceAll(v.Text, "\r\n", "\n") {
				t.Errorf("row %d column %d read back as %q, want %q", i, j, recs[i+1][6+j], v.Text)
			}
		}
	}
}

// TestFilesInvisibleUntilCommit: nothing is visible before the checkpoint
// that covers it completes.
func TestFilesInvisibleUntilCommit(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Unix(0, 0)}
	s := newSink(t, dir, c, 64) // tiny files: every row rolls
	for i := range 3 {
		if err := s.Write(&change.Event{Op: change.OpCreate, Table: transInfo, SCN: uint64(i), Row: []change.Value{val(strconv.Itoa(i)), val("x"), val("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(committed(t, dir)); n != 0 {
		t.Fatalf("%d files visible before any checkpoint", n)
	}
	st, err := s.PreCommit()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(committed(t, dir)); n != 0 {
		t.Fatalf("%d files visible before the checkpoint completed", n)
	}
	if err := s.Commit(st); err != nil {
		t.Fatal(err)
	}
	// Every file is past the roll size, the open one too: the checkpoint
	// finishes it, and all three become visible together.
	if got := committed(t, dir); len(got) != 3 {
		t.Fatalf("after commit: %v, want 3 files", got)
	}
	if err := s.Commit(st); err != nil {
		t.Fatalf("a second commit of the same state must be a no-op: %v", err)
	}
	s.Close()
}

func committed(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*", "part-*.csv"))
	return m
}

// TestCrashAnywhere is the exactly-once property of the sink: writes,
// checkpoints and crashes at any point of the protocol (before the
// checkpoint is durable, between durable and commit, with or without the
// buffered bytes reaching the disk), each crash followed by a restore from
// the last durable checkpoint and a replay of what came after it. In the
// end the committed files hold every row exactly once, in order.
func TestCrashAnywhere(t *testing.T) {
	tables := []*change.Table{transInfo, {Schema: "FINANCE_USER", Name: "TRANS_LOG", Columns: []change.Column{{Name: "N", Type: "NUMBER"}}}}
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp("", "sinkprop")
		if err != nil {
			rt.Fatal(err)
		}
		defer os.RemoveAll(dir)
		c := &clock{t: time.Unix(0, 0)}
		rollSize := rapid.Int64Range(80, 2000).Draw(rt, "rollSize")
		s := newSink(rt, dir, c, rollSize)
		var log []*change.Event // every row the source has produced, in order
		durable := 0            // rows covered by the last durable checkpoint
		var durableState *State
		pos := 0 // next row the source hands over (replays after a crash)
		produce := func() *change.Event {
			if pos == len(log) {
				tbl := tables[rapid.IntRange(0, 1).Draw(rt, "table")]
				row := []change.Value{val(strconv.Itoa(len(log)))}
				if tbl == transInfo {
					row = append(row, val(strings.Repeat("r", rapid.IntRange(0, 40).Draw(rt, "len"))), null)
				}
				log = append(log, &change.Event{Op: change.OpCreate, Table: tbl, SCN: uint64(len(log)), Row: row})
			}
			pos++
			return log[pos-1]
		}
		attempt := Attempt{Epoch: 1, N: 1}
		crash := func(flush bool) {
			old := s
			// A deposed attempt either died, its buffered bytes reaching the
			// disk or not, or was paused and resumes once its successor has
			// restored: it then writes on, checkpoints that never complete,
			// and may act on a late notice of the checkpoint its successor
			// restored from. None of it may reach the committed output.
			zombie := rapid.Bool().Draw(rt, "zombie")
			if !zombie {
				for _, tf := range old.tables {
					if tf.cur != nil {
						if flush {
							tf.cur.w.Flush()
						}
						tf.cur.f.Close()
					}
				}
			}
			// The next attempt (sometimes under a new leader) cuts files
			// elsewhere, so a replay does not simply overwrite what the
			// crashed one left.
			if rapid.Bool().Draw(rt, "newEpoch") {
				attempt = Attempt{Epoch: attempt.Epoch + 1, N: 1}
			} else {
				attempt.N++
			}
			s = newSinkAt(rt, dir, c, rapid.Int64Range(80, 2000).Draw(rt, "rollSizeAfterCrash"), attempt)
			if durableState != nil {
				if err := s.Restore(*durableState); err != nil {
					rt.Fatalf("restore: %v", err)
				}
			}
			pos = durable
			if zombie {
				zombieWrites(rt, old, tables, durableState)
			}
		}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0, 1, 2:
				for range rapid.IntRange(1, 8).Draw(rt, "rows") {
					if err := s.Write(produce()); err != nil {
						rt.Fatal(err)
					}
				}
			case 3:
				c.t = c.t.Add(time.Duration(rapid.IntRange(0, 90).Draw(rt, "sec")) * time.Second)
				st, err := s.PreCommit()
				if err != nil {
					rt.Fatal(err)
				}
				switch rapid.IntRange(0, 3).Draw(rt, "checkpoint") {
				case 0: // crash before the metadata is durable
					crash(rapid.Bool().Draw(rt, "flush"))
				case 1: // durable, crash before commit
					durable, durableState = pos, &st
					crash(rapid.Bool().Draw(rt, "flush"))
				default:
					durable, durableState = pos, &st
					if err := s.Commit(st); err != nil {
						rt.Fatal(err)
					}
				}
			case 4:
				crash(rapid.Bool().Draw(rt, "flush"))
			case 5:
				c.t = c.t.Add(time.Second)
			}
		}
		// Drain: hand over the rest, then a final checkpoint publishing all.
		for pos < len(log) {
			if err := s.Write(produce()); err != nil {
				rt.Fatal(err)
			}
		}
		if err := s.FinishAll(); err != nil {
			rt.Fatal(err)
		}
		st, err := s.PreCommit()
		if err != nil {
			rt.Fatal(err)
		}
		if err := s.Commit(st); err != nil {
			rt.Fatal(err)
		}
		s.Close()
		for _, tbl := range tables {
			var want []string
			for _, ev := range log {
				if ev.Table == tbl {
					want = append(want, ev.Row[0].Text)
				}
			}
			got := readCommitted(rt, filepath.Join(dir, tbl.ID()))
			if !slices.Equal(got, want) {
				rt.Fatalf("%s: committed rows %v, want %v", tbl.ID(), got, want)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, tbl.ID(), ".*inprogress")); len(left) != 0 {
				rt.Fatalf("in-progress files left after the final commit: %v", left)
			}
		}
	})
}

// zombieWrites is a deposed attempt resuming: rows "z..." that must never
// be committed, its own checkpoints (never completed) and a late commit of
// the state its successor restored from.
func zombieWrites(rt *rapid.T, z *Sink, tables []*change.Table, restored *State) {
	for i := range rapid.IntRange(1, 30).Draw(rt, "zombieRows") {
		tbl := tables[rapid.IntRange(0, 1).Draw(rt, "zombieTable")]
		row := []change.Value{val("z" + strconv.Itoa(i))}
		if tbl == transInfo {
			row = append(row, val(strings.Repeat("z", rapid.IntRange(0, 40).Draw(rt, "zlen"))), null)
		}
		if err := z.Write(&change.Event{Op: change.OpCreate, Table: tbl, Row: row}); err != nil {
			rt.Fatalf("zombie write: %v", err)
		}
		if rapid.IntRange(0, 4).Draw(rt, "zombieCheckpoint") == 0 {
			if _, err := z.PreCommit(); err != nil {
				rt.Fatalf("zombie checkpoint: %v", err)
			}
		}
	}
	if restored != nil && rapid.Bool().Draw(rt, "lateCommit") {
		if err := z.Commit(*restored); err != nil {
			rt.Fatalf("zombie's late commit: %v", err)
		}
	}
	z.Close()
}

// readCommitted returns the first column of every row of the committed
// files of dir, files in number order, checking each file's header.
func readCommitted(t interface{ Fatalf(string, ...any) }, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "part-0-*.csv"))
	num := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "part-0-"), ".csv"))
		return n
	}
	sort.Slice(files, func(i, j int) bool { return num(files[i]) < num(files[j]) })
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%v", err)
		}
		recs, err := stdcsv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(recs) == 0 || recs[0][0] != "_op" {
			t.Fatalf("%s has no header: %q", f, b)
		}
		for _, r := range recs[1:] {
			out = append(out, r[6])
		}
	}
	return out
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Task = "0"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "OUTPUT_PATH") {
		t.Errorf("empty dir: %v", err)
	}
	cfg.Dir, cfg.Task = "/tmp", "a-b"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"a-b"`) {
		t.Errorf("bad task: %v", err)
	}
}
