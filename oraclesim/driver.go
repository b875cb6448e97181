package oraclesim

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DriverName is the name the driver is registered under with database/sql.
const DriverName = "oraclesim"

func init() { sql.Register(DriverName, &Driver{}) }

// registry maps database names used in DSNs to instances.
var registry = struct {
	sync.Mutex
	m map[string]*DB
}{m: map[string]*DB{}}

// Register makes db reachable through sql.Open("oraclesim", dsn) with a DSN
// naming it: "oraclesim://USER@NAME/SERVICE" (a password, "USER/PW@...", is
// accepted and ignored). It returns a function that unregisters it.
func Register(name string, db *DB) func() {
	registry.Lock()
	defer registry.Unlock()
	registry.m[name] = db
	return func() {
		registry.Lock()
		defer registry.Unlock()
		if registry.m[name] == db {
			delete(registry.m, name)
		}
	}
}

// Driver is the database/sql driver.
type Driver struct{}

// Open opens a connection by DSN; see Register.
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector implements driver.DriverContext.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	rest := strings.TrimPrefix(dsn, "oraclesim://")
	user, host := "SYSTEM", rest
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, host = rest[:at], rest[at+1:]
		if i := strings.IndexByte(user, '/'); i >= 0 {
			user = user[:i]
		}
	}
	name, service, _ := strings.Cut(host, "/")
	registry.Lock()
	db := registry.m[name]
	registry.Unlock()
	if db == nil {
		return nil, oraErr(12514, "TNS:listener does not currently know of service requested in connect descriptor (no simulated database %q registered)", name)
	}
	return NewConnector(db, ConnOptions{User: strings.ToUpper(user), Service: service}), nil
}

// ConnOptions describes the session a Connector opens.
type ConnOptions struct {
	User    string // session user and default schema; SYSTEM when empty
	Service string // service name, informational
}

// Connector opens connections (Oracle sessions) bound to one DB. The TNS
// listener uses it to serve each client connection.
type Connector struct {
	db   *DB
	opts ConnOptions
}

// NewConnector returns a Connector for db. Use sql.OpenDB(connector) for a
// *sql.DB, or Connect for a single driver.Conn.
func NewConnector(db *DB, opts ConnOptions) *Connector {
	if opts.User == "" {
		opts.User = "SYSTEM"
	}
	return &Connector{db: db, opts: opts}
}

// Connect opens a new session.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db := c.db
	db.mu.RLock()
	closed, epoch := db.closed, db.connEpoch
	db.mu.RUnlock()
	if closed {
		return nil, oraErr(1034, "ORACLE not available")
	}
	return &Conn{db: db, sess: newSession(db, c.opts.User, c.opts.Service), epoch: epoch}, nil
}

// Driver returns the driver.
func (c *Connector) Driver() driver.Driver { return &Driver{} }

// Conn is one Oracle session. It implements the context-aware driver
// interfaces; database/sql serializes calls on it.
type Conn struct {
	db     *DB
	sess   *session
	epoch  uint64
	closed bool
	bad    bool
}

var (
	_ driver.Conn               = (*Conn)(nil)
	_ driver.ConnBeginTx        = (*Conn)(nil)
	_ driver.ConnPrepareContext = (*Conn)(nil)
	_ driver.QueryerContext     = (*Conn)(nil)
	_ driver.ExecerContext      = (*Conn)(nil)
	_ driver.Pinger             = (*Conn)(nil)
	_ driver.SessionResetter    = (*Conn)(nil)
	_ driver.Validator          = (*Conn)(nil)
	_ driver.NamedValueChecker  = (*Conn)(nil)
)

// plan cache: parsed statements by SQL text.
var plans = struct {
	sync.Mutex
	m map[string]*stmt
}{m: map[string]*stmt{}}

func parseCached(sqlText string) (*stmt, error) {
	plans.Lock()
	st := plans.m[sqlText]
	plans.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := parseSQL(sqlText)
	if err != nil {
		return nil, err
	}
	plans.Lock()
	if len(plans.m) >= 4096 {
		clear(plans.m)
	}
	plans.m[sqlText] = st
	plans.Unlock()
	return st, nil
}

