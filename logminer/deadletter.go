package logminer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// Thread is the redo thread of the commit (0 in lines of versions that
	// did not write it).
	Thread  int    `json:"thread"`
	RSID    string `json:"rs_id"`
	SQLRedo string `json:"sql_redo"`
	Error   string `json:"error"`
}

// deadLetters appends records to the dead-letter file, opened on first
// use. Each record is synced: the file is small and its lines are the only
// trace of a change that did not reach the output. The file is exactly-once
// like the CSV output: a transaction's lines are written before the
// position that counts it delivered is handed over, and a reader starting
// from a position first cuts the lines of transactions that position does
// not count (restore), which it is about to read, and write, again.
type deadLetters struct {
	path  string
	fence func() error // nil: none (see ReaderConfig.Fence)
	mu    sync.Mutex
	f     *os.File
	n     int64
}

func (d *deadLetters) write(rec deadLetterRecord) error {
	if d.fence != nil {
		if err := d.fence(); err != nil {
			return err
		}
	}
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

// restore cuts the dead-letter file before the first line of a transaction
// that pos does not count as delivered: the lines of a run that crashed
// after its last checkpoint, or of an earlier start before this one's. Lines
// are in delivery order, so every line after that one is such a line too.
// A torn last line (a crash during its write) is cut as well; other lines
// that are not records are kept.
func (d *deadLetters) restore(pos *position, log *slog.Logger) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fatal(fmt.Errorf("logminer: open dead-letter file (REDOFLOW_DEAD_LETTER_PATH=%s): %w", d.path, err))
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var off int64
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil // every line counted
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fatal(fmt.Errorf("logminer: read dead-letter file %s: %w", d.path, err))
		}
		var rec deadLetterRecord
		torn := line[len(line)-1] != '\n'
		if torn || json.Unmarshal(line, &rec) == nil && rec.CommitSCN != 0 && !delivered(pos, rec) {
			break
		}
		off += int64(len(line))
	}
	fi, err := f.Stat()
	if err == nil {
		err = f.Truncate(off)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fatal(fmt.Errorf("logminer: cut dead-letter file %s to %d bytes: %w", d.path, off, err))
	}
	log.Info("dead-letter lines written after the position resumed from removed: they are written again as their transactions are read again",
		"file", d.path, "bytes", fi.Size()-off)
	return nil
}

// delivered reports whether pos counts the transaction of rec as delivered.
func delivered(pos *position, rec deadLetterRecord) bool {
	if rec.Thread != 0 {
		return pos.emitted(rec.Thread, rec.CommitSCN, rec.XID)
	}
	return pos.emittedOnAny(rec.CommitSCN, rec.XID)
}
