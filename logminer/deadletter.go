package logminer

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// deadLetterRecord is one line of the dead-letter file (JSON Lines): enough
// to find the row again in V$LOGMNR_CONTENTS and to replay it by hand.
type deadLetterRecord struct {
	Time      time.Time `json:"time"`
	Table     string    `json:"table"`
	SCN       uint64    `json:"scn"`
	CommitSCN uint64    `json:"commit_scn"`
	XID       string    `json:"xid"`
	RSID      string    `json:"rs_id"`
	SQLRedo   string    `json:"sql_redo"`
	Error     string    `json:"error"`
}

// deadLetters appends records to the dead-letter file, opened on first
// use. Each record is synced: the file is small and its lines are the only
// trace of a change that did not reach the output.
type deadLetters struct {
	path string
	mu   sync.Mutex
	f    *os.File
	n    int64
}

func (d *deadLetters) write(rec deadLetterRecord) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fatal(fmt.Errorf("logminer: open dead-letter file (REDOFLOW_DEAD_LETTER_PATH=%s): %w", d.path, err))
		}
		d.f = f
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := d.f.Write(b); err != nil {
		return fatal(fmt.Errorf("logminer: write dead-letter file %s: %w", d.path, err))
	}
	if err := d.f.Sync(); err != nil {
		return fatal(fmt.Errorf("logminer: sync dead-letter file %s: %w", d.path, err))
	}
	d.n++
	return nil
}

func (d *deadLetters) count() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

func (d *deadLetters) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f != nil {
		d.f.Close()
		d.f = nil
	}
}
