package oraclesim

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Supplemental logging levels (V$DATABASE.SUPPLEMENTAL_LOG_DATA_*). They
// decide which before-image columns an UPDATE's SQL_REDO lists in WHERE.
const (
	LoggingMin = "MIN" // only the changed columns
	LoggingPK  = "PK"  // primary key columns plus the changed ones
	LoggingAll = "ALL" // every non-LOB column
)

// Config describes a simulated database. Build it from DefaultConfig.
type Config struct {
	// Name is V$DATABASE.NAME and the prefix of redo file names.
	Name string
	// DBID is V$DATABASE.DBID.
	DBID int64
	// StartSCN is the SCN the database starts at.
	StartSCN uint64
	// Threads is the number of redo threads: 1, or 2 for a RAC-like database
	// whose sessions alternate between threads.
	Threads int
	// OnlineLogGroups is the number of online redo log groups per thread.
	OnlineLogGroups int
	// LogFileSize is the size at which an online log switches, in bytes of
	// simulated redo.
	LogFileSize int64
	// ArchiveRetention is how many archived logs per thread are kept; older
	// ones are purged at each switch (V$ARCHIVED_LOG.DELETED = 'YES'). Zero
	// keeps them all.
	ArchiveRetention int
	// UndoRetention bounds how far back AS OF SCN queries reach (ORA-01555).
	UndoRetention time.Duration
	// SupplementalLogging is LoggingMin, LoggingPK or LoggingAll.
	SupplementalLogging string
	// OnlineLogDir and ArchiveLogDir prefix the file names in V$LOGFILE and
	// V$ARCHIVED_LOG. No files are written.
	OnlineLogDir  string
	ArchiveLogDir string
	// Clock gives the time of changes (V$LOGMNR_CONTENTS.TIMESTAMP).
	Clock func() time.Time
}

// DefaultConfig returns a single-thread database in ARCHIVELOG mode with ALL
// supplemental logging, three 8 MiB online log groups and 15 minutes of undo.
func DefaultConfig() Config {
	return Config{
		Name:                "ORCL",
		DBID:                1616161616,
		StartSCN:            1_000_000,
		Threads:             1,
		OnlineLogGroups:     3,
		LogFileSize:         8 << 20,
		UndoRetention:       15 * time.Minute,
		SupplementalLogging: LoggingAll,
		OnlineLogDir:        "/opt/oracle/oradata/ORCL",
		ArchiveLogDir:       "/opt/oracle/fra/ORCL/archivelog",
		Clock:               time.Now,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: Name is empty: give the database a name such as ORCL", ErrInvalidConfig)
	case c.StartSCN == 0:
		return fmt.Errorf("%w: StartSCN is 0: start at a positive SCN", ErrInvalidConfig)
	case c.Threads != 1 && c.Threads != 2:
		return fmt.Errorf("%w: Threads is %d: use 1, or 2 for two redo threads", ErrInvalidConfig, c.Threads)
	case c.OnlineLogGroups < 2:
		return fmt.Errorf("%w: OnlineLogGroups is %d: Oracle needs at least 2 groups per thread", ErrInvalidConfig, c.OnlineLogGroups)
	case c.LogFileSize < 4096:
		return fmt.Errorf("%w: LogFileSize is %d: use at least 4096 bytes", ErrInvalidConfig, c.LogFileSize)
	case c.ArchiveRetention < 0:
		return fmt.Errorf("%w: ArchiveRetention is negative: use 0 to keep every archived log", ErrInvalidConfig)
	case c.UndoRetention <= 0:
		return fmt.Errorf("%w: UndoRetention must be positive", ErrInvalidConfig)
	case c.SupplementalLogging != LoggingMin && c.SupplementalLogging != LoggingPK && c.SupplementalLogging != LoggingAll:
		return fmt.Errorf("%w: SupplementalLogging is %q: use MIN, PK or ALL", ErrInvalidConfig, c.SupplementalLogging)
	case c.Clock == nil:
		return fmt.Errorf("%w: Clock is nil: use time.Now", ErrInvalidConfig)
	}
	return nil
}

