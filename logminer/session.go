package logminer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/redoflow/redoflow/logminer/redo"
)

// nlsSession is the first statement of every LogMiner session. SQL_REDO
// renders dates and timestamps with the session's NLS formats, and with
// Oracle's defaults (DD-MON-RR) the time of a DATE is lost; the numeric
// characters make NUMBER literals use a dot whatever the territory.
const nlsSession = "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'" +
	" NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF'" +
	" NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM'" +
	" NLS_NUMERIC_CHARACTERS = '.,'"

// startOptions are the START_LOGMNR options: the dictionary of the open
// database (the reader reads column types from ALL_TAB_COLUMNS too), and no
// ROWID predicate in SQL_REDO (ROW_ID is read from its own column). Not
// COMMITTED_DATA_ONLY: it buffers whole transactions inside the database
// session, which fails on large ones; the reader buffers (and spills) them
// itself.
const startOptions = "DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG + DBMS_LOGMNR.NO_ROWID_IN_STMT"

// session is one LogMiner session on one pinned connection: LogMiner state
// (the added logs, START_LOGMNR) belongs to the database session, so every
// statement of a window must run on the same connection.
type session struct {
	r     *Reader
	conn  *sql.Conn
	files []string // logs added to the LogMiner session, in order
	query string   // the V$LOGMNR_CONTENTS query
	args  []any
}

func (r *Reader) openSession(ctx context.Context) (*session, error) {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("logminer: connect: %w", err)
	}
	s := &session{r: r, conn: conn}
	if _, err := conn.ExecContext(ctx, nlsSession); err != nil {
		conn.Close()
		return nil, fmt.Errorf("logminer: set session NLS formats: %w", err)
	}
	s.query, s.args = contentsQuery(r.cfg)
	return s, nil
}

// close ends the LogMiner session (best effort: a broken connection has
// lost it anyway) and returns the connection to the pool.
func (s *session) close() {
	if len(s.files) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = s.conn.ExecContext(ctx, "BEGIN DBMS_LOGMNR.END_LOGMNR; END;")
		cancel()
	}
	s.conn.Close()
}

// checkPrerequisites fails with ErrPrerequisite when the database cannot
// give complete changes: without ARCHIVELOG mode redo is overwritten before
// it is mined, and without ALL COLUMNS supplemental logging an UPDATE's
// redo lacks the unchanged columns the full after image needs.
func (s *session) checkPrerequisites(ctx context.Context) error {
	var logMode, min, all sql.NullString
	err := s.conn.QueryRowContext(ctx, "SELECT LOG_MODE, SUPPLEMENTAL_LOG_DATA_MIN, SUPPLEMENTAL_LOG_DATA_ALL FROM V$DATABASE").Scan(&logMode, &min, &all)
	if err != nil {
		return fmt.Errorf("logminer: read V$DATABASE: %w", err)
	}
	if logMode.String != "ARCHIVELOG" {
		return fatal(fmt.Errorf("%w: the database is in %s mode: LogMiner capture needs ARCHIVELOG (SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN)", ErrPrerequisite, logMode.String))
	}
	if all.String != "YES" {
		return fatal(fmt.Errorf("%w: supplemental logging is not ALL (SUPPLEMENTAL_LOG_DATA_MIN=%s, SUPPLEMENTAL_LOG_DATA_ALL=%s): update rows would lack the unchanged columns; run ALTER DATABASE ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS", ErrPrerequisite, min.String, all.String))
	}
	return nil
}

// loadTables reads the captured tables' columns from ALL_TAB_COLUMNS.
func (s *session) loadTables(ctx context.Context) ([]*tableInfo, error) {
	var out []*tableInfo
	for _, name := range s.r.cfg.tableNames() {
		rows, err := s.conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE FROM ALL_TAB_COLUMNS WHERE OWNER = :1 AND TABLE_NAME = :2 ORDER BY COLUMN_ID", name.schema, name.table)
		if err != nil {
			return nil, fmt.Errorf("logminer: read ALL_TAB_COLUMNS for %s.%s: %w", name.schema, name.table, err)
		}
		var cols [][2]string
		for rows.Next() {
			var c [2]string
			if err := rows.Scan(&c[0], &c[1]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("logminer: read ALL_TAB_COLUMNS for %s.%s: %w", name.schema, name.table, err)
			}
			cols = append(cols, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("logminer: read ALL_TAB_COLUMNS for %s.%s: %w", name.schema, name.table, err)
		}
		if len(cols) == 0 {
			hint := ""
			if up := strings.ToUpper(name.schema + "." + name.table); up != name.schema+"."+name.table {
				hint = fmt.Sprintf(" (names are case-sensitive as Oracle stores them; unquoted names are stored upper case: %s?)", up)
			}
			return nil, fatal(fmt.Errorf("%w: %s.%s (DATABASE_SCHEMA=%s, DATABASE_TABLES=%s) has no columns in ALL_TAB_COLUMNS: check the name and that the user may read it%s",
				ErrTableNotFound, name.schema, name.table, s.r.cfg.Schema, strings.Join(s.r.cfg.Tables, ","), hint))
		}
		ti, err := newTableInfo(len(out), name.schema, name.table, cols)
		if err != nil {
			return nil, fatal(err)
		}
		out = append(out, ti)
	}
	return out, nil
}

// currentSCN is V$DATABASE.CURRENT_SCN.
func (s *session) currentSCN(ctx context.Context) (uint64, error) {
	var scn uint64
	if err := s.conn.QueryRowContext(ctx, "SELECT CURRENT_SCN FROM V$DATABASE").Scan(&scn); err != nil {
		return 0, fmt.Errorf("logminer: read current SCN: %w", err)
	}
	return scn, nil
}

// flush updates (or fills) the flush table in its own autocommitted
// statement: the commit makes LGWR write the redo buffer to the online log.
func (s *session) flush(ctx context.Context, scn uint64) error {
	schema, table, _ := strings.Cut(s.r.cfg.FlushTable, ".")
	name := `"` + schema + `"."` + table + `"`
	res, err := s.conn.ExecContext(ctx, "UPDATE "+name+" SET LAST_SCN = :1", int64(scn))
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			_, err = s.conn.ExecContext(ctx, "INSERT INTO "+name+" (LAST_SCN) VALUES (:1)", int64(scn))
		}
	}
	if err != nil {
		return fmt.Errorf("logminer: flush the redo buffer through %s (REDOFLOW_LOG_FLUSH_TABLE): %w", s.r.cfg.FlushTable, err)
	}
	return nil
}

