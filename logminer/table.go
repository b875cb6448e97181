package logminer

import (
	"fmt"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer/redo"
	"github.com/redoflow/redoflow/oracletype"
)

// tableInfo is a captured table with its column types resolved once.
type tableInfo struct {
	index int // position in the reader's table list (spill records)
	table *change.Table
	types []redo.Type
	// lob marks the columns supplemental logging cannot log: LOBs, LONG and
	// LONG RAW. An UPDATE's redo carries them only when it sets them.
	lob    []bool
	hasLOB bool
	colIdx map[string]int
}

func newTableInfo(index int, schema, name string, cols [][2]string) (*tableInfo, error) {
	ti := &tableInfo{index: index, table: &change.Table{Schema: schema, Name: name}, colIdx: make(map[string]int, len(cols))}
	for i, c := range cols {
		t, err := oracletype.ParseColumn(schema+"."+name, c[0], c[1])
		if err != nil {
			return nil, fmt.Errorf("logminer: %w", err) // the snapshot's error too
		}
		ti.table.Columns = append(ti.table.Columns, change.Column{Name: c[0], Type: c[1]})
		ti.types = append(ti.types, redo.Type(t))
		ti.lob = append(ti.lob, unlogged(c[1]))
		ti.colIdx[c[0]] = i
		ti.hasLOB = ti.hasLOB || ti.lob[i]
	}
	return ti, nil
}

// unlogged reports whether supplemental logging leaves columns of the data
// type out of the redo: "LOB, LONG, and ADT columns cannot be supplementally
// logged" (Oracle Database Utilities, Supplemental Logging).
func unlogged(dataType string) bool {
	switch dataType {
	case "CLOB", "NCLOB", "BLOB", "LONG", "LONG RAW":
		return true
	}
	return false
}