// DB is one simulated database instance: tables, transactions, SCN, redo
// logs and the LogMiner machinery. It is safe for concurrent use.
//
// Locking: DB.mu guards all mutable state (tables, rows, logs, transactions,
// faults). Redo records are immutable once appended and a log's record
// slice only grows, so LogMiner iterators read records without the lock
// after copying the slice headers under it. There is no other lock besides
// the tiny zoneMu and the driver's plan cache, which are leaves.
type DB struct {
	cfg Config

	mu        sync.RWMutex
	scn       uint64
	tables    map[string]*Table // "SCHEMA.TABLE"
	tableList []*Table
	nextObj   uint32
	threads   []*redoThread
	nextTh    int
	xidSeq    uint32
	archRecID int64
	scnTimes  []scnTime
	undoFloor uint64
	commits   map[string]int64
	active    map[*txIdent]*redoThread // open transactions, for V$TRANSACTION
	changeLog *ChangeLog               // records commits when set (RecordChanges)
	connEpoch uint64
	faults    faultState
	closed    bool
}

type scnTime struct {
	scn uint64
	t   time.Time
}

// New builds a database from cfg, after validating it.
func New(cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db := &DB{
		cfg:     cfg,
		scn:     cfg.StartSCN,
		tables:  map[string]*Table{},
		nextObj: 73000,
		commits: map[string]int64{},
		active:  map[*txIdent]*redoThread{},
	}
	now := cfg.Clock()
	for i := 0; i < cfg.Threads; i++ {
		db.threads = append(db.threads, newRedoThread(db, i+1, now))
	}
	db.scnTimes = append(db.scnTimes, scnTime{db.scn, now})
	return db, nil
}

// Config returns the configuration the database was built with.
func (db *DB) Config() Config { return db.cfg }

// CurrentSCN is V$DATABASE.CURRENT_SCN: the last SCN handed out.
func (db *DB) CurrentSCN() uint64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.scn
}

// Column is a table column.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
}

// ColumnSpec declares a column for CreateTable; Type is DDL text such as
// "NUMBER(18,2)".
type ColumnSpec struct {
	Name    string
	Type    string
	NotNull bool
}

// TableSpec declares a table for CreateTable.
type TableSpec struct {
	Schema     string
	Name       string
	Columns    []ColumnSpec
	PrimaryKey []string // column names; empty for a table without a key
}

// Table is a simulated table. Its metadata is immutable after creation.
type Table struct {
	db      *DB
	schema  string
	name    string
	cols    []Column
	colIdx  map[string]int
	pk      []int
	logged  []int // the columns supplemental logging logs: all but LOBs and LONG
	lobCols []int
	obj     uint32
	pkName  string
	created uint64

	// guarded by db.mu
	rows    []*row
	byRID   map[rowID]*row
	byKey   map[string]*row
	nextRow uint32
	live    int // committed rows
}

// Schema returns the owner.
func (t *Table) Schema() string { return t.schema }

// Name returns the table name.
func (t *Table) Name() string { return t.name }

// Columns returns the columns in table order.
func (t *Table) Columns() []Column { return append([]Column(nil), t.cols...) }

// PrimaryKey returns the primary key column names.
func (t *Table) PrimaryKey() []string {
	out := make([]string, len(t.pk))
	for i, c := range t.pk {
		out[i] = t.cols[c].Name
	}
	return out
}

// ColumnIndex returns the position of a column, or -1.
func (t *Table) ColumnIndex(name string) int {
	if i, ok := t.colIdx[name]; ok {
		return i
	}
	return -1
}

type row struct {
	rid      rowID
	versions []version // committed, ascending SCN
	pendTx   *Tx
	pendVals []any // the pending image; nil with pendTx set means deleted
	key      string
}

type version struct {
	scn  uint64
	vals []any // nil: deleted
}

// committedAt returns the image visible at scn (0 = latest committed).
func (r *row) committedAt(scn uint64) []any {
	for i := len(r.versions) - 1; i >= 0; i-- {
		if scn == 0 || r.versions[i].scn <= scn {
			return r.versions[i].vals
		}
	}
	return nil
}

