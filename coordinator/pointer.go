package coordinator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/internal/fsx"
)

// The leader mirrors its checkpoint pointer into the checkpoint storage, in
// CHECKPOINT_DIR/<job>/epoch-<N>/_latest: written as it takes office (the
// checkpoint it recovered, or none) and after each checkpoint ZooKeeper
// recorded. When ZooKeeper has no pointer (it lost its data, or HA_MODE=NONE
// after a restart), the leader reads these instead of taking the newest
// metadata on disk: a checkpoint whose pointer was never recorded (the
// leader lost ZooKeeper between writing its metadata and the pointer) was
// never acknowledged, its files were never committed, and a restore from it
// cannot find them.
const diskPointerFile = "_latest"

func epochDir(checkpointDir, job string, epoch int64) string {
	return filepath.Join(checkpointDir, job, "epoch-"+strconv.FormatInt(epoch, 10))
}

func writeDiskPointer(dir string, p pointer) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fsx.WriteFile(filepath.Join(dir, diskPointerFile), b)
}

// readDiskPointer returns dir's pointer; ok is false when dir has none (a
// directory of a version that wrote none) or it does not decode.
func readDiskPointer(dir string) (p pointer, ok bool) {
	b, err := os.ReadFile(filepath.Join(dir, diskPointerFile))
	if err != nil {
		return pointer{}, false
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return pointer{}, false
	}
	return p, true
}

// latestIn is the latest completed checkpoint an epoch directory knows: its
// pointer's when it has one (a zero pointer: none, or one that no longer
// loads), else the newest readable metadata in it.
func (ld *leader) latestIn(dir string, epoch int64) pointer {
	if p, ok := readDiskPointer(dir); ok {
		if p.Path == "" {
			return pointer{}
		}
		if _, err := checkpoint.Load(p.Path); err != nil {
			ld.log.Warn("the checkpoint an epoch's pointer names is unreadable", "dir", dir, "checkpoint", p.Path, "err", err)
			return pointer{}
		}
		return p
	}
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID, cfg.Retain = dir, ld.c.cfg.JobID, ld.c.cfg.Retain
	st, err := checkpoint.NewStore(cfg)
	if err != nil {
		return pointer{}
	}
	m, path, err := st.Latest()
	if err != nil {
		return pointer{}
	}
	return pointer{Path: path, ID: m.ID, Epoch: epoch}
}
