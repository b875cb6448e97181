package oraclesim

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// rowID is an extended ROWID: data object number, relative file, block and
// row slot. String renders Oracle's 18-character base-64 form.
type rowID struct {
	obj   uint32
	file  uint16
	block uint32
	slot  uint16
}

const rowidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var rowidIndex = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for i := 0; i < len(rowidAlphabet); i++ {
		m[rowidAlphabet[i]] = int8(i)
	}
	return m
}()

func appendB64(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, rowidAlphabet[(v>>(6*uint(i)))&63])
	}
	return b
}

func (r rowID) appendTo(b []byte) []byte {
	b = appendB64(b, uint64(r.obj), 6)
	b = appendB64(b, uint64(r.file), 3)
	b = appendB64(b, uint64(r.block), 6)
	return appendB64(b, uint64(r.slot), 3)
}

func (r rowID) String() string {
	var buf [18]byte
	return string(r.appendTo(buf[:0]))
}

func (r rowID) less(o rowID) bool {
	if r.obj != o.obj {
		return r.obj < o.obj
	}
	if r.file != o.file {
		return r.file < o.file
	}
	if r.block != o.block {
		return r.block < o.block
	}
	return r.slot < o.slot
}

func (r rowID) cmp(o rowID) int {
	switch {
	case r == o:
		return 0
	case r.less(o):
		return -1
	}
	return 1
}

// parseRowID decodes an 18-character ROWID.
func parseRowID(s string) (rowID, error) {
	if len(s) != 18 {
		return rowID{}, oraErr(1410, "invalid ROWID")
	}
	dec := func(p string) (uint64, error) {
		var v uint64
		for i := 0; i < len(p); i++ {
			d := rowidIndex[p[i]]
			if d < 0 {
				return 0, oraErr(1410, "invalid ROWID")
			}
			v = v<<6 | uint64(d)
		}
		return v, nil
	}
	o, e1 := dec(s[0:6])
	f, e2 := dec(s[6:9])
	bl, e3 := dec(s[9:15])
	sl, e4 := dec(s[15:18])
	for _, e := range []error{e1, e2, e3, e4} {
		if e != nil {
			return rowID{}, e
		}
	}
	return rowID{obj: uint32(o), file: uint16(f), block: uint32(bl), slot: uint16(sl)}, nil
}

// rowsPerBlock is how many rows the simulator puts in one data block.
const rowsPerBlock = 64

// XID is a transaction id: undo segment, slot and sequence.
type XID struct {
	USN  uint16
	Slot uint16
	Sqn  uint32
}

// Bytes is V$LOGMNR_CONTENTS.XID: RAW(8), the three fields little-endian.
func (x XID) Bytes() []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b[0:], x.USN)
	binary.LittleEndian.PutUint16(b[2:], x.Slot)
	binary.LittleEndian.PutUint32(b[4:], x.Sqn)
	return b
}

// String is the hex form RAWTOHEX(XID) shows.
func (x XID) String() string { return fmt.Sprintf("%X", x.Bytes()) }

// Redo operation codes (V$LOGMNR_CONTENTS.OPERATION_CODE).
const (
	OpInsert   = 1
	OpDelete   = 2
	OpUpdate   = 3
	OpDDL      = 5
	OpStart    = 6
	OpCommit   = 7
	OpRollback = 36
)

var opNames = map[uint8]string{OpInsert: "INSERT", OpDelete: "DELETE", OpUpdate: "UPDATE", OpDDL: "DDL", OpStart: "START", OpCommit: "COMMIT", OpRollback: "ROLLBACK"}

// txIdent is the immutable identity of a transaction that redo records
// point to.
type txIdent struct {
	xid      XID
	xidRaw   []byte
	startSCN uint64
	startTS  time.Time
	user     string
}

// redoRecord is one change in the redo stream. Immutable once appended.
type redoRecord struct {
	scn       uint64
	ts        time.Time
	op        uint8
	rollback  bool
	tx        *txIdent
	commitSCN uint64
	tbl       *Table
	rid       rowID
	oldVals   []any // full before image (UPDATE, DELETE)
	newVals   []any // full after image (INSERT, UPDATE)
	setCols   []int // UPDATE: the SET list
	whereCols []int // UPDATE/DELETE: columns of the WHERE list (before image)
	emptyLOBs bool  // INSERT: LOB columns render as EMPTY_CLOB()/EMPTY_BLOB()
	thread    uint8
	seq       uint32 // log sequence
	off       uint32 // byte offset in the log
}

// logFile is the content of one redo log sequence, online or archived.
type logFile struct {
	thread    int
	seq       uint32
	firstSCN  uint64
	nextSCN   uint64 // 0 while current
	firstTime time.Time
	nextTime  time.Time
	recs      []*redoRecord // append-only
	bytes     int64
}

type onlineGroup struct {
	num    int
	member string
	log    *logFile
	status string // CURRENT, ACTIVE, INACTIVE, UNUSED
}

type archivedLog struct {
	recid     int64
	name      string
	log       *logFile // nil once purged
	deleted   bool
	completed time.Time
	// copies of the log's fields, kept after a purge for V$ARCHIVED_LOG
	thread              int
	seq                 uint32
	firstSCN, nextSCN   uint64
	firstTime, nextTime time.Time
	bytes               int64
}