// visible returns the image a reader sees: its own pending image, else the
// committed one as of scn.
func (r *row) visible(tx *Tx, scn uint64) []any {
	if tx != nil && r.pendTx == tx {
		return r.pendVals
	}
	return r.committedAt(scn)
}

// CreateTable creates a table. Names are used as given (quoted identifiers).
func (db *DB) CreateTable(spec TableSpec) (*Table, error) {
	if spec.Schema == "" || spec.Name == "" || len(spec.Columns) == 0 {
		return nil, fmt.Errorf("oraclesim: table spec needs a schema, a name and columns")
	}
	t := &Table{schema: spec.Schema, name: spec.Name, colIdx: map[string]int{}, byRID: map[rowID]*row{}, byKey: map[string]*row{}}
	hasLong := false
	for i, cs := range spec.Columns {
		ty, err := ParseType(cs.Type)
		if err != nil {
			return nil, fmt.Errorf("oraclesim: column %s: %w", cs.Name, err)
		}
		if _, dup := t.colIdx[cs.Name]; dup {
			return nil, oraErr(957, "duplicate column name")
		}
		t.cols = append(t.cols, Column{Name: cs.Name, Type: ty, Nullable: !cs.NotNull})
		t.colIdx[cs.Name] = i
		switch {
		case ty.IsLOB():
			t.lobCols = append(t.lobCols, i)
		case ty.IsLong():
			if hasLong {
				return nil, oraErr(1754, "a table may contain only one column of type LONG")
			}
			hasLong = true
		default:
			t.logged = append(t.logged, i)
		}
	}
	for _, k := range spec.PrimaryKey {
		i, ok := t.colIdx[k]
		if !ok {
			return nil, oraErr(904, "%q: invalid identifier", k)
		}
		if t.cols[i].Type.IsLOB() {
			return nil, oraErr(2329, "column of datatype LOB cannot be unique or a primary key")
		}
		if t.cols[i].Type.IsLong() {
			return nil, oraErr(2269, "key column cannot be of LONG datatype")
		}
		t.pk = append(t.pk, i)
		t.cols[i].Nullable = false
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil, ErrClosed
	}
	full := spec.Schema + "." + spec.Name
	if _, ok := db.tables[full]; ok {
		return nil, oraErr(955, "name is already used by an existing object")
	}
	db.nextObj++
	t.db, t.obj, t.created = db, db.nextObj, db.scn
	if len(t.pk) > 0 {
		t.pkName = fmt.Sprintf("SYS_C00%d", 8000+db.nextObj%10000)
	}
	db.tables[full] = t
	db.tableList = append(db.tableList, t)
	return t, nil
}

// Table returns a table by owner and name, or nil.
func (db *DB) Table(schema, name string) *Table {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.tables[schema+"."+name]
}

// Tables returns every table in creation order.
func (db *DB) Tables() []*Table {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return append([]*Table(nil), db.tableList...)
}

func (t *Table) keyOf(vals []any) string {
	if len(t.pk) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range t.pk {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(canonical(t.cols[c].Type, vals[c]))
	}
	return b.String()
}

// keyOfValues builds the key of coerced key values given in PK order.
func (t *Table) keyFromArgs(key []any) (string, error) {
	if len(t.pk) == 0 {
		return "", fmt.Errorf("oraclesim: %s.%s has no primary key: address rows by ROWID", t.schema, t.name)
	}
	if len(key) != len(t.pk) {
		return "", fmt.Errorf("oraclesim: %s.%s: key has %d values, primary key has %d columns", t.schema, t.name, len(key), len(t.pk))
	}
	vals := make([]any, len(t.cols))
	for i, c := range t.pk {
		v, err := coerce(t.cols[c].Type, t.cols[c].Name, key[i])
		if err != nil {
			return "", err
		}
		vals[c] = v
	}
	return t.keyOf(vals), nil
}

// nextSCN hands out the next SCN; db.mu must be held.
func (db *DB) nextSCN() uint64 {
	db.scn++
	return db.scn
}

