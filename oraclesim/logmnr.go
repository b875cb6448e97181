package oraclesim

import (
	"sort"
	"time"
	"unicode/utf8"
)

// DBMS_LOGMNR option constants (the values of Oracle's package constants).
const (
	LogmnrNew                   = 1
	LogmnrRemoveFile            = 2
	LogmnrAddFile               = 3
	LogmnrContinuousMine        = 1024
	LogmnrCommittedDataOnly     = 2
	LogmnrSkipCorruption        = 4
	LogmnrNoDictResetOnSelect   = 1
	LogmnrDictFromRedoLogs      = 32
	LogmnrDictFromOnlineCatalog = 16
	LogmnrDDLDictTracking       = 8
	LogmnrNoSQLDelimiter        = 64
	LogmnrPrintPrettySQL        = 512
	LogmnrNoRowidInStmt         = 2048
	LogmnrStringLiteralsInStmt  = 4096
)

// The DBMS_LOGMNR package constants the recognizer resolves by name.
var logmnrConstants = map[string]int64{
	"NEW": 1, "ADDFILE": 3, "REMOVEFILE": 2,
	"DICT_FROM_ONLINE_CATALOG": 16, "DICT_FROM_REDO_LOGS": 32, "COMMITTED_DATA_ONLY": 2,
	"SKIP_CORRUPTION": 4, "DDL_DICT_TRACKING": 8, "NO_SQL_DELIMITER": 64,
	"PRINT_PRETTY_SQL": 512, "CONTINUOUS_MINE": 1024, "NO_ROWID_IN_STMT": 2048,
	"STRING_LITERALS_IN_STMT": 4096, "NO_DICT_RESET_ONSELECT": 1,
}

// logmnrSession is the LogMiner state of one database session.
type logmnrSession struct {
	files   []string // added file names, in order
	started bool
	start   uint64
	end     uint64
	opts    int64
}

// addLogfile implements DBMS_LOGMNR.ADD_LOGFILE.
func (db *DB) addLogfile(s *logmnrSession, name string, opt int64) error {
	db.mu.RLock()
	_, _, ok := db.resolveLog(name)
	db.mu.RUnlock()
	switch opt {
	case LogmnrNew:
		if !ok {
			return oraErr(1284, "file %s cannot be opened", name)
		}
		s.files, s.started = []string{name}, false
	case LogmnrAddFile:
		if !ok {
			return oraErr(1284, "file %s cannot be opened", name)
		}
		for _, f := range s.files {
			if f == name {
				return oraErr(1289, "cannot add duplicate logfile %s", name)
			}
		}
		s.files = append(s.files, name)
	case LogmnrRemoveFile:
		for i, f := range s.files {
			if f == name {
				s.files = append(s.files[:i], s.files[i+1:]...)
				return nil
			}
		}
		return oraErr(1290, "cannot remove unlisted logfile %s", name)
	default:
		return oraErr(1281, "invalid OPTIONS value %d for ADD_LOGFILE", opt)
	}
	return nil
}

// resolveLog finds the content of a redo file by name: an archived log that
// is not purged, or an online member. db.mu held.
func (db *DB) resolveLog(name string) (*logFile, bool, bool) {
	for _, th := range db.threads {
		for _, g := range th.groups {
			if g.member == name && g.log != nil {
				return g.log, true, true
			}
		}
		for _, a := range th.archived {
			if a.name == name && !a.deleted {
				return a.log, false, true
			}
		}
	}
	return nil, false, false
}

// startLogmnr implements DBMS_LOGMNR.START_LOGMNR.
func (db *DB) startLogmnr(s *logmnrSession, start, end uint64, opts int64) error {
	if opts&LogmnrContinuousMine != 0 {
		return oraErr(44609, "CONTINIOUS_MINE is desupported for use with DBMS_LOGMNR.START_LOGMNR.")
	}
	if opts&(LogmnrCommittedDataOnly|LogmnrPrintPrettySQL|LogmnrDDLDictTracking|LogmnrDictFromRedoLogs) != 0 {
		return oraErr(3001, "unimplemented feature: START_LOGMNR options %d (the simulator supports DICT_FROM_ONLINE_CATALOG, NO_SQL_DELIMITER, NO_ROWID_IN_STMT, SKIP_CORRUPTION)", opts)
	}
	if len(s.files) == 0 {
		return oraErr(1292, "no log file has been specified for the current LogMiner session")
	}
	if end == 0 {
		end = ^uint64(0)
	}
	db.mu.RLock()
	_, err := db.collectLogs(s, start)
	db.mu.RUnlock()
	if err != nil {
		return err
	}
	s.started, s.start, s.end, s.opts = true, start, end, opts
	return nil
}

