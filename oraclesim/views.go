package oraclesim

import (
	"math"
	"time"
)

// viewCol is a column of a view or table as a query sees it.
type viewCol struct {
	name string
	typ  Type
}

// kindRowID marks the ROWID pseudo column; its internal values are rowID.
const kindRowID Kind = 100

var rowidT = Type{Kind: kindRowID, Length: 18}

// rowSource yields rows of a query's FROM item. value returns internal
// values: NUMBER columns as uint64, int64 or canonical decimal strings, the
// stored forms for table columns, rowID for ROWID.
type rowSource interface {
	columns() []viewCol
	next() bool
	value(i int) any
	close()
}

// memSource is a materialized row set.
type memSource struct {
	cols []viewCol
	rows [][]any
	i    int
}

func (m *memSource) columns() []viewCol { return m.cols }
func (m *memSource) next() bool {
	if m.i >= len(m.rows) {
		return false
	}
	m.i++
	return true
}
func (m *memSource) value(i int) any { return m.rows[m.i-1][i] }
func (m *memSource) close()          {}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func cols(spec ...any) []viewCol {
	out := make([]viewCol, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, viewCol{spec[i].(string), spec[i+1].(Type)})
	}
	return out
}

// viewBuilders materialize the dictionary and V$ views; db.mu is held for
// reading. filter, when non-nil, drops rows early.
var viewBuilders = map[string]func(db *DB, s *session) *memSource{
	"V$DATABASE":            viewDatabase,
	"V$LOG":                 viewLog,
	"V$LOGFILE":             viewLogfile,
	"V$ARCHIVED_LOG":        viewArchivedLog,
	"V$ARCHIVE_DEST_STATUS": viewArchiveDestStatus,
	"V$THREAD":              viewThread,
	"V$TRANSACTION":         viewTransaction,
	"V$INSTANCE":            viewInstance,
	"ALL_TAB_COLUMNS":       viewTabColumns,
	"DBA_TAB_COLUMNS":       viewTabColumns,
	"ALL_CONSTRAINTS":       viewConstraints,
	"DBA_CONSTRAINTS":       viewConstraints,
	"ALL_CONS_COLUMNS":      viewConsColumns,
	"DBA_CONS_COLUMNS":      viewConsColumns,
	"ALL_TABLES":            viewTables,
	"DBA_TABLES":            viewTables,
	"ALL_OBJECTS":           viewObjects,
	"DBA_OBJECTS":           viewObjects,
}

func viewDatabase(db *DB, _ *session) *memSource {
	lvl := db.cfg.SupplementalLogging
	return &memSource{
		cols: cols("DBID", numT, "NAME", vc(9), "CURRENT_SCN", numT, "LOG_MODE", vc(12), "OPEN_MODE", vc(20),
			"SUPPLEMENTAL_LOG_DATA_MIN", vc(8), "SUPPLEMENTAL_LOG_DATA_PK", vc(3), "SUPPLEMENTAL_LOG_DATA_UI", vc(3),
			"SUPPLEMENTAL_LOG_DATA_FK", vc(3), "SUPPLEMENTAL_LOG_DATA_ALL", vc(3), "FORCE_LOGGING", vc(39),
			"RESETLOGS_CHANGE#", numT, "RESETLOGS_TIME", dateT, "DB_UNIQUE_NAME", vc(30), "DATABASE_ROLE", vc(16),
			"PLATFORM_NAME", vc(101), "CDB", vc(3), "CON_ID", numT),
		rows: [][]any{{uint64(db.cfg.DBID), db.cfg.Name, db.scn, "ARCHIVELOG", "READ WRITE",
			"YES", yesNo(lvl == LoggingPK), "NO", "NO", yesNo(lvl == LoggingAll), "NO",
			db.cfg.StartSCN, db.scnTimes[0].t.UTC().Truncate(time.Second), db.cfg.Name, "PRIMARY",
			"Linux x86 64-bit", "NO", uint64(0)}},
	}
}

func viewLog(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("GROUP#", numT, "THREAD#", numT, "SEQUENCE#", numT, "BYTES", numT, "BLOCKSIZE", numT,
		"MEMBERS", numT, "ARCHIVED", vc(3), "STATUS", vc(16), "FIRST_CHANGE#", numT, "FIRST_TIME", dateT,
		"NEXT_CHANGE#", numT, "NEXT_TIME", dateT, "CON_ID", numT)}
	for _, th := range db.threads {
		for _, g := range th.groups {
			r := []any{uint64(g.num), uint64(th.id), uint64(0), uint64(db.cfg.LogFileSize), uint64(512), uint64(1), "YES", g.status, uint64(0), nil, uint64(0), nil, uint64(0)}
			if lf := g.log; lf != nil {
				r[2], r[8], r[9] = uint64(lf.seq), lf.firstSCN, lf.firstTime.UTC().Truncate(time.Second)
				if g.status == "CURRENT" {
					r[6], r[10] = "NO", uint64(math.MaxUint64)
				} else {
					r[10], r[11] = lf.nextSCN, lf.nextTime.UTC().Truncate(time.Second)
				}
			}
			m.rows = append(m.rows, r)
		}
	}
	return m
}