// enter runs before every call: dropped connections and injected faults.
func (c *Conn) enter(ctx context.Context) error {
	if c.closed || c.bad {
		return driver.ErrBadConn
	}
	c.db.mu.RLock()
	epoch, closed := c.db.connEpoch, c.db.closed
	c.db.mu.RUnlock()
	if epoch != c.epoch || closed {
		c.bad = true
		c.abandon()
		return driver.ErrBadConn
	}
	delay, err := c.db.takeFault()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

// abandon rolls back what the session leaves open.
func (c *Conn) abandon() {
	if c.sess.tx != nil {
		_ = c.sess.tx.Rollback()
		c.sess.tx = nil
	}
	c.sess.inTx = false
	c.sess.lm = logmnrSession{}
}

// Close ends the session, rolling back an open transaction.
func (c *Conn) Close() error {
	if !c.closed {
		c.abandon()
		c.closed = true
	}
	return nil
}

// Prepare implements driver.Conn.
func (c *Conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext parses the statement.
func (c *Conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	st, err := parseCached(query)
	if err != nil {
		return nil, err
	}
	return &Stmt{c: c, st: st}, nil
}

// Begin implements driver.Conn.
func (c *Conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx starts a transaction: statements stop autocommitting until Commit
// or Rollback. The Oracle transaction itself starts with the first change.
func (c *Conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	if c.sess.inTx {
		return nil, fmt.Errorf("oraclesim: a transaction is already open on this connection")
	}
	c.sess.inTx = true
	return &connTx{c: c}, nil
}

// Ping checks the connection.
func (c *Conn) Ping(ctx context.Context) error { return c.enter(ctx) }

// ResetSession keeps the session unless it was dropped.
func (c *Conn) ResetSession(ctx context.Context) error {
	if c.bad || c.closed {
		return driver.ErrBadConn
	}
	c.db.mu.RLock()
	ok := c.db.connEpoch == c.epoch && !c.db.closed
	c.db.mu.RUnlock()
	if !ok {
		c.bad = true
		c.abandon()
		return driver.ErrBadConn
	}
	return nil
}

// IsValid reports whether the connection can be reused.
func (c *Conn) IsValid() bool { return c.ResetSession(context.Background()) == nil }

// CheckNamedValue accepts every value; conversion happens against the
// column or predicate type.
func (c *Conn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(driver.Valuer); ok {
		x, err := v.Value()
		if err != nil {
			return err
		}
		nv.Value = x
	}
	return nil
}

// QueryContext runs a statement returning rows.
func (c *Conn) QueryContext(ctx context.Context, query string, a []driver.NamedValue) (driver.Rows, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	st, err := parseCached(query)
	if err != nil {
		return nil, err
	}
	return c.query(st, a)
}

// ExecContext runs a statement.
func (c *Conn) ExecContext(ctx context.Context, query string, a []driver.NamedValue) (driver.Result, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	st, err := parseCached(query)
	if err != nil {
		return nil, err
	}
	return c.exec(st, a)
}

func (c *Conn) query(st *stmt, a []driver.NamedValue) (driver.Rows, error) {
	if st.kind != stSelect {
		if _, err := c.exec(st, a); err != nil {
			return nil, err
		}
		return &Rows{q: &query{mat: true}}, nil
	}
	q, err := c.sess.openSelect(st.sel, a)
	if err != nil {
		return nil, err
	}
	return newRows(q), nil
}

func (c *Conn) exec(st *stmt, a []driver.NamedValue) (driver.Result, error) {
	s := c.sess
	switch st.kind {
	case stSelect:
		q, err := s.openSelect(st.sel, a)
		if err != nil {
			return nil, err
		}
		for q.nextRow() != nil {
		}
		return driver.RowsAffected(0), nil
	case stAlterSession:
		return driver.RowsAffected(0), s.alterSession(st.alter)
	case stAlterSystem:
		c.db.SwitchLogfile()
		return driver.RowsAffected(0), nil
	case stPLSQL:
		return driver.RowsAffected(0), s.runPLSQL(st.calls, a)
	case stInsert, stUpdate, stDelete:
		n, err := s.execDML(st, a)
		if err != nil {
			return nil, err
		}
		return driver.RowsAffected(n), nil
	case stCommit:
		if s.tx != nil {
			_, err := s.tx.Commit()
			s.tx = nil
			if err != nil {
				return nil, err
			}
		}
		return driver.RowsAffected(0), nil
	case stRollback:
		if s.tx != nil {
			err := s.tx.Rollback()
			s.tx = nil
			if err != nil {
				return nil, err
			}
		}
		return driver.RowsAffected(0), nil
	case stSavepoint:
		if !s.inTx {
			return driver.RowsAffected(0), nil // autocommit: nothing to mark
		}
		tx, _ := s.txFor()
		return driver.RowsAffected(0), tx.Savepoint(st.name)
	case stRollbackTo:
		if s.tx == nil {
			return nil, oraErr(1086, "savepoint '%s' never established in this session or is invalid", st.name)
		}
		return driver.RowsAffected(0), s.tx.RollbackTo(st.name)
	}
	return nil, errSQL(st.sql)
}

// connTx is the driver.Tx of a Conn.
type connTx struct{ c *Conn }

// Commit commits the session's transaction.
func (t *connTx) Commit() error {
	s := t.c.sess
	if !s.inTx {
		return errTxDone
	}
	if err := t.c.enter(context.Background()); err != nil {
		s.inTx = false
		return err
	}
	s.inTx = false
	if s.tx != nil {
		_, err := s.tx.Commit()
		s.tx = nil
		return err
	}
	return nil
}

// Rollback rolls the session's transaction back.
func (t *connTx) Rollback() error {
	s := t.c.sess
	if !s.inTx {
		return errTxDone
	}
	s.inTx = false
	if s.tx != nil {
		err := s.tx.Rollback()
		s.tx = nil
		return err
	}
	return nil
}

// Stmt is a prepared statement.
type Stmt struct {
	c  *Conn
	st *stmt
}

// Close implements driver.Stmt.
func (s *Stmt) Close() error { return nil }

// NumInput returns -1: binds are checked when the statement runs.
func (s *Stmt) NumInput() int { return -1 }

// Exec implements driver.Stmt.
func (s *Stmt) Exec(a []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(a))
}

// Query implements driver.Stmt.
func (s *Stmt) Query(a []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(a))
}

// ExecContext implements driver.StmtExecContext.
func (s *Stmt) ExecContext(ctx context.Context, a []driver.NamedValue) (driver.Result, error) {
	if err := s.c.enter(ctx); err != nil {
		return nil, err
	}
	return s.c.exec(s.st, a)
}

// QueryContext implements driver.StmtQueryContext.
func (s *Stmt) QueryContext(ctx context.Context, a []driver.NamedValue) (driver.Rows, error) {
	if err := s.c.enter(ctx); err != nil {
		return nil, err
	}
	return s.c.query(s.st, a)
}

func named(a []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(a))
	for i, v := range a {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// Rows is a result set. Values are shaped like go-ora v2's: NUMBER as a
// decimal string, DATE/TIMESTAMP as time.Time, BINARY_FLOAT as float32,
// BINARY_DOUBLE as float64, RAW/BLOB as []byte, character types and
// INTERVALs as string, NULL as nil.
type Rows struct {
	q     *query
	names []string
}

var (
	_ driver.RowsColumnTypeDatabaseTypeName = (*Rows)(nil)
	_ driver.RowsColumnTypeLength           = (*Rows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*Rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*Rows)(nil)
)

func newRows(q *query) *Rows {
	r := &Rows{q: q, names: make([]string, len(q.cols))}
	for i, c := range q.cols {
		r.names[i] = c.name
	}
	return r
}

// Columns returns the column labels.
func (r *Rows) Columns() []string { return r.names }

// Close releases the result set.
func (r *Rows) Close() error {
	if r.q.src != nil {
		r.q.src.close()
	}
	return nil
}

// Next fills dest with the next row.
func (r *Rows) Next(dest []driver.Value) error {
	q := r.q
	if q.mat {
		row := q.nextRow()
		if row == nil {
			return io.EOF
		}
		for i, v := range row {
			dest[i] = outValue(v)
		}
		return nil
	}
	if !q.advance() {
		return io.EOF
	}
	src := q.src
	for i, p := range q.proj {
		switch {
		case p < 0:
			dest[i] = outValue(q.lits[i])
		case q.fns[i] != "":
			dest[i] = outValue(q.current()[i])
		default:
			dest[i] = outValue(src.value(p))
		}
	}
	return nil
}

// outValue converts an internal value to the driver value go-ora returns.
func outValue(v any) driver.Value {
	switch x := v.(type) {
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case []byte:
		return append([]byte(nil), x...)
	case rowID:
		return x.String()
	}
	return v
}

// ColumnTypeDatabaseTypeName returns the Oracle type name.
func (r *Rows) ColumnTypeDatabaseTypeName(i int) string {
	t := r.q.cols[i].typ
	if t.Kind == kindRowID {
		return "ROWID"
	}
	return t.TypeName()
}

// ColumnTypeLength returns the length of variable-length types.
func (r *Rows) ColumnTypeLength(i int) (int64, bool) {
	t := r.q.cols[i].typ
	switch t.Kind {
	case KindVarchar2, KindNVarchar2, KindChar, KindNChar, KindRaw:
		return int64(t.Length), true
	case KindClob, KindNClob, KindBlob, KindLong, KindLongRaw:
		return 1<<63 - 1, true
	case kindRowID:
		return 18, true
	}
	return 0, false
}

// ColumnTypePrecisionScale returns NUMBER(p,s) and FLOAT(p) precisions.
func (r *Rows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	t := r.q.cols[i].typ
	switch {
	case t.Kind == KindNumber && t.Precision > 0:
		return int64(t.Precision), int64(t.Scale), true
	case t.Kind == KindFloat:
		return int64(t.Precision), -127, true
	}
	return 0, 0, false
}

// ColumnTypeNullable reports nullability.
func (r *Rows) ColumnTypeNullable(i int) (bool, bool) { return r.q.cols[i].nullable, true }
