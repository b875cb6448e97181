// Package scripted is a deterministic source for tests of the checkpoint
// protocol: transaction i holds i%5+1 inserts into S.T with ids i*10+k, and
// its position is the number of transactions handed over. Tests of the
// pipeline and the cluster use it to isolate them from the LogMiner reader,
// which has resume tests of its own.
package scripted

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redoflow/redoflow/change"
)

// Table is S.T (ID, V).
var Table = &change.Table{Schema: "S", Name: "T", Columns: []change.Column{{Name: "ID", Type: "NUMBER"}, {Name: "V", Type: "VARCHAR2"}}}

// Source hands over Txns transactions, waiting Pause after each so that
// kills and failovers land mid-stream.
type Source struct {
	Txns  int
	Pause time.Duration
}

// Value is the V column of row id.
func Value(id int) string { return fmt.Sprintf("v%d, \"quoted\"", id) }

// commitSCN and xid are transaction i's commit SCN and XID.
func commitSCN(i int) uint64 { return uint64(i*10 + 9) }
func xid(i int) string       { return fmt.Sprintf("%08x", i) }

// IDs returns the ids of the first txns transactions, in order.
func IDs(txns int) []int {
	var ids []int
	for i := range txns {
		for k := range i%5 + 1 {
			ids = append(ids, i*10+k)
		}
	}
	return ids
}

// Run implements pipeline.Source.
func (s Source) Run(ctx context.Context, from change.Position, h change.Handler) error {
	next := 0
	if len(from) > 0 && string(from) != "null" {
		if err := json.Unmarshal(from, &next); err != nil {
			return err
		}
	}
	ev := change.Event{Op: change.OpCreate, Table: Table, Row: make([]change.Value, 2)}
	for i := next; i < s.Txns; i++ {
		for k := range i%5 + 1 {
			id := i*10 + k
			ev.SCN, ev.CommitSCN, ev.XID, ev.Seq = uint64(id), commitSCN(i), xid(i), k
			ev.Row[0] = change.Value{Text: strconv.Itoa(id)}
			ev.Row[1] = change.Value{Text: Value(id)}
			if err := h.Change(ctx, &ev); err != nil {
				return err
			}
		}
		pos, _ := json.Marshal(i + 1)
		if err := h.Boundary(ctx, pos); err != nil {
			return err
		}
		if s.Pause > 0 {
			select {
			case <-time.After(s.Pause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// WriteTruth writes the truth about txns transactions to dir, as redoflow
// verify reads it: the committed change log (_changes/S.T.csv: each insert
// with the commit SCN, XID and _seq Run hands over), the final contents of
// S.T (S.T.csv) and _keys.json.
func WriteTruth(dir string, txns int) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"ID", "V"})
	for _, id := range IDs(txns) {
		w.Write([]string{strconv.Itoa(id), Value(id)})
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(dir, "S.T.csv"), b.Bytes(), 0o644); err != nil {
		return err
	}
	b.Reset()
	w.Write([]string{"_op", "_commit_scn", "_xid", "_seq", "ID", "V"})
	for i := range txns {
		for k := range i%5 + 1 {
			id := i*10 + k
			w.Write([]string{"c", strconv.FormatUint(commitSCN(i), 10), xid(i), strconv.Itoa(k), strconv.Itoa(id), Value(id)})
		}
	}
	w.Flush()
	if err := os.MkdirAll(filepath.Join(dir, "_changes"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "_changes", "S.T.csv"), b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "_keys.json"), []byte(`{"S.T":["ID"]}`), 0o644)
}
