package logminer

import (
	"fmt"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer/redo"
	"github.com/redoflow/redoflow/oracletype"
)

// tableInfo is a captured table with its column types resolved once.
type tableInfo struct {
	index  int // position in the reader's table list (spill records)
	table  *change.Table
	types  []redo.Type
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
		ti.lob = append(ti.lob, c[1] == "CLOB" || c[1] == "NCLOB" || c[1] == "BLOB")
		ti.colIdx[c[0]] = i
		ti.hasLOB = ti.hasLOB || ti.lob[i]
	}
	return ti, nil
}
