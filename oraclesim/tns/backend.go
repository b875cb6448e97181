package tns

import (
	"context"
	"database/sql/driver"
	"errors"
)

// The helpers below call a backend connection the way database/sql would:
// the context-aware interfaces first, then prepared statements.

func queryBackend(ctx context.Context, conn driver.Conn, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := conn.(driver.QueryerContext); ok {
		rows, err := q.QueryContext(ctx, query, args)
		if !errors.Is(err, driver.ErrSkip) {
			return rows, err
		}
	}
	st, err := prepareBackend(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	var rows driver.Rows
	if sq, ok := st.(driver.StmtQueryContext); ok {
		rows, err = sq.QueryContext(ctx, args)
	} else {
		//lint:ignore SA1019 fallback for drivers without StmtQueryContext, as database/sql does
		rows, err = st.Query(plainValues(args))
	}
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &stmtRows{Rows: rows, stmt: st}, nil
}

func execBackend(ctx context.Context, conn driver.Conn, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := conn.(driver.ExecerContext); ok {
		res, err := e.ExecContext(ctx, query, args)
		if !errors.Is(err, driver.ErrSkip) {
			return res, err
		}
	}
	st, err := prepareBackend(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	defer func() { _ = st.Close() }()
	if se, ok := st.(driver.StmtExecContext); ok {
		return se.ExecContext(ctx, args)
	}
	//lint:ignore SA1019 fallback for drivers without StmtExecContext, as database/sql does
	return st.Exec(plainValues(args))
}

func prepareBackend(ctx context.Context, conn driver.Conn, query string) (driver.Stmt, error) {
	if p, ok := conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return conn.Prepare(query)
}

func beginBackend(ctx context.Context, conn driver.Conn) (driver.Tx, error) {
	if b, ok := conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, driver.TxOptions{})
	}
	//lint:ignore SA1019 fallback for drivers without ConnBeginTx, as database/sql does
	return conn.Begin()
}

func plainValues(args []driver.NamedValue) []driver.Value {
	v := make([]driver.Value, len(args))
	for i := range args {
		v[i] = args[i].Value
	}
	return v
}

// stmtRows closes the statement a result came from together with it.
type stmtRows struct {
	driver.Rows
	stmt driver.Stmt
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close()
	if e := r.stmt.Close(); err == nil {
		err = e
	}
	return err
}

func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return "VARCHAR2"
}

func (r *stmtRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *stmtRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *stmtRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