func viewLogfile(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("GROUP#", numT, "STATUS", vc(7), "TYPE", vc(7), "MEMBER", vc(513), "IS_RECOVERY_DEST_FILE", vc(3), "CON_ID", numT)}
	for _, th := range db.threads {
		for _, g := range th.groups {
			m.rows = append(m.rows, []any{uint64(g.num), nil, "ONLINE", g.member, "NO", uint64(0)})
		}
	}
	return m
}

func viewArchivedLog(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("RECID", numT, "STAMP", numT, "NAME", vc(513), "DEST_ID", numT, "THREAD#", numT, "SEQUENCE#", numT,
		"RESETLOGS_CHANGE#", numT, "RESETLOGS_ID", numT, "FIRST_CHANGE#", numT, "FIRST_TIME", dateT, "NEXT_CHANGE#", numT,
		"NEXT_TIME", dateT, "BLOCKS", numT, "BLOCK_SIZE", numT, "CREATOR", vc(7), "REGISTRAR", vc(7), "STANDBY_DEST", vc(3),
		"ARCHIVED", vc(3), "APPLIED", vc(9), "DELETED", vc(3), "STATUS", vc(1), "COMPLETION_TIME", dateT,
		"DICTIONARY_BEGIN", vc(3), "DICTIONARY_END", vc(3), "IS_RECOVERY_DEST_FILE", vc(3), "CON_ID", numT)}
	for _, th := range db.threads {
		for _, a := range th.archived {
			var name any = a.name
			status := "A"
			if a.deleted {
				name, status = nil, "D"
			}
			m.rows = append(m.rows, []any{uint64(a.recid), uint64(a.recid + 1000000000), name, uint64(1), uint64(a.thread), uint64(a.seq),
				db.cfg.StartSCN, uint64(db.cfg.DBID % 1000000000), a.firstSCN, a.firstTime.UTC().Truncate(time.Second), a.nextSCN,
				a.nextTime.UTC().Truncate(time.Second), uint64(a.bytes/512 + 1), uint64(512), "ARCH", "ARCH", "NO",
				"YES", "NO", yesNo(a.deleted), status, a.completed.UTC().Truncate(time.Second), "NO", "NO", "YES", uint64(0)})
		}
	}
	return m
}

func viewArchiveDestStatus(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("DEST_ID", numT, "DEST_NAME", vc(256), "STATUS", vc(9), "TYPE", vc(14), "DATABASE_MODE", vc(15),
		"RECOVERY_MODE", vc(23), "DESTINATION", vc(256), "ARCHIVED_THREAD#", numT, "ARCHIVED_SEQ#", numT, "CON_ID", numT)}
	var seq, thread uint64
	for _, th := range db.threads {
		if n := len(th.archived); n > 0 {
			seq, thread = uint64(th.archived[n-1].seq), uint64(th.id)
		}
	}
	m.rows = append(m.rows,
		[]any{uint64(1), "LOG_ARCHIVE_DEST_1", "VALID", "LOCAL", "OPEN", "IDLE", db.cfg.ArchiveLogDir, thread, seq, uint64(0)},
		[]any{uint64(2), "LOG_ARCHIVE_DEST_2", "INACTIVE", "LOCAL", "UNKNOWN", "UNKNOWN", nil, uint64(0), uint64(0), uint64(0)})
	return m
}

func viewThread(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("THREAD#", numT, "STATUS", vc(6), "ENABLED", vc(8), "GROUPS", numT, "INSTANCE", vc(80),
		"CURRENT_GROUP#", numT, "SEQUENCE#", numT, "CHECKPOINT_CHANGE#", numT, "CON_ID", numT)}
	for _, th := range db.threads {
		g := th.groups[th.cur]
		m.rows = append(m.rows, []any{uint64(th.id), "OPEN", "PUBLIC", uint64(len(th.groups)), db.cfg.Name, uint64(g.num), uint64(g.log.seq), g.log.firstSCN, uint64(0)})
	}
	return m
}

// viewTransaction lists the open transactions (those with a first change),
// as V$TRANSACTION does; START_SCN is what a snapshot needs to know where
// mining must begin so that transactions open at its SCN arrive whole.
func viewTransaction(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("XIDUSN", numT, "XIDSLOT", numT, "XIDSQN", numT, "XID", rawT, "STATUS", vc(16),
		"START_SCN", numT, "START_TIME", vc(20), "START_DATE", dateT, "THREAD#", numT, "USED_UREC", numT)}
	for id, th := range db.active {
		m.rows = append(m.rows, []any{uint64(id.xid.USN), uint64(id.xid.Slot), uint64(id.xid.Sqn), id.xidRaw, "ACTIVE",
			id.startSCN, id.startTS.UTC().Format("01/02/06 15:04:05"), id.startTS.UTC().Truncate(time.Second), uint64(th.id), uint64(1)})
	}
	return m
}

