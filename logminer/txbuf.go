package logminer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"

	"github.com/redoflow/redoflow/change"
)

// entry is one buffered change of an open transaction, or a row that could
// not be parsed (dead != nil), kept in order so that the dead-letter policy
// applies only if the transaction commits.
type entry struct {
	op    change.Op
	table *tableInfo
	scn   uint64
	rowID string
	row   []change.Value
	// lobPending marks an INSERT that wrote EMPTY_CLOB()/EMPTY_BLOB(): the
	// UPDATE LogMiner writes next for the same row carries the LOB values
	// and is merged into it.
	lobPending bool
	dead       *deadRow
	size       int // bytes accounted to the memory budget
}

// deadRow is a row that failed to parse or decode.
type deadRow struct {
	rsID    string
	sqlRedo string
	err     string
}

// entryOverhead approximates the memory of an entry beyond its text.
const entryOverhead = 96

// txn buffers the changes of one open transaction. Entries live in memory
// until the Reader's budget is exceeded, then all but the last go to a
// spill file as length-prefixed binary records; the last stays in memory
// because the next row may merge into it (LOB) or cancel it (rollback).
//
// Per entry it keeps 8 bytes in memory however much was spilled: the hash
// of its ROWID, which is how a ROLLBACK=1 row finds the change it undoes,
// and a bit for cancelled entries.
type txn struct {
	xid      string
	startSCN uint64
	sawStart bool

	hashes []uint64 // per entry
	dead   []uint64 // bitset: cancelled entries
	live   int

	mem      []*entry // entries [spilled, len(hashes))
	memBytes int

	spilled int // entries [0, spilled) are in the spill file
	file    *os.File
	w       *bufio.Writer
	scratch []byte
}

var rowIDSeed = maphash.MakeSeed()

func hashRowID(s string) uint64 { return maphash.String(rowIDSeed, s) }

func (t *txn) isDead(i int) bool { return t.dead[i/64]&(1<<(i%64)) != 0 }

// add appends an entry and returns the bytes it adds to the budget.
func (t *txn) add(e *entry) {
	i := len(t.hashes)
	t.hashes = append(t.hashes, hashRowID(e.rowID))
	if i/64 >= len(t.dead) {
		t.dead = append(t.dead, 0)
	}
	t.mem = append(t.mem, e)
	t.memBytes += e.size
	t.live++
}

// last returns the newest live entry when it is in memory.
func (t *txn) last() *entry {
	n := len(t.hashes)
	if n == 0 || n-1 < t.spilled || t.isDead(n-1) {
		return nil
	}
	return t.mem[n-1-t.spilled]
}

// cancel removes the newest live change of rowID, which a ROLLBACK=1 row
// undoes (Oracle undoes changes newest first). It returns the bytes freed
// and false when no change of that row is buffered.
func (t *txn) cancel(rowID string) (freed int, ok bool) {
	h := hashRowID(rowID)
	for i := len(t.hashes) - 1; i >= 0; i-- {
		if t.isDead(i) || t.hashes[i] != h {
			continue
		}
		if i >= t.spilled && t.mem[i-t.spilled].rowID != rowID {
			continue
		}
		t.dead[i/64] |= 1 << (i % 64)
		t.live--
		if i >= t.spilled {
			e := t.mem[i-t.spilled]
			freed = e.size
			t.memBytes -= freed
			t.mem[i-t.spilled] = nil
		}
		// Drop cancelled entries from the tail so the next search and
		// the LOB merge look at the live tail directly.
		for n := len(t.hashes); n > t.spilled && t.isDead(n-1); n-- {
			t.dead[(n-1)/64] &^= 1 << ((n - 1) % 64)
			t.hashes = t.hashes[:n-1]
			t.mem = t.mem[:n-1-t.spilled]
		}
		return freed, true
	}
	return 0, false
}