func (db *DB) now() time.Time { return db.cfg.Clock() }

// noteTime records SCN/time pairs for undo retention, at most one a second.
func (db *DB) noteTime(now time.Time) {
	if n := len(db.scnTimes); n > 0 && now.Sub(db.scnTimes[n-1].t) < time.Second {
		return
	}
	db.scnTimes = append(db.scnTimes, scnTime{db.scn, now})
	// drop entries older than twice the retention
	cut := now.Add(-2 * db.cfg.UndoRetention)
	i := 0
	for i < len(db.scnTimes)-1 && db.scnTimes[i+1].t.Before(cut) {
		i++
	}
	if i > 0 {
		db.scnTimes = append(db.scnTimes[:0], db.scnTimes[i:]...)
	}
}

// undoLow is the oldest SCN an AS OF query may ask for; db.mu must be held.
func (db *DB) undoLow() uint64 {
	low := db.cfg.StartSCN
	cut := db.now().Add(-db.cfg.UndoRetention)
	for _, st := range db.scnTimes {
		if st.t.After(cut) {
			break
		}
		low = st.scn
	}
	if db.undoFloor > low {
		low = db.undoFloor
	}
	return low
}

// ExpireUndo discards all undo: AS OF SCN queries for any SCN before the
// current one fail with ORA-01555 from now on.
func (db *DB) ExpireUndo() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.undoFloor = db.scn
}

// CommittedChanges returns the number of committed row changes per table
// ("SCHEMA.TABLE"), counting each insert, update and delete once. LOB
// follow-up rows and rolled-back changes are not counted.
func (db *DB) CommittedChanges() map[string]int64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make(map[string]int64, len(db.commits))
	for k, v := range db.commits {
		out[k] = v
	}
	return out
}

// Close marks the database closed: later calls fail with ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.closed = true
	db.connEpoch++
	return nil
}

// RowsAsOf returns the committed rows of a table as of scn (0 = current),
// sorted by primary key (or by all columns' canonical text for a table
// without a key), as stored values in column order.
func (db *DB) RowsAsOf(t *Table, scn uint64) ([][]any, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if err := db.checkAsOf(scn); err != nil {
		return nil, err
	}
	var out [][]any
	for _, r := range t.rows {
		if v := r.committedAt(scn); v != nil {
			out = append(out, v)
		}
	}
	sortRows(t, out)
	return out, nil
}

func sortRows(t *Table, rows [][]any) {
	keyCols := t.pk
	if len(keyCols) == 0 {
		keyCols = make([]int, len(t.cols))
		for i := range keyCols {
			keyCols[i] = i
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, c := range keyCols {
			if d := compareStored(t.cols[c].Type, rows[i][c], rows[j][c]); d != 0 {
				return d < 0
			}
		}
		return false
	})
}

// compareStored orders stored values of one type; NULL sorts last.
func compareStored(t Type, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		return cmpDecimal(a.(string), b.(string))
	case KindBinaryFloat:
		return cmpFloat(float64(a.(float32)), float64(b.(float32)))
	case KindBinaryDouble:
		return cmpFloat(a.(float64), b.(float64))
	case KindDate, KindTimestamp, KindTimestampTZ, KindTimestampLTZ:
		return a.(time.Time).Compare(b.(time.Time))
	case KindRaw, KindBlob, KindLongRaw:
		return strings.Compare(string(a.([]byte)), string(b.([]byte)))
	}
	return strings.Compare(a.(string), b.(string))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case a != a && b != b: // both NaN
		return 0
	case a != a:
		return 1
	}
	return -1
}

func (db *DB) checkAsOf(scn uint64) error {
	if scn == 0 {
		return nil
	}
	if scn > db.scn {
		return oraErr(8181, "specified number is not a valid system change number")
	}
	if scn < db.undoLow() {
		return oraErr(1555, "snapshot too old: rollback segment number 7 with name \"_SYSSMU7_1432523891$\" too small")
	}
	return nil
}

var errTxDone = errors.New("oraclesim: transaction already committed or rolled back")