func viewInstance(db *DB, _ *session) *memSource {
	return &memSource{
		cols: cols("INSTANCE_NUMBER", numT, "INSTANCE_NAME", vc(16), "HOST_NAME", vc(64), "VERSION", vc(17), "VERSION_FULL", vc(17),
			"STATUS", vc(12), "THREAD#", numT, "DATABASE_STATUS", vc(17), "CON_ID", numT),
		rows: [][]any{{uint64(1), db.cfg.Name, "oraclesim", "19.0.0.0.0", "19.3.0.0.0", "OPEN", uint64(1), "ACTIVE", uint64(0)}},
	}
}

func viewTabColumns(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("OWNER", vc(128), "TABLE_NAME", vc(128), "COLUMN_NAME", vc(128), "DATA_TYPE", vc(128),
		"DATA_TYPE_MOD", vc(3), "DATA_TYPE_OWNER", vc(128), "DATA_LENGTH", numT, "DATA_PRECISION", numT, "DATA_SCALE", numT,
		"NULLABLE", vc(1), "COLUMN_ID", numT, "DEFAULT_LENGTH", numT, "CHAR_LENGTH", numT, "CHAR_USED", vc(1),
		"HIDDEN_COLUMN", vc(3), "VIRTUAL_COLUMN", vc(3))}
	for _, t := range db.tableList {
		for i, c := range t.cols {
			var prec, scale any
			ty := c.Type
			switch ty.Kind {
			case KindNumber:
				if ty.Precision > 0 {
					prec = uint64(ty.Precision)
				}
				if ty.ScaleSet {
					scale = int64(ty.Scale)
				}
			case KindFloat:
				prec = uint64(ty.Precision)
			case KindTimestamp, KindTimestampTZ, KindTimestampLTZ:
				scale = uint64(ty.FSP)
			case KindIntervalYM:
				prec, scale = uint64(ty.LeadPrec), uint64(0)
			case KindIntervalDS:
				prec, scale = uint64(ty.LeadPrec), uint64(ty.FSP)
			}
			var charLen uint64
			var charUsed any
			switch ty.Kind {
			case KindVarchar2, KindChar:
				charLen, charUsed = uint64(ty.Length), "B"
			case KindNVarchar2, KindNChar:
				charLen, charUsed = uint64(ty.Length), "C"
			}
			nullable := "Y"
			if !c.Nullable {
				nullable = "N"
			}
			m.rows = append(m.rows, []any{t.schema, t.name, c.Name, ty.DataType(), nil, nil, uint64(ty.dataLength()), prec, scale,
				nullable, uint64(i + 1), nil, charLen, charUsed, "NO", "NO"})
		}
	}
	return m
}

func viewConstraints(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("OWNER", vc(128), "CONSTRAINT_NAME", vc(128), "CONSTRAINT_TYPE", vc(1), "TABLE_NAME", vc(128),
		"STATUS", vc(8), "DEFERRABLE", vc(14), "VALIDATED", vc(13), "INDEX_OWNER", vc(128), "INDEX_NAME", vc(128))}
	for _, t := range db.tableList {
		if t.pkName != "" {
			m.rows = append(m.rows, []any{t.schema, t.pkName, "P", t.name, "ENABLED", "NOT DEFERRABLE", "VALIDATED", t.schema, t.pkName})
		}
	}
	return m
}

func viewConsColumns(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("OWNER", vc(128), "CONSTRAINT_NAME", vc(128), "TABLE_NAME", vc(128), "COLUMN_NAME", vc(4000), "POSITION", numT)}
	for _, t := range db.tableList {
		for i, c := range t.pk {
			m.rows = append(m.rows, []any{t.schema, t.pkName, t.name, t.cols[c].Name, uint64(i + 1)})
		}
	}
	return m
}

func viewTables(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("OWNER", vc(128), "TABLE_NAME", vc(128), "TABLESPACE_NAME", vc(30), "NUM_ROWS", numT, "BLOCKS", numT,
		"LOGGING", vc(3), "TEMPORARY", vc(1), "IOT_TYPE", vc(12), "PARTITIONED", vc(3), "NESTED", vc(3), "LAST_ANALYZED", dateT)}
	for _, t := range db.tableList {
		m.rows = append(m.rows, []any{t.schema, t.name, "USERS", uint64(t.live), uint64(int(t.nextRow)/rowsPerBlock + 1), "YES", "N", nil, "NO", "NO", db.now().UTC().Truncate(time.Second)})
	}
	return m
}

func viewObjects(db *DB, _ *session) *memSource {
	m := &memSource{cols: cols("OWNER", vc(128), "OBJECT_NAME", vc(128), "OBJECT_TYPE", vc(23), "OBJECT_ID", numT, "DATA_OBJECT_ID", numT, "STATUS", vc(7))}
	for _, t := range db.tableList {
		m.rows = append(m.rows, []any{t.schema, t.name, "TABLE", uint64(t.obj), uint64(t.obj), "VALID"})
	}
	return m
}