type redoThread struct {
	id       int
	groups   []*onlineGroup
	cur      int
	archived []*archivedLog
}

func newRedoThread(db *DB, id int, now time.Time) *redoThread {
	th := &redoThread{id: id}
	for g := 0; g < db.cfg.OnlineLogGroups; g++ {
		num := (id-1)*db.cfg.OnlineLogGroups + g + 1
		th.groups = append(th.groups, &onlineGroup{num: num, member: fmt.Sprintf("%s/redo%02d.log", db.cfg.OnlineLogDir, num), status: "UNUSED"})
	}
	th.groups[0].log = &logFile{thread: id, seq: 1, firstSCN: db.scn, firstTime: now}
	th.groups[0].status = "CURRENT"
	return th
}

func (th *redoThread) current() *logFile { return th.groups[th.cur].log }

// recordSize estimates the redo bytes of a record.
func recordSize(r *redoRecord) int64 {
	n := int64(80)
	for _, vals := range [][]any{r.oldVals, r.newVals} {
		for _, v := range vals {
			switch x := v.(type) {
			case string:
				n += int64(len(x)) + 2
			case []byte:
				n += int64(len(x)) + 2
			default:
				n += 9
			}
		}
	}
	return n
}

// appendRedo writes a record to the thread's current log and switches when
// the log is full. db.mu must be held.
func (db *DB) appendRedo(th *redoThread, r *redoRecord) {
	lf := th.current()
	r.thread = uint8(th.id)
	r.seq = lf.seq
	r.off = uint32(lf.bytes)
	lf.recs = append(lf.recs, r)
	lf.bytes += recordSize(r)
	if lf.bytes >= db.cfg.LogFileSize {
		db.switchLog(th)
	}
}

// switchLog archives the current log of a thread and makes the next group
// current. db.mu must be held.
func (db *DB) switchLog(th *redoThread) {
	now := db.now()
	cur := th.groups[th.cur]
	lf := cur.log
	lf.nextSCN = db.scn + 1
	lf.nextTime = now
	db.archRecID++
	th.archived = append(th.archived, &archivedLog{
		recid:     db.archRecID,
		name:      fmt.Sprintf("%s/%d_%d_%d.arc", db.cfg.ArchiveLogDir, th.id, lf.seq, db.cfg.DBID%1000000000),
		log:       lf,
		completed: now,
		thread:    th.id,
		seq:       lf.seq,
		firstSCN:  lf.firstSCN,
		nextSCN:   lf.nextSCN,
		firstTime: lf.firstTime,
		nextTime:  lf.nextTime,
		bytes:     lf.bytes,
	})
	for _, g := range th.groups {
		if g.status == "ACTIVE" {
			g.status = "INACTIVE"
		}
	}
	cur.status = "ACTIVE"
	th.cur = (th.cur + 1) % len(th.groups)
	next := th.groups[th.cur]
	next.log = &logFile{thread: th.id, seq: lf.seq + 1, firstSCN: lf.nextSCN, firstTime: now}
	next.status = "CURRENT"
	if keep := db.cfg.ArchiveRetention; keep > 0 {
		live := 0
		for i := len(th.archived) - 1; i >= 0; i-- {
			a := th.archived[i]
			if a.deleted {
				continue
			}
			live++
			if live > keep {
				a.deleted, a.log = true, nil
			}
		}
	}
}

// SwitchLogfile forces a log switch on every thread, like ALTER SYSTEM
// SWITCH LOGFILE (or ARCHIVE LOG CURRENT on RAC).
func (db *DB) SwitchLogfile() {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, th := range db.threads {
		db.switchLog(th)
	}
}

// PurgeArchivedLogs deletes archived logs whose NEXT_CHANGE# is at or below
// scn (math.MaxUint64 purges all), like RMAN DELETE ARCHIVELOG UNTIL SCN.
// Their V$ARCHIVED_LOG rows stay with DELETED='YES', STATUS='D' and no
// NAME. It returns how many were purged.
func (db *DB) PurgeArchivedLogs(scn uint64) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	n := 0
	for _, th := range db.threads {
		for _, a := range th.archived {
			if !a.deleted && (scn == math.MaxUint64 || a.nextSCN <= scn) {
				a.deleted, a.log = true, nil
				n++
			}
		}
	}
	return n
}

// LogInfo describes one redo log sequence for tests and tools.
type LogInfo struct {
	Thread      int
	Sequence    uint32
	FirstChange uint64
	NextChange  uint64 // 0 for the current log
	Name        string // archived name, or the online member for the current log
	Online      bool
	Deleted     bool
	Records     int
}

// Logs lists archived logs (oldest first) then the current online log of
// every thread.
func (db *DB) Logs() []LogInfo {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var out []LogInfo
	for _, th := range db.threads {
		for _, a := range th.archived {
			li := LogInfo{Thread: th.id, Name: a.name, Deleted: a.deleted, Sequence: a.seq, FirstChange: a.firstSCN, NextChange: a.nextSCN}
			if a.log != nil {
				li.Records = len(a.log.recs)
			}
			out = append(out, li)
		}
		g := th.groups[th.cur]
		out = append(out, LogInfo{Thread: th.id, Sequence: g.log.seq, FirstChange: g.log.firstSCN, Name: g.member, Online: true, Records: len(g.log.recs)})
	}
	return out
}