// spill writes every in-memory entry but the last to the spill file and
// returns the bytes freed.
func (t *txn) spill(dir string, tables []*tableInfo) (int, error) {
	if len(t.mem) < 2 {
		return 0, nil
	}
	if t.file == nil {
		f, err := createSpill(dir)
		if err != nil {
			return 0, fmt.Errorf("logminer: spill transaction %s: %w", t.xid, err)
		}
		t.file, t.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	n := len(t.mem) - 1
	freed := 0
	var buf []byte
	for _, e := range t.mem[:n] {
		if e == nil { // cancelled: a record of kind 0 keeps the numbering
			buf = append(buf[:0], 1, 0)
		} else {
			buf, t.scratch = encodeEntry(buf[:0], t.scratch, e)
			freed += e.size
		}
		if _, err := t.w.Write(buf); err != nil {
			return 0, fmt.Errorf("logminer: spill transaction %s: %w", t.xid, err)
		}
	}
	last := t.mem[n]
	clear(t.mem)
	t.mem = append(t.mem[:0], last)
	t.spilled += n
	t.memBytes -= freed
	return freed, nil
}

// release closes and removes the spill file.
func (t *txn) release() {
	if t.file != nil {
		name := t.file.Name()
		t.file.Close()
		os.Remove(name)
		t.file, t.w = nil, nil
	}
	t.mem, t.hashes, t.dead = nil, nil, nil
}

// Spill record: uvarint payload length, then the payload: kind (0 none,
// 1 change, 2 dead row), op, uvarint table index, uvarint SCN, and then
// for a change uvarint column count and per column a null flag byte and a
// uvarint-prefixed text; for a dead row three uvarint-prefixed strings
// (RS_ID, SQL_REDO, error).
func encodeEntry(b, scratch []byte, e *entry) (out, p []byte) {
	p = scratch[:0]
	if e.dead != nil {
		p = append(p, 2, byte(e.op))
	} else {
		p = append(p, 1, byte(e.op))
	}
	p = binary.AppendUvarint(p, uint64(e.table.index))
	p = binary.AppendUvarint(p, e.scn)
	if e.dead != nil {
		for _, s := range []string{e.dead.rsID, e.dead.sqlRedo, e.dead.err} {
			p = binary.AppendUvarint(p, uint64(len(s)))
			p = append(p, s...)
		}
	} else {
		p = binary.AppendUvarint(p, uint64(len(e.row)))
		for _, v := range e.row {
			if v.Null {
				p = append(p, 1)
				continue
			}
			p = append(p, 0)
			p = binary.AppendUvarint(p, uint64(len(v.Text)))
			p = append(p, v.Text...)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...), p
}

// spillReader reads a transaction's spill file back in order.
type spillReader struct {
	r   *bufio.Reader
	buf []byte
	row []change.Value
}

var errCorruptSpill = errors.New("logminer: corrupt spill file")

// next decodes the next record into e (reusing sr.row for its values).
// Cancelled records come back with ok and e.op == 0.
func (sr *spillReader) next(e *entry, tables []*tableInfo) error {
	n, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return err
	}
	if cap(sr.buf) < int(n) {
		sr.buf = make([]byte, n)
	}
	sr.buf = sr.buf[:n]
	if _, err := io.ReadFull(sr.r, sr.buf); err != nil {
		return err
	}
	*e = entry{}
	if n == 0 || sr.buf[0] == 0 {
		return nil
	}
	// One string holds every text of the record; values are slices of it.
	s := string(sr.buf)
	kind, op := s[0], change.Op(s[1])
	pos := 2
	uv := func() uint64 {
		v, k := binary.Uvarint(sr.buf[pos:])
		if k <= 0 {
			pos = len(s) + 1
			return 0
		}
		pos += k
		return v
	}
	str := func() string {
		l := int(uv())
		if pos+l > len(s) {
			pos = len(s) + 1
			return ""
		}
		pos += l
		return s[pos-l : pos]
	}
	ti := int(uv())
	if ti >= len(tables) {
		return errCorruptSpill
	}
	e.op, e.table, e.scn = op, tables[ti], uv()
	if kind == 2 {
		e.dead = &deadRow{rsID: str(), sqlRedo: str(), err: str()}
	} else {
		nc := int(uv())
		if nc > len(s) {
			return errCorruptSpill
		}
		sr.row = sr.row[:0]
		for range nc {
			if pos >= len(s) {
				return errCorruptSpill
			}
			null := s[pos] == 1
			pos++
			if null {
				sr.row = append(sr.row, change.Value{Null: true})
				continue
			}
			sr.row = append(sr.row, change.Value{Text: str()})
		}
		e.row = sr.row
	}
	if pos > len(s) {
		return errCorruptSpill
	}
	return nil
}

// each calls fn for every live entry in order: spilled ones first (read
// back from the file), then those in memory. The *entry and its row are
// valid during the call only.
func (t *txn) each(tables []*tableInfo, fn func(*entry) error) error {
	if t.file != nil {
		if err := t.w.Flush(); err != nil {
			return fmt.Errorf("logminer: read back transaction %s: %w", t.xid, err)
		}
		if _, err := t.file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("logminer: read back transaction %s: %w", t.xid, err)
		}
		sr := spillReader{r: bufio.NewReaderSize(t.file, 256<<10)}
		var e entry
		for i := 0; i < t.spilled; i++ {
			if err := sr.next(&e, tables); err != nil {
				return fmt.Errorf("logminer: read back transaction %s, record %d: %w", t.xid, i, err)
			}
			if t.isDead(i) || (e.op == 0 && e.dead == nil) {
				continue
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
	for i, e := range t.mem {
		if e == nil || t.isDead(t.spilled+i) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
