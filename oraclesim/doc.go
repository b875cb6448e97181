// Package oraclesim is a simulator of exactly the Oracle surface redoflow
// uses: tables with typed columns and ROWIDs, transactions with XIDs and a
// monotonically increasing SCN, online and archived redo logs that switch
// by size and are purged by retention, LogMiner sessions whose
// V$LOGMNR_CONTENTS rows are shaped like real Oracle's, flashback AS OF SCN
// queries, the dictionary and V$ views a LogMiner reader consults, a
// deterministic workload, a truth dump, and faults on demand.
//
// # Truth
//
// Two records of what the database holds, in the canonical forms of
// redoflow's CSV output, for checking a pipeline against: DumpDir writes
// every table's committed contents as of an SCN (<SCHEMA>.<TABLE>.csv), and
// a ChangeLog, started with RecordChanges before the first change, writes
// every committed change in commit order (_changes/<SCHEMA>.<TABLE>.csv:
// _op, _commit_scn, _xid, _seq and the row). Both write NULL as an empty
// field and an empty value (an empty LOB) as "", as the output does.
// Changes of rolled back transactions and changes undone by ROLLBACK TO
// SAVEPOINT never commit and are in neither. The workload rolls back whole
// transactions (RollbackShare) and rolls others back to a savepoint halfway
// before making a few more changes and committing (PartialRollbackShare).
//
// It knows nothing about redoflow's reader: it renders SQL_REDO the way the
// real samples in testdata/ show, and nothing more.
//
// # Reaching it
//
// In process, through database/sql: the driver is registered as
// "oraclesim". Open a session on a DB with
//
//	db, _ := oraclesim.New(oraclesim.DefaultConfig())
//	sqldb := sql.OpenDB(oraclesim.NewConnector(db, oraclesim.ConnOptions{User: "FINANCE_USER"}))
//
// or Register(name, db) and sql.Open("oraclesim", "oraclesim://USER@name/SERVICE").
// Every driver.Conn is one Oracle session with its own NLS settings,
// LogMiner session and open transaction. Values come back shaped like
// go-ora v2.9.0's: NUMBER/FLOAT as decimal strings ("12.5", "-0.5"),
// DATE/TIMESTAMP as time.Time (UTC), TIMESTAMP WITH TIME ZONE as time.Time
// in its offset zone, BINARY_FLOAT as float32, BINARY_DOUBLE as float64,
// RAW/BLOB/LONG RAW as []byte, character types, CLOB, LONG and INTERVALs as
// string, NULL as nil. Outside a driver transaction each DML statement autocommits, as
// with go-ora; inside BeginTx it joins the session's transaction.
//
// Errors are *OraError values carrying the ORA code (OraCode() int); match
// them with errors.Is against the sentinels in errors.go.
//
// # Recognized SQL
//
// A small recognizer, not a SQL engine. Identifiers may be quoted; binds are
// :1, :name or :n and bind by name when named, else by order of appearance.
//
//	ALTER SESSION SET NLS_DATE_FORMAT = '...' [NLS_TIMESTAMP_FORMAT = '...'
//	    NLS_TIMESTAMP_TZ_FORMAT = '...' NLS_NUMERIC_CHARACTERS = '.,'
//	    TIME_ZONE = '...' CURRENT_SCHEMA = X CONTAINER = X, other NLS_*]
//	ALTER SYSTEM SWITCH LOGFILE | ALTER SYSTEM ARCHIVE LOG CURRENT
//	BEGIN DBMS_LOGMNR.ADD_LOGFILE(LOGFILENAME => :1, OPTIONS => DBMS_LOGMNR.NEW|ADDFILE); END;
//	BEGIN DBMS_LOGMNR.REMOVE_LOGFILE(LOGFILENAME => :1); END;
//	BEGIN DBMS_LOGMNR.START_LOGMNR(STARTSCN => :1, ENDSCN => :2,
//	    OPTIONS => DBMS_LOGMNR.DICT_FROM_ONLINE_CATALOG + DBMS_LOGMNR.NO_ROWID_IN_STMT
//	    [+ NO_SQL_DELIMITER + SKIP_CORRUPTION]); END;   (positional arguments too)
//	BEGIN DBMS_LOGMNR.END_LOGMNR; END;
//	SELECT items FROM source [AS OF SCN x] [alias] [WHERE cond] [ORDER BY ...]
//	    [FETCH FIRST n ROWS ONLY] [FOR UPDATE]
//	  items:  *, columns, ROWID, alias (AS optional), COUNT(*), COUNT/MIN/MAX(col),
//	          RAWTOHEX(col), TO_CHAR(col), literals, SYSDATE, SYSTIMESTAMP,
//	          DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER
//	  source: DUAL, V$DATABASE, V$LOG, V$LOGFILE, V$ARCHIVED_LOG,
//	          V$ARCHIVE_DEST_STATUS, V$THREAD, V$INSTANCE, V$TRANSACTION, V$LOGMNR_CONTENTS,
//	          ALL_|DBA_ TAB_COLUMNS, CONSTRAINTS, CONS_COLUMNS, TABLES, OBJECTS,
//	          or a table ("S"."T", S.T, or T in the current schema)
//	  cond:   AND/OR/NOT/parentheses over col = <> != < <= > >= value,
//	          col [NOT] IN (...), col IS [NOT] NULL, col [NOT] LIKE 'x%',
//	          col [NOT] BETWEEN a AND b, ROWNUM <= n
//	  value:  bind, 'text', number, NULL, DBMS_LOGMNR.<constant>, TO_DATE(s[,fmt]),
//	          TO_TIMESTAMP(s[,fmt]), TO_TIMESTAMP_TZ(s[,fmt]), DATE 'x', TIMESTAMP 'x',
//	          HEXTORAW(s), UNISTR(s), EMPTY_CLOB(), EMPTY_BLOB(), TO_NUMBER(s),
//	          TO_YMINTERVAL(s), TO_DSINTERVAL(s), SYSDATE, SYSTIMESTAMP
//	INSERT INTO t [(cols)] VALUES (values)
//	UPDATE t [alias] SET col = value, ... [WHERE cond]
//	DELETE [FROM] t [alias] [WHERE cond]
//	COMMIT [WORK] | ROLLBACK [WORK] | ROLLBACK [WORK] TO [SAVEPOINT] name | SAVEPOINT name
//
// Anything else fails with ORA-00900 quoting the statement. Statements are
// parsed once and cached by text.
//
// # Redo and LogMiner
//
// Each change gets its own SCN; a transaction's first change is preceded by
// a START record (OPERATION_CODE 6) and it ends with COMMIT (7) or, after
// ROLLBACK=1 records that undo each change in reverse, ROLLBACK (36). A
// rollback to savepoint writes the ROLLBACK=1 records only. An INSERT into a
// table with LOB columns renders EMPTY_CLOB()/EMPTY_BLOB() and is followed,
// at the same SCN, by an UPDATE in alias form (update "S"."T" a set a."C" =
// ...) that writes the LOB values; every UPDATE on such a table uses the
// alias form. A LONG or LONG RAW value is written in the statement, as a
// quoted literal or HEXTORAW('...') like VARCHAR2 and RAW. UPDATE's WHERE
// lists the changed columns' old values plus the columns supplemental
// logging adds (PK: the key; ALL: every column but LOBs and LONG, which
// supplemental logging cannot log); DELETE lists every column but LOBs and
// LONG. DDL takes the ANSI types (INTEGER, SMALLINT, DECIMAL, DOUBLE
// PRECISION, REAL, CHARACTER [VARYING], ...) and stores them as the Oracle
// types they convert to, as ALL_TAB_COLUMNS then reports them. START_SCN is the transaction's first
// SCN on every row; COMMIT_SCN and COMMIT_TIMESTAMP are set on COMMIT rows.
// SQL_REDO and SQL_UNDO are rendered at query time under the querying
// session's NLS settings and split into CSF pieces of at most 4000 bytes.
//
// Known simplifications: a write to a row locked by another open
// transaction fails at once with ORA-00054 (Oracle would wait); updating
// primary key columns is ORA-03001; COMMITTED_DATA_ONLY, PRINT_PRETTY_SQL,
// DDL_DICT_TRACKING and DICT_FROM_REDO_LOGS are rejected with ORA-03001
// rather than half-simulated; LOB values of any size are written by the
// single follow-up UPDATE (no LOB_WRITE rows); TIMESTAMP WITH LOCAL TIME
// ZONE renders as TO_TIMESTAMP('...') in the database time zone (UTC).
package oraclesim
