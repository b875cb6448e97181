package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/oraerr"
	"github.com/redoflow/redoflow/oracletype"
)

// ErrSnapshotTooOld is matched by the error of a chunk that kept failing
// with ORA-01555. That error is fatal (failure.ErrFatal): the undo that
// held the rows as of the snapshot's SCN is gone, and a restart reads at the
// same SCN.
var ErrSnapshotTooOld = errors.New("snapshot too old")

// ErrNoTable is matched when a configured table does not exist. Fatal.
var ErrNoTable = errors.New("no such table")

// ErrRetriesExhausted is matched by the error of a read that kept failing on lost
// connections more than Config.RetryMax times in a row. Not fatal: the job restarts
// from its last checkpoint, which keeps the chunks done.
var ErrRetriesExhausted = errors.New("database unavailable, retries exhausted")

// permanentError marks an error of the snapshot's own that no new connection cures (a
// table that is not there, a type or value it cannot capture, a missing grant): retry
// returns it at once. A restart cannot cure it either: it is fatal (failure.ErrFatal).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{failure.MarkFatal(err)} }

type column struct {
	name string
	typ  oracletype.Type
}

type table struct {
	name     string // SCHEMA.TABLE
	quoted   string // "SCHEMA"."TABLE"
	cols     []column
	change   *change.Table
	chunkKey []string // key columns, or ROWID
	numRows  int64
}

// newColumn resolves the data type of column name of table (SCHEMA.TABLE)
// with the type model the redo decoder uses: a type it rejects fails the
// snapshot with the error it fails the stream with.
func newColumn(table, name, dataType string) (column, error) {
	t, err := oracletype.ParseColumn(table, name, dataType)
	if err != nil {
		return column{}, failure.MarkFatal(fmt.Errorf("snapshot: %w", err))
	}
	return column{name: name, typ: t}, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (t *table) columnList() string {
	parts := make([]string, len(t.cols))
	for i, c := range t.cols {
		parts[i] = quoteIdent(c.name)
	}
	return strings.Join(parts, ", ")
}

func (t *table) keyList() string {
	parts := make([]string, len(t.chunkKey))
	for i, k := range t.chunkKey {
		parts[i] = keyExpr(k)
	}
	return strings.Join(parts, ", ")
}

func keyExpr(k string) string {
	if k == "ROWID" {
		return "ROWID"
	}
	return quoteIdent(k)
}

// loadTable reads a table's columns, key and row estimate from the
// dictionary views.
func loadTable(ctx context.Context, db *sql.DB, name string) (*table, error) {
	schema, tname, _ := strings.Cut(name, ".")
	t := &table{name: name, quoted: quoteIdent(schema) + "." + quoteIdent(tname), change: &change.Table{Schema: schema, Name: tname}}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE FROM ALL_TAB_COLUMNS WHERE OWNER = :1 AND TABLE_NAME = :2 ORDER BY COLUMN_ID`, schema, tname)
	if err != nil {
		return nil, fmt.Errorf("snapshot: columns of %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, typ string
		if err := rows.Scan(&c, &typ); err != nil {
			return nil, err
		}
		col, err := newColumn(name, c, typ)
		if err != nil {
			return nil, permanent(err)
		}
		t.cols = append(t.cols, col)
		t.change.Columns = append(t.change.Columns, change.Column{Name: c, Type: typ})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.cols) == 0 {
		return nil, permanent(fmt.Errorf("snapshot: %w: %s (check DATABASE_SCHEMA and DATABASE_TABLES, and the user's SELECT grant)", ErrNoTable, name))
	}
	var pkName string
	err = db.QueryRowContext(ctx, `SELECT CONSTRAINT_NAME FROM ALL_CONSTRAINTS WHERE OWNER = :1 AND TABLE_NAME = :2 AND CONSTRAINT_TYPE = 'P'`, schema, tname).Scan(&pkName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("snapshot: primary key of %s: %w", name, err)
	default:
		kr, err := db.QueryContext(ctx, `SELECT COLUMN_NAME FROM ALL_CONS_COLUMNS WHERE OWNER = :1 AND CONSTRAINT_NAME = :2 ORDER BY POSITION`, schema, pkName)
		if err != nil {
			return nil, fmt.Errorf("snapshot: key columns of %s: %w", name, err)
		}
		defer kr.Close()
		for kr.Next() {
			var c string
			if err := kr.Scan(&c); err != nil {
				return nil, err
			}
			t.chunkKey = append(t.chunkKey, c)
		}
		if err := kr.Err(); err != nil {
			return nil, err
		}
	}
	// Key ranges need keys whose text binds back to the same value: numbers
	// and character data. Other keys, and no key, chunk by ROWID.
	for _, k := range t.chunkKey {
		if c := t.col(k); c == nil || c.typ.Kind != oracletype.Number && c.typ.Kind != oracletype.Text {
			t.chunkKey = nil
			break
		}
	}
	if len(t.chunkKey) == 0 {
		t.chunkKey = []string{"ROWID"}
	}
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT NUM_ROWS FROM ALL_TABLES WHERE OWNER = :1 AND TABLE_NAME = :2`, schema, tname).Scan(&n); err == nil {
		t.numRows = n.Int64
	}
	return t, nil
}

func (t *table) col(name string) *column {
	for i := range t.cols {
		if t.cols[i].name == name {
			return &t.cols[i]
		}
	}
	return nil
}

// canonical turns a driver value (go-ora's shapes) into the canonical text
// the redo decoder writes for the same value.
func (c column) canonical(v any) (change.Value, error) {
	if v == nil {
		return change.Value{Null: true}, nil
	}
	s, err := c.typ.ValueText(v)
	if err != nil {
		return change.Value{}, err
	}
	return change.Value{Text: s}, nil
}

// keyText is a key value as a bind-able string.
func keyText(v any) string {
	switch k := v.(type) {
	case nil:
		return ""
	case string:
		return k
	case []byte:
		return string(k)
	case int64:
		return strconv.FormatInt(k, 10)
	case uint64:
		return strconv.FormatUint(k, 10)
	case float64:
		return strconv.FormatFloat(k, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// rangeCond is the WHERE clause selecting keys in [lo, hi), with binds
// numbered from first. Composite keys compare as tuples.
func rangeCond(key []string, lo, hi []string, first int) (string, []any) {
	var parts []string
	var args []any
	next := first
	bind := func(v string) string {
		args = append(args, v)
		next++
		return ":" + strconv.Itoa(next-1)
	}
	// tuple >= b: OR over i of (k1 = b1 AND ... AND k_i > b_i), or all equal.
	tuple := func(b []string, strict, inclusive string) string {
		var ors []string
		for i := range key {
			var ands []string
			for j := 0; j < i; j++ {
				ands = append(ands, keyExpr(key[j])+" = "+bind(b[j]))
			}
			op := strict
			if i == len(key)-1 {
				op = inclusive
			}
			ands = append(ands, keyExpr(key[i])+" "+op+" "+bind(b[i]))
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
	if lo != nil {
		parts = append(parts, tuple(lo, ">", ">="))
	}
	if hi != nil {
		parts = append(parts, tuple(hi, "<", "<"))
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args
}

func isSnapshotTooOld(err error) bool { return oraerr.Code(err) == oraerr.SnapshotTooOld }

func wrapORA(err error) error {
	if isSnapshotTooOld(err) {
		return fmt.Errorf("%w (%w)", err, ErrSnapshotTooOld)
	}
	return err
}
