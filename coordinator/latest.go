package coordinator

import (
	"cmp"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/wire"
	"github.com/redoflow/redoflow/rest"
)

// advance returns the pointer that records c as the latest completed checkpoint, with
// the previous latest and its predecessors (retain-1 of them in all, the ones the store
// keeps) as the fallbacks.
func (p pointer) advance(c pointerRef, retain int) pointer {
	next := pointer{Path: c.Path, ID: c.ID, Epoch: c.Epoch}
	if p.Path != "" {
		next.Previous = append([]pointerRef{{Path: p.Path, ID: p.ID, Epoch: p.Epoch}}, p.Previous...)
	}
	if n := max(retain-1, 0); len(next.Previous) > n {
		next.Previous = next.Previous[:n]
	}
	return next
}

// handleLatest answers a task's question for the checkpoint to resume from: the latest
// completed one, or, when its metadata is unreadable, the newest readable one completed
// before it. With none readable the job FAILED: resuming from nothing would write
// everything again beside the committed output.
func (ld *leader) handleLatest(w http.ResponseWriter, r *http.Request) {
	ld.ckptMu.Lock()
	defer ld.ckptMu.Unlock()
	ld.mu.Lock()
	p := ld.latest
	ld.mu.Unlock()
	if p.Path == "" {
		wire.WriteJSON(w, http.StatusOK, wire.Latest{})
		return
	}
	got, err := ld.resolveLatest(p)
	if err != nil {
		err = failure.MarkFatal(err)
		ld.mu.Lock()
		if !ld.job.final() {
			ld.job.taskFailed(jobFailure{Name: excFatal, Class: failure.Fatal, Time: time.Now(), Message: err.Error()}, time.Now())
			ld.failJobLocked()
		}
		ld.mu.Unlock()
		wire.WriteFailure(w, http.StatusConflict, wire.CodeJobFailed, err)
		return
	}
	if got.Path != p.Path {
		ld.mu.Lock()
		// Later tasks resume from the fallback too; the next checkpoint's pointer
		// builds on it.
		ld.latest = got
		ld.stats.restored = &rest.RestoredInfo{ID: got.ID, RestoreTimestamp: time.Now().UnixMilli(), ExternalPath: got.Path}
		ld.mu.Unlock()
	}
	wire.WriteJSON(w, http.StatusOK, wire.Latest{Path: got.Path, ID: got.ID})
}

// resolveLatest returns p if its checkpoint's metadata reads (header, length, CRC), else
// the newest of p's previous checkpoints that reads, else, for a pointer that records
// none (written by an older leader), the newest readable checkpoint of p's own epoch
// below p's id. Checkpoints of other epochs are not candidates: a deposed leader may
// have stored one there that was never completed.
func (ld *leader) resolveLatest(p pointer) (pointer, error) {
	_, err := checkpoint.Load(p.Path)
	if err == nil {
		return p, nil
	}
	ld.log.Error("the latest completed checkpoint is unreadable; falling back to an earlier one", "path", p.Path, "err", err)
	cands := p.Previous
	if len(cands) == 0 {
		cands = ld.epochCheckpoints(p)
	}
	for i, c := range cands {
		if _, cerr := checkpoint.Load(c.Path); cerr != nil {
			ld.log.Error("an earlier checkpoint is unreadable too", "path", c.Path, "err", cerr)
			continue
		}
		ld.log.Warn("resuming from an earlier completed checkpoint: the changes since are read again and written once", "path", c.Path, "id", c.ID)
		return pointer{Path: c.Path, ID: c.ID, Epoch: c.Epoch, Previous: cands[i+1:]}, nil
	}
	return pointer{}, fmt.Errorf("coordinator: checkpoint %d (%s), the latest completed, is unreadable (%w), and no earlier completed checkpoint is readable: "+
		"restore CHECKPOINT_DIR from a backup, or resume the job from a savepoint (POST /jobs/%s/resume with savepointPath), "+
		"or move OUTPUT_PATH away and start the job anew", p.ID, p.Path, err, ld.c.cfg.JobID)
}

// epochCheckpoints lists the checkpoints of p's epoch directory numbered below p, the
// newest first.
func (ld *leader) epochCheckpoints(p pointer) []pointerRef {
	dir := filepath.Dir(p.Path)
	matches, _ := filepath.Glob(filepath.Join(dir, "chk-*"))
	var out []pointerRef
	for _, m := range matches {
		id, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(m), "chk-"), 10, 64)
		if err == nil && id < p.ID {
			out = append(out, pointerRef{Path: m, ID: id, Epoch: p.Epoch})
		}
	}
	slices.SortFunc(out, func(a, b pointerRef) int { return cmp.Compare(b.ID, a.ID) })
	return out
}
