package oraclesim

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CanonicalValue renders a value of column type t in the canonical text of
// redoflow's CSV output (the forms of redo.DecodeLiteral, logminer/redo): exact
// decimals with a leading zero, Go's shortest float text with NaN/+Inf/-Inf,
// ISO 8601 datetimes with trimmed fractions and "+hh:mm" offsets, text as
// is, lower-case hex for RAW/BLOB, Oracle's text for INTERVALs. The value is
// first converted as the column would store it. NULL is "" with ok false.
func CanonicalValue(t Type, v any) (s string, ok bool, err error) {
	cv, err := coerce(t, "value", v)
	if err != nil || cv == nil {
		return "", false, err
	}
	return canonical(t, cv), true, nil
}

// DumpCSV writes a table's committed contents as of scn (0 = now) as CSV: a
// header of column names, then one line per row sorted by primary key (or
// by every column for a table without one), values in canonical form,
// written as redoflow's CSV output writes them: NULL as an empty field, an
// empty value (a LOB) as "".
func (db *DB) DumpCSV(w io.Writer, t *Table, scn uint64) error {
	rows, err := db.RowsAsOf(t, scn)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var b []byte
	for i, c := range t.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c.Name, false)
	}
	b = append(b, '\n')
	if _, err := bw.Write(b); err != nil {
		return err
	}
	for _, r := range rows {
		b = b[:0]
		for i, c := range t.cols {
			if i > 0 {
				b = append(b, ',')
			}
			if r[i] != nil {
				b = appendCSVField(b, canonical(c.Type, r[i]), true)
			}
		}
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// DumpDir writes DumpCSV of every table to dir/<SCHEMA>.<TABLE>.csv.
func (db *DB) DumpDir(dir string, scn uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range db.Tables() {
		path := filepath.Join(dir, t.schema+"."+t.name+".csv")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := db.DumpCSV(f, t, scn); err != nil {
			f.Close()
			return fmt.Errorf("oraclesim: dump %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
