package jobspec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/internal/dirlock"
	"github.com/redoflow/redoflow/logminer"
)

// Lock takes the locks that keep every other job out of the directories this
// job writes, for as long as it runs: its checkpoint directory
// (CHECKPOINT_DIR/<job>), OUTPUT_PATH (which two jobs with different
// checkpoint directories could still share), and the dead-letter file when
// it lies outside OUTPUT_PATH. A standalone job (redoflow run, the demo, a
// coordinator with HA_MODE=NONE) takes them exclusively; a cluster worker's
// task attempt takes them shared, so that attempts never wait for each
// other (a paused predecessor included) but a standalone job on the
// cluster's directories is refused, as they are beside it. The error of a
// lock held elsewhere matches dirlock.ErrHeld and names the directory and,
// when known, the holder. release lets every lock go.
func Lock(cfg config.Config, exclusive bool) (release func(), err error) {
	var held []*dirlock.Lock
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].Release()
		}
	}
	take := func(l *dirlock.Lock, err error) error {
		if err == nil {
			held = append(held, l)
		}
		return err
	}
	dirs := []struct{ what, dir string }{{"CHECKPOINT_DIR", filepath.Join(cfg.CheckpointDir, cfg.JobID)}, {"OUTPUT_PATH", cfg.OutputPath}}
	for _, d := range dirs {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			release()
			return nil, fmt.Errorf("jobspec: %s=%q: %w", d.what, d.dir, err)
		}
		if exclusive {
			err = take(dirlock.Exclusive(d.dir, d.what, cfg.JobID))
		} else {
			err = take(dirlock.Shared(d.dir, d.what))
		}
		if err != nil {
			release()
			return nil, err
		}
	}
	if dl := cfg.Reader.DeadLetterPath; cfg.DeadLetter == logminer.DeadLetterWrite && dl != "" && !inside(cfg.OutputPath, dl) {
		if exclusive {
			err = take(dirlock.ExclusiveFile(dl, "REDOFLOW_DEAD_LETTER_PATH", cfg.JobID))
		} else {
			err = take(dirlock.SharedFile(dl, "REDOFLOW_DEAD_LETTER_PATH"))
		}
		if err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// inside reports whether path lies in dir.
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
