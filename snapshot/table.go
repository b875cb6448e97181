package snapshot

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/oracletype"
)

// ErrSnapshotTooOld is matched by the error of a chunk that kept failing
// with ORA-01555.
var ErrSnapshotTooOld = errors.New("snapshot too old")

// ErrNoTable is matched when a configured table does not exist.
var ErrNoTable = errors.New("no such table")

type kind uint8

const (
	kNumber kind = iota
	kFloat32
	kFloat64
	kDate
	kTimestamp
	kTimestampTZ
	kTimestampLTZ
	kText
	kBinary
)

type column struct {
	name string
	kind kind
}

type table struct {
	name     string // SCHEMA.TABLE
	quoted   string // "SCHEMA"."TABLE"
	cols     []column
	change   *change.Table
	chunkKey []string // key columns, or ROWID
	numRows  int64
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
		k, ok := kindOf(typ)
		if !ok {
			return nil, fmt.Errorf("snapshot: %s.%s has data type %s, which redoflow does not capture", name, c, typ)
		}
		t.cols = append(t.cols, column{name: c, kind: k})
		t.change.Columns = append(t.change.Columns, change.Column{Name: c, Type: typ})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.cols) == 0 {
		return nil, fmt.Errorf("snapshot: %w: %s (check DATABASE_SCHEMA and DATABASE_TABLES, and the user's SELECT grant)", ErrNoTable, name)
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
		if c := t.col(k); c == nil || c.kind != kNumber && c.kind != kText {
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

func kindOf(typ string) (kind, bool) {
	u := strings.ToUpper(typ)
	base := u
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "NUMBER", "FLOAT", "INTEGER", "DECIMAL", "NUMERIC":
		return kNumber, true
	case "BINARY_FLOAT":
		return kFloat32, true
	case "BINARY_DOUBLE":
		return kFloat64, true
	case "DATE":
		return kDate, true
	case "TIMESTAMP":
		switch {
		case strings.HasSuffix(u, "WITH LOCAL TIME ZONE"):
			return kTimestampLTZ, true
		case strings.HasSuffix(u, "WITH TIME ZONE"):
			return kTimestampTZ, true
		}
		return kTimestamp, true
	case "VARCHAR2", "NVARCHAR2", "CHAR", "NCHAR", "CLOB", "NCLOB", "INTERVAL", "VARCHAR":
		return kText, true
	case "RAW", "BLOB":
		return kBinary, true
	}
	return 0, false
}

// canonical turns a driver value (go-ora's shapes) into the canonical text
// the redo decoder writes for the same value.
func (c column) canonical(v any) (change.Value, error) {
	if v == nil {
		return change.Value{Null: true}, nil
	}
	switch c.kind {
	case kNumber:
		s, err := oracletype.CanonicalDecimal(numberText(v))
		if err != nil {
			return change.Value{}, fmt.Errorf("NUMBER value %v: %w", v, err)
		}
		return change.Value{Text: s}, nil
	case kFloat32, kFloat64:
		bits := 64
		if c.kind == kFloat32 {
			bits = 32
		}
		switch f := v.(type) {
		case float32:
			return change.Value{Text: strconv.FormatFloat(float64(f), 'g', -1, bits)}, nil
		case float64:
			return change.Value{Text: strconv.FormatFloat(f, 'g', -1, bits)}, nil
		}
	case kDate, kTimestamp, kTimestampTZ, kTimestampLTZ:
		if t, ok := v.(time.Time); ok {
			return change.Value{Text: string(oracletype.AppendDateTime(nil, t, c.kind != kDate, c.kind == kTimestampTZ))}, nil
		}
	case kText:
		switch s := v.(type) {
		case string:
			return change.Value{Text: s}, nil
		case []byte:
			return change.Value{Text: string(s)}, nil
		}
	case kBinary:
		if b, ok := v.([]byte); ok {
			return change.Value{Text: hex.EncodeToString(b)}, nil
		}
	}
	return change.Value{}, fmt.Errorf("unexpected driver value %T", v)
}

func numberText(v any) string {
	switch n := v.(type) {
	case string:
		return n
	case []byte:
		return string(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case uint64:
		return strconv.FormatUint(n, 10)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(v)
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
	}
	return numberText(v)
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

func isSnapshotTooOld(err error) bool {
	var oc interface{ OraCode() int }
	if errors.As(err, &oc) {
		return oc.OraCode() == 1555
	}
	return strings.Contains(err.Error(), "ORA-01555")
}

func wrapORA(err error) error {
	if isSnapshotTooOld(err) {
		return fmt.Errorf("%w (%w)", err, ErrSnapshotTooOld)
	}
	return err
}
