package coordinator

import (
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
)

func saveCheckpoint(t *testing.T, dir, job string, id int64) string {
	t.Helper()
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID, cfg.Retain = dir, job, 10
	st, err := checkpoint.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path, err := st.Save(checkpoint.Metadata{ID: id, Time: time.Unix(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestScanIgnoresUnrecordedCheckpoints: with no pointer in ZooKeeper, the
// leader takes each epoch's mirrored pointer, not the newest metadata on
// disk. A leader that lost ZooKeeper after writing the metadata of
// checkpoint 3 never recorded it: the task never committed its files, and a
// restore from it would look for them forever. A directory without a
// pointer (written by an older version) still yields its newest checkpoint,
// and an epoch whose pointer names nothing adds nothing.
func TestScanIgnoresUnrecordedCheckpoints(t *testing.T) {
	root := t.TempDir()
	const job = "redoflow"
	ld := &leader{c: &Coordinator{cfg: Config{CheckpointDir: root, JobID: job, Retain: 3}}, log: slog.New(slog.DiscardHandler), epoch: 4}

	e1 := epochDir(root, job, 1)
	saveCheckpoint(t, e1, job, 1) // an older version: no pointer file
	p2 := saveCheckpoint(t, e1, job, 2)

	e2 := epochDir(root, job, 2)
	p3 := pointer{Path: saveCheckpoint(t, e2, job, 3), ID: 3, Epoch: 2}
	if err := writeDiskPointer(e2, p3); err != nil {
		t.Fatal(err)
	}
	saveCheckpoint(t, e2, job, 4) // metadata written, pointer never recorded

	e3 := epochDir(root, job, 3)
	if err := writeDiskPointer(e3, pointer{Path: p2, ID: 2, Epoch: 1}); err != nil { // took office from 2
		t.Fatal(err)
	}
	saveCheckpoint(t, e3, job, 5) // and lost ZooKeeper before recording 5

	if got := ld.scan(); !reflect.DeepEqual(got, p3) {
		t.Fatalf("scan = %+v, want %+v", got, p3)
	}
	if got := ld.latestIn(e1, 1); got.ID != 2 || got.Path != p2 {
		t.Fatalf("latestIn(a directory without a pointer) = %+v, want checkpoint 2", got)
	}
	if got := ld.latestIn(filepath.Join(root, "nothing"), 9); !reflect.DeepEqual(got, pointer{}) {
		t.Fatalf("latestIn(missing) = %+v", got)
	}
}