// collectLogs resolves the session's files and checks they cover start
// with no sequence gap per thread. db.mu held.
func (db *DB) collectLogs(s *logmnrSession, start uint64) ([][]*logFile, error) {
	per := make([][]*logFile, len(db.threads))
	for _, name := range s.files {
		lf, _, ok := db.resolveLog(name)
		if !ok {
			return nil, oraErr(1291, "missing logfile")
		}
		per[lf.thread-1] = append(per[lf.thread-1], lf)
	}
	covered := false
	for ti, files := range per {
		sort.Slice(files, func(i, j int) bool { return files[i].seq < files[j].seq })
		for i := 1; i < len(files); i++ {
			if files[i].seq != files[i-1].seq+1 {
				return nil, oraErr(1291, "missing logfile")
			}
		}
		if len(files) > 0 {
			if files[0].firstSCN > start && start != 0 {
				return nil, oraErr(1291, "missing logfile")
			}
			covered = true
		}
		per[ti] = files
	}
	if !covered {
		return nil, oraErr(1291, "missing logfile")
	}
	return per, nil
}

// endLogmnr implements DBMS_LOGMNR.END_LOGMNR.
func (db *DB) endLogmnr(s *logmnrSession) error {
	if !s.started && len(s.files) == 0 {
		return oraErr(1307, "no LogMiner session is currently active")
	}
	*s = logmnrSession{}
	return nil
}

// Columns of V$LOGMNR_CONTENTS.
const (
	lcSCN = iota
	lcStartSCN
	lcCommitSCN
	lcTimestamp
	lcStartTimestamp
	lcCommitTimestamp
	lcXIDUSN
	lcXIDSLT
	lcXIDSQN
	lcXID
	lcOperation
	lcOperationCode
	lcRollback
	lcSegOwner
	lcSegName
	lcTableName
	lcSegType
	lcSegTypeName
	lcTableSpace
	lcRowID
	lcUsername
	lcThread
	lcSequence
	lcRBASQN
	lcRBABLK
	lcRBABYTE
	lcDataObj
	lcDataObjV
	lcDataObjD
	lcRSID
	lcSSN
	lcCSF
	lcInfo
	lcStatus
	lcSQLRedo
	lcSQLUndo
	lcSafeResumeSCN
	lcSrcConName
	lcConID
	lcCount
)

var (
	numT  = Type{Kind: KindNumber}
	dateT = Type{Kind: KindDate}
	rawT  = Type{Kind: KindRaw, Length: 8}
)

func vc(n int) Type { return Type{Kind: KindVarchar2, Length: n} }

var logmnrColumns = []viewCol{
	lcSCN: {"SCN", numT}, lcStartSCN: {"START_SCN", numT}, lcCommitSCN: {"COMMIT_SCN", numT},
	lcTimestamp: {"TIMESTAMP", dateT}, lcStartTimestamp: {"START_TIMESTAMP", dateT}, lcCommitTimestamp: {"COMMIT_TIMESTAMP", dateT},
	lcXIDUSN: {"XIDUSN", numT}, lcXIDSLT: {"XIDSLT", numT}, lcXIDSQN: {"XIDSQN", numT}, lcXID: {"XID", rawT},
	lcOperation: {"OPERATION", vc(32)}, lcOperationCode: {"OPERATION_CODE", numT}, lcRollback: {"ROLLBACK", numT},
	lcSegOwner: {"SEG_OWNER", vc(128)}, lcSegName: {"SEG_NAME", vc(256)}, lcTableName: {"TABLE_NAME", vc(128)},
	lcSegType: {"SEG_TYPE", numT}, lcSegTypeName: {"SEG_TYPE_NAME", vc(32)}, lcTableSpace: {"TABLE_SPACE", vc(32)},
	lcRowID: {"ROW_ID", vc(18)}, lcUsername: {"USERNAME", vc(128)}, lcThread: {"THREAD#", numT},
	lcSequence: {"SEQUENCE#", numT}, lcRBASQN: {"RBASQN", numT}, lcRBABLK: {"RBABLK", numT}, lcRBABYTE: {"RBABYTE", numT},
	lcDataObj: {"DATA_OBJ#", numT}, lcDataObjV: {"DATA_OBJV#", numT}, lcDataObjD: {"DATA_OBJD#", numT},
	lcRSID: {"RS_ID", vc(32)}, lcSSN: {"SSN", numT}, lcCSF: {"CSF", numT}, lcInfo: {"INFO", vc(32)},
	lcStatus: {"STATUS", numT}, lcSQLRedo: {"SQL_REDO", vc(4000)}, lcSQLUndo: {"SQL_UNDO", vc(4000)},
	lcSafeResumeSCN: {"SAFE_RESUME_SCN", numT}, lcSrcConName: {"SRC_CON_NAME", vc(128)}, lcConID: {"CON_ID", numT},
}