// start prepares the LogMiner session for SCNs [from, to]: it adds the logs
// the window needs (when they changed) and calls START_LOGMNR.
func (s *session) start(ctx context.Context, from, to uint64) error {
	files, err := s.selectLogs(ctx, from, to)
	if err != nil {
		return err
	}
	if !equalStrings(files, s.files) {
		s.files = nil
		for i, f := range files {
			opt := "DBMS_LOGMNR.ADDFILE"
			if i == 0 {
				// NEW ends the previous LogMiner session and starts a
				// new list.
				opt = "DBMS_LOGMNR.NEW"
			}
			if _, err := s.conn.ExecContext(ctx, "BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => "+opt+"); END;", f); err != nil {
				return s.logError(ctx, fmt.Errorf("logminer: add log %s: %w", f, err), from)
			}
		}
		s.files = files
	}
	_, err = s.conn.ExecContext(ctx, "BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2, OPTIONS => "+startOptions+"); END;", int64(from), int64(to))
	if err != nil {
		return s.logError(ctx, fmt.Errorf("logminer: start LogMiner for SCN %d to %d: %w", from, to, err), from)
	}
	return nil
}

// logError turns ORA-01291 (and ORA-01284, a file gone) into the precise
// fatal error when the redo is really gone, and into a retryable one when
// only the log list was stale (a log switched and its online group was
// reused between selection and use).
func (s *session) logError(ctx context.Context, err error, from uint64) error {
	if code := oraCode(err); code != 1291 && code != 1284 {
		return err
	}
	s.files = nil
	if _, serr := s.selectLogs(ctx, from, from); serr != nil {
		return serr
	}
	return fmt.Errorf("%w (the logs had changed; selecting them again)", err)
}

// rawRow is one V$LOGMNR_CONTENTS row, its strings only valid until the
// next row.
type rawRow struct {
	scn      uint64
	op       int
	xid      sql.RawBytes // RAWTOHEX(XID)
	rollback int
	owner    sql.RawBytes
	table    sql.RawBytes
	rowID    sql.RawBytes
	csf      int
	rsID     sql.RawBytes
	thread   int
	ts       time.Time
	redo     sql.NullString
}

// contentsQuery selects what the reader needs: the transaction control
// rows of every transaction (a transaction that touches no captured table
// still holds back the restart SCN while open), and the DML rows of the
// captured tables, ROLLBACK=1 rows included.
func contentsQuery(cfg ReaderConfig) (string, []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT SCN, OPERATION_CODE, RAWTOHEX(XID), ROLLBACK, SEG_OWNER, TABLE_NAME, ROW_ID, CSF, RS_ID, THREAD#, TIMESTAMP, SQL_REDO FROM V$LOGMNR_CONTENTS WHERE OPERATION_CODE IN (%d, %d, %d)",
		redo.OpStart, redo.OpCommit, redo.OpRollback)
	var args []any
	bySchema := map[string][]string{}
	var schemas []string
	for _, n := range cfg.tableNames() {
		if _, ok := bySchema[n.schema]; !ok {
			schemas = append(schemas, n.schema)
		}
		bySchema[n.schema] = append(bySchema[n.schema], n.table)
	}
	for _, sc := range schemas {
		args = append(args, sc)
		fmt.Fprintf(&b, " OR (OPERATION_CODE IN (%d, %d, %d) AND SEG_OWNER = :%d AND TABLE_NAME IN (",
			redo.OpInsert, redo.OpDelete, redo.OpUpdate, len(args))
		for i, t := range bySchema[sc] {
			args = append(args, t)
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, ":%d", len(args))
		}
		b.WriteString("))")
	}
	return b.String(), args
}

// mine runs the contents query of the started window and calls fn for each
// row in order.
func (s *session) mine(ctx context.Context, from uint64, fn func(*rawRow) error) error {
	rows, err := s.conn.QueryContext(ctx, s.query, s.args...)
	if err != nil {
		return s.logError(ctx, fmt.Errorf("logminer: query V$LOGMNR_CONTENTS: %w", err), from)
	}
	defer rows.Close()
	var rr rawRow
	var rb, csf sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&rr.scn, &rr.op, &rr.xid, &rb, &rr.owner, &rr.table, &rr.rowID, &csf, &rr.rsID, &rr.thread, &rr.ts, &rr.redo); err != nil {
			return fmt.Errorf("logminer: read V$LOGMNR_CONTENTS: %w", err)
		}
		rr.rollback, rr.csf = int(rb.Int64), int(csf.Int64)
		if err := fn(&rr); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.logError(ctx, fmt.Errorf("logminer: read V$LOGMNR_CONTENTS: %w", err), from)
	}
	return nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
