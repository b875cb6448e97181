package logminer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
)

// redoLog is one log sequence of one redo thread as the views describe it.
type redoLog struct {
	thread    int
	seq       uint64
	first     uint64 // FIRST_CHANGE#
	next      uint64 // NEXT_CHANGE#; 0 while it is the current log
	name      string // file to add; "" when the redo is gone
	online    bool
	available bool
}

// selectLogs returns the logs a window [from, to] needs: per redo thread,
// every sequence from the one holding from to the one holding to, archived
// copies preferred (an online group that is not current may be overwritten
// at any moment), the current online log last. A sequence that is deleted
// or absent is a fatal ErrMissingLog naming the SCN and the sequence.
func (s *session) selectLogs(ctx context.Context, from, to uint64) ([]string, error) {
	logs := map[int]map[uint64]*redoLog{}
	put := func(l *redoLog) {
		th := logs[l.thread]
		if th == nil {
			th = map[uint64]*redoLog{}
			logs[l.thread] = th
		}
		old := th[l.seq]
		switch {
		case old == nil, !old.available && l.available:
			th[l.seq] = l
		case old.available && l.available && old.online && old.next != 0 && !l.online:
			th[l.seq] = l // the archived copy of an online log that is no longer current
		}
	}

	// Archived logs that reach past from (there may be one row per archive
	// destination; deleted ones have no NAME).
	rows, err := s.conn.QueryContext(ctx, "SELECT THREAD#, SEQUENCE#, FIRST_CHANGE#, NEXT_CHANGE#, NAME, DELETED, STATUS FROM V$ARCHIVED_LOG WHERE NEXT_CHANGE# > :1", int64(from))
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$ARCHIVED_LOG: %w", err)
	}
	for rows.Next() {
		var l redoLog
		var name, deleted, status sql.NullString
		if err := rows.Scan(&l.thread, &l.seq, &l.first, &l.next, &name, &deleted, &status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("logminer: read V$ARCHIVED_LOG: %w", err)
		}
		l.name = name.String
		l.available = name.Valid && name.String != "" && deleted.String != "YES" && (status.String == "A" || status.String == "")
		put(&l)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$ARCHIVED_LOG: %w", err)
	}

	// Online logs and their members.
	members := map[int64]string{}
	rows, err = s.conn.QueryContext(ctx, "SELECT GROUP#, MEMBER, STATUS FROM V$LOGFILE")
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$LOGFILE: %w", err)
	}
	for rows.Next() {
		var g int64
		var member, status sql.NullString
		if err := rows.Scan(&g, &member, &status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("logminer: read V$LOGFILE: %w", err)
		}
		if _, ok := members[g]; !ok && member.Valid && status.String != "INVALID" {
			members[g] = member.String
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$LOGFILE: %w", err)
	}
	rows, err = s.conn.QueryContext(ctx, "SELECT GROUP#, THREAD#, SEQUENCE#, FIRST_CHANGE#, NEXT_CHANGE#, STATUS FROM V$LOG")
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$LOG: %w", err)
	}
	for rows.Next() {
		var g int64
		var l redoLog
		var next, status sql.NullString
		if err := rows.Scan(&g, &l.thread, &l.seq, &l.first, &next, &status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("logminer: read V$LOG: %w", err)
		}
		if l.seq == 0 || status.String == "UNUSED" || status.String == "CLEARING" || status.String == "CLEARING_CURRENT" {
			continue
		}
		l.online = true
		if status.String != "CURRENT" {
			// NEXT_CHANGE# of the current log is a huge placeholder
			// drivers may round; it is only read for the others.
			l.next, _ = strconv.ParseUint(next.String, 10, 64)
		}
		l.name = members[g]
		l.available = l.name != ""
		put(&l)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("logminer: read V$LOG: %w", err)
	}
	return pickLogs(logs, from, to)
}

// pickLogs chooses per thread the contiguous run of sequences that covers
// [from, to] and checks it for gaps.
func pickLogs(logs map[int]map[uint64]*redoLog, from, to uint64) ([]string, error) {
	threads := make([]int, 0, len(logs))
	for th := range logs {
		threads = append(threads, th)
	}
	slices.Sort(threads)
	var files []string
	for _, th := range threads {
		var need []*redoLog
		for _, l := range logs[th] {
			if (l.next == 0 || l.next > from) && l.first <= to {
				need = append(need, l)
			}
		}
		if len(need) == 0 {
			continue
		}
		slices.SortFunc(need, func(a, b *redoLog) int { return int(a.seq) - int(b.seq) })
		first := need[0]
		if first.first > from && first.seq > 1 {
			if prev := logs[th][first.seq-1]; prev == nil || !prev.available {
				return nil, missingLog(th, first.seq-1, from)
			}
			// The previous log ends right at from: it holds nothing we need.
		}
		for i, l := range need {
			if i > 0 && l.seq != need[i-1].seq+1 {
				return nil, missingLog(th, need[i-1].seq+1, from)
			}
			if !l.available {
				return nil, missingLog(th, l.seq, from)
			}
			files = append(files, l.name)
		}
	}
	if len(files) == 0 {
		return nil, missingLog(0, 0, from)
	}
	return files, nil
}

func missingLog(thread int, seq uint64, scn uint64) error {
	if seq == 0 {
		return fatal(fmt.Errorf("%w: no online or archived redo log covers SCN %d: restore the archived logs from SCN %d on to the archive destination, or restart the job from a new snapshot", ErrMissingLog, scn, scn))
	}
	return fatal(fmt.Errorf("%w: redo thread %d sequence %d, needed to read from SCN %d, is deleted or missing: restore that archived log to the archive destination (RMAN: RESTORE ARCHIVELOG SEQUENCE %d THREAD %d), or restart the job from a new snapshot",
		ErrMissingLog, thread, seq, scn, seq, thread))
}