// csfLimit is the size of one SQL_REDO/SQL_UNDO piece: longer statements
// continue in the next row with CSF = 1 on all but the last piece.
var csfLimit = 4000

// contentsSource streams V$LOGMNR_CONTENTS rows for a session.
type contentsSource struct {
	streams [][]*redoRecord // per thread, files concatenated
	pos     []int
	start   uint64
	end     uint64
	noRowid bool
	noDelim bool
	nls     nls

	rec       *redoRecord
	piece     int
	pieces    int
	redoParts []string
	undoParts []string
	needRedo  bool // SQL_REDO or SQL_UNDO requested: render per record
	needUndo  bool
	buf       []byte
}

// openContents snapshots the session's logs for a query.
func (db *DB) openContents(s *logmnrSession, n *nls) (*contentsSource, error) {
	if !s.started {
		return nil, oraErr(1306, "dbms_logmnr.start_logmnr() must be invoked before selecting from v$logmnr_contents")
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	per, err := db.collectLogs(s, s.start)
	if err != nil {
		return nil, err
	}
	cs := &contentsSource{start: s.start, end: s.end, noRowid: s.opts&LogmnrNoRowidInStmt != 0, noDelim: s.opts&LogmnrNoSQLDelimiter != 0, nls: *n}
	for _, files := range per {
		var recs []*redoRecord
		for _, lf := range files {
			r := lf.recs[:len(lf.recs):len(lf.recs)]
			// Only the records of the window [start, end], found by binary
			// search: a query then costs what its window holds, not the
			// whole log, however much redo the database has.
			i := sort.Search(len(r), func(i int) bool { return r[i].scn >= s.start })
			j := len(r)
			if s.end > 0 {
				j = i + sort.Search(len(r)-i, func(k int) bool { return r[i+k].scn > s.end })
			}
			if i == j {
				continue
			}
			if len(recs) == 0 {
				recs = r[i:j]
			} else {
				recs = append(recs[:len(recs):len(recs)], r[i:j]...)
			}
		}
		cs.streams = append(cs.streams, recs)
	}
	cs.pos = make([]int, len(cs.streams))
	return cs, nil
}

func (cs *contentsSource) columns() []viewCol { return logmnrColumns }

func (cs *contentsSource) next() bool {
	if cs.rec != nil && cs.piece+1 < cs.pieces {
		cs.piece++
		return true
	}
	best := -1
	for i, recs := range cs.streams {
		p := cs.pos[i]
		if p >= len(recs) || recs[p].scn > cs.end {
			continue
		}
		if best < 0 || recs[p].scn < cs.streams[best][cs.pos[best]].scn {
			best = i
		}
	}
	if best < 0 {
		cs.rec = nil
		return false
	}
	cs.rec = cs.streams[best][cs.pos[best]]
	cs.pos[best]++
	cs.piece, cs.pieces = 0, 1
	if cs.needRedo || cs.needUndo {
		cs.render()
	}
	return true
}

// render builds SQL_REDO and SQL_UNDO of the current record and splits
// them into CSF pieces.
func (cs *contentsSource) render() {
	r := cs.rec
	cs.redoParts, cs.undoParts = cs.redoParts[:0], cs.undoParts[:0]
	if cs.needRedo {
		cs.buf = cs.renderSQL(cs.buf[:0], r, false)
		cs.redoParts = splitCSF(cs.redoParts, string(cs.buf))
	}
	if cs.needUndo {
		if r.tbl != nil {
			cs.buf = cs.renderSQL(cs.buf[:0], r, true)
			cs.undoParts = splitCSF(cs.undoParts, string(cs.buf))
		}
	}
	cs.pieces = max(1, len(cs.redoParts), len(cs.undoParts))
}

// splitCSF cuts s into pieces of at most csfLimit bytes, never inside a
// UTF-8 character.
func splitCSF(parts []string, s string) []string {
	for len(s) > csfLimit {
		n := csfLimit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return append(parts, s)
}

func (cs *contentsSource) value(c int) any {
	r := cs.rec
	switch c {
	case lcSCN:
		return r.scn
	case lcStartSCN:
		return r.tx.startSCN
	case lcCommitSCN, lcSafeResumeSCN:
		if r.op == OpCommit {
			return r.commitSCN
		}
		return nil
	case lcTimestamp:
		return dateOf(r.ts)
	case lcStartTimestamp:
		return dateOf(r.tx.startTS)
	case lcCommitTimestamp:
		if r.op == OpCommit {
			return dateOf(r.ts)
		}
		return nil
	case lcXIDUSN:
		return uint64(r.tx.xid.USN)
	case lcXIDSLT:
		return uint64(r.tx.xid.Slot)
	case lcXIDSQN:
		return uint64(r.tx.xid.Sqn)
	case lcXID:
		return r.tx.xidRaw
	case lcOperation:
		return opNames[r.op]
	case lcOperationCode:
		return uint64(r.op)
	case lcRollback:
		if r.rollback {
			return uint64(1)
		}
		return uint64(0)
	case lcSegOwner:
		if r.tbl == nil {
			return nil
		}
		return r.tbl.schema
	case lcSegName, lcTableName:
		if r.tbl == nil {
			return nil
		}
		return r.tbl.name
	case lcSegType:
		if r.tbl == nil {
			return uint64(0)
		}
		return uint64(2)
	case lcSegTypeName:
		if r.tbl == nil {
			return "UNKNOWN"
		}
		return "TABLE"
	case lcTableSpace:
		if r.tbl == nil {
			return nil
		}
		return "USERS"
	case lcRowID:
		if r.tbl == nil {
			return "AAAAAAAAAAAAAAAAAA"
		}
		return r.rid.String()
	case lcUsername:
		return r.tx.user
	case lcThread:
		return uint64(r.thread)
	case lcSequence, lcRBASQN:
		return uint64(r.seq)
	case lcRBABLK:
		return uint64(r.off/512 + 1)
	case lcRBABYTE:
		return uint64(r.off % 512)
	case lcDataObj, lcDataObjD:
		if r.tbl == nil {
			return uint64(0)
		}
		return uint64(r.tbl.obj)
	case lcDataObjV:
		if r.tbl == nil {
			return uint64(0)
		}
		return uint64(1)
	case lcRSID:
		return rsID(r)
	case lcSSN:
		return uint64(0)
	case lcCSF:
		if cs.piece+1 < cs.pieces {
			return uint64(1)
		}
		return uint64(0)
	case lcInfo:
		return nil
	case lcStatus:
		return uint64(0)
	case lcSQLRedo:
		if !cs.needRedo {
			// not announced by the plan (e.g. only in a predicate): render now
			cs.needRedo = true
			cs.render()
		}
		if cs.piece < len(cs.redoParts) {
			return cs.redoParts[cs.piece]
		}
		return nil
	case lcSQLUndo:
		if !cs.needUndo {
			cs.needUndo = true
			cs.render()
		}
		if cs.piece < len(cs.undoParts) {
			return cs.undoParts[cs.piece]
		}
		return nil
	case lcSrcConName:
		return "ORCLPDB1"
	case lcConID:
		return uint64(3)
	}
	return nil
}

func (cs *contentsSource) close() {}

func appendIdent(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// renderSQL renders SQL_REDO (undo=false) or SQL_UNDO of a record.
func (cs *contentsSource) renderSQL(b []byte, r *redoRecord, undo bool) []byte {
	switch r.op {
	case OpStart:
		b = append(b, "set transaction read write"...)
		return cs.delim(b)
	case OpCommit:
		b = append(b, "commit"...)
		return cs.delim(b)
	case OpRollback:
		b = append(b, "rollback"...)
		return cs.delim(b)
	}
	op := r.op
	oldV, newV := r.oldVals, r.newVals
	if undo {
		switch op {
		case OpInsert:
			op, oldV = OpDelete, r.newVals
		case OpDelete:
			op, newV = OpInsert, r.oldVals
		case OpUpdate:
			oldV, newV = r.newVals, r.oldVals
		}
	}
	t := r.tbl
	n := &cs.nls
	switch op {
	case OpInsert:
		b = append(b, "insert into "...)
		b = appendIdent(b, t.schema)
		b = append(b, '.')
		b = appendIdent(b, t.name)
		b = append(b, '(')
		for i, c := range t.cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIdent(b, c.Name)
		}
		b = append(b, ") values ("...)
		for i, c := range t.cols {
			if i > 0 {
				b = append(b, ',')
			}
			if r.emptyLOBs && !undo && c.Type.IsLOB() {
				if c.Type.Kind == KindBlob {
					b = append(b, "EMPTY_BLOB()"...)
				} else {
					b = append(b, "EMPTY_CLOB()"...)
				}
				continue
			}
			b = n.appendRedoValue(b, c.Type, newV[i])
		}
		b = append(b, ')')
		return cs.delim(b)
	case OpUpdate:
		alias := len(t.lobCols) > 0
		b = append(b, "update "...)
		b = appendIdent(b, t.schema)
		b = append(b, '.')
		b = appendIdent(b, t.name)
		if alias {
			b = append(b, " a"...)
		}
		b = append(b, " set "...)
		for i, c := range r.setCols {
			if i > 0 {
				b = append(b, ", "...)
			}
			if alias {
				b = append(b, "a."...)
			}
			b = appendIdent(b, t.cols[c].Name)
			b = append(b, " = "...)
			b = n.appendRedoValue(b, t.cols[c].Type, newV[c])
		}
		b = cs.where(b, r, oldV, alias, undo)
		return cs.delim(b)
	case OpDelete:
		b = append(b, "delete from "...)
		b = appendIdent(b, t.schema)
		b = append(b, '.')
		b = appendIdent(b, t.name)
		b = cs.where(b, r, oldV, false, undo)
		return cs.delim(b)
	}
	return b
}

func (cs *contentsSource) where(b []byte, r *redoRecord, img []any, alias, undo bool) []byte {
	t := r.tbl
	cols := r.whereCols
	if undo && r.op == OpInsert {
		cols = t.logged
	}
	first := true
	for _, c := range cols {
		if first {
			b = append(b, " where "...)
			first = false
		} else {
			b = append(b, " and "...)
		}
		if alias {
			b = append(b, "a."...)
		}
		b = appendIdent(b, t.cols[c].Name)
		if img[c] == nil {
			b = append(b, " IS NULL"...)
			continue
		}
		b = append(b, " = "...)
		b = cs.nls.appendRedoValue(b, t.cols[c].Type, img[c])
	}
	if !cs.noRowid {
		if first {
			b = append(b, " where "...)
		} else {
			b = append(b, " and "...)
		}
		b = append(b, "ROWID = '"...)
		b = r.rid.appendTo(b)
		b = append(b, '\'')
	}
	return b
}

func (cs *contentsSource) delim(b []byte) []byte {
	if cs.noDelim {
		return b
	}
	return append(b, ';')
}

// rsID renders RS_ID: ' 0x<seq>.<block>.<offset> ' with its spaces.
func rsID(r *redoRecord) string {
	const hexd = "0123456789abcdef"
	var b [26]byte
	b[0], b[1], b[2] = ' ', '0', 'x'
	put := func(at int, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b[at+i] = hexd[v&15]
			v >>= 4
		}
	}
	put(3, uint64(r.seq), 6)
	b[9] = '.'
	put(10, uint64(r.off/512+1), 8)
	b[18] = '.'
	put(19, uint64(r.off%512), 4)
	b[23] = ' '
	return string(b[:24])
}

// dateOf is a time as an Oracle DATE: UTC wall clock, whole seconds.
func dateOf(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
