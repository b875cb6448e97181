package logminer

import (
	"errors"
	"testing"

	"github.com/redoflow/redoflow/oracletype"
)

// TestTableTypesShareTheSnapshotModel: the reader resolves column types
// with oracletype, as the snapshot does: LONG and LONG RAW are captured
// (and, like LOBs, carried into UPDATEs that do not set them, since
// supplemental logging cannot log them), and a type neither captures fails
// the table with the snapshot's error.
func TestTableTypesShareTheSnapshotModel(t *testing.T) {
	ti, err := newTableInfo(0, "S", "T", [][2]string{{"ID", "INTEGER"}, {"L", "LONG"}, {"R", "LONG RAW"}, {"X", "TIMESTAMP(6) WITH TIME ZONE"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		kind     oracletype.Kind
		unlogged bool
	}{{oracletype.Number, false}, {oracletype.Text, true}, {oracletype.Binary, true}, {oracletype.TimestampTZ, false}} {
		if ti.types[i].Kind != want.kind || ti.lob[i] != want.unlogged {
			t.Errorf("column %d: kind %v, not logged %v; want %v, %v", i, ti.types[i].Kind, ti.lob[i], want.kind, want.unlogged)
		}
	}
	_, err = newTableInfo(0, "S", "T", [][2]string{{"ID", "NUMBER"}, {"X", "XMLTYPE"}})
	var ue *oracletype.UnsupportedError
	if !errors.As(err, &ue) || *ue != (oracletype.UnsupportedError{Table: "S.T", Column: "X", DataType: "XMLTYPE"}) ||
		err.Error() != "logminer: S.T column X has data type XMLTYPE, which redoflow does not capture" {
		t.Fatalf("err = %v, want the snapshot's *oracletype.UnsupportedError for S.T column X", err)
	}
}
