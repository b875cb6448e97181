package csv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redoflow/redoflow/failure"
)

// ErrOutputWithoutCheckpoint is matched by the error of a fresh start (no
// checkpoint to resume from) in an OUTPUT_PATH that holds committed files of
// the task: starting over would write their changes a second time. It is
// fatal: restarting cannot fix it, a person must choose what to do.
var ErrOutputWithoutCheckpoint = errors.New("committed output and no checkpoint to resume from")

// OutputError is the refusal of a fresh start over committed output.
type OutputError struct {
	Dir   string   // OUTPUT_PATH
	Task  string   // the task whose files they are
	Files []string // the committed files, relative to Dir, sorted
}

func (e *OutputError) Error() string {
	more := ""
	if len(e.Files) > 1 {
		more = fmt.Sprintf(" and %d more", len(e.Files)-1)
	}
	return fmt.Sprintf("csv sink: OUTPUT_PATH=%q holds committed files of task %s (%s%s) and there is no checkpoint to resume from: "+
		"starting over would write their changes again; restore the job's checkpoint directory (CHECKPOINT_DIR) from a backup, "+
		"or start from a savepoint, or move these files away to start over", e.Dir, e.Task, e.Files[0], more)
}

// Is makes an OutputError match ErrOutputWithoutCheckpoint, and failure.ErrFatal: the
// job fails instead of restarting.
func (e *OutputError) Is(target error) bool {
	return target == ErrOutputWithoutCheckpoint || target == failure.ErrFatal
}

// StartFresh is the start of a task that has no checkpoint to resume from.
// It returns an *OutputError if OUTPUT_PATH holds committed files of the
// task (part-<task>-*, in any table directory): they came from a run whose
// checkpoints are gone or unreadable, and nothing says where that run got
// to. Uncommitted files (.part-<task>-*) are no output: no reader sees them,
// and a run killed before its first checkpoint leaves them; they are swept
// when their table is first written.
func (s *Sink) StartFresh() error {
	files, err := s.committedFiles()
	if err != nil {
		return err
	}
	if len(files) > 0 {
		return &OutputError{Dir: s.cfg.Dir, Task: s.cfg.Task, Files: files}
	}
	return nil
}

// committedFiles lists the task's committed files in every table directory.
func (s *Sink) committedFiles() ([]string, error) {
	tables, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("csv sink: %w", err)
	}
	var files []string
	for _, t := range tables {
		if !t.IsDir() {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(s.cfg.Dir, t.Name()))
		if err != nil {
			return nil, fmt.Errorf("csv sink: %w", err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "part-"+s.cfg.Task+"-") && !e.IsDir() {
				files = append(files, filepath.Join(t.Name(), e.Name()))
			}
		}
	}
	slices.Sort(files)
	return files, nil
}
