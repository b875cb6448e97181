package logminer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/internal/failpoint"
	"github.com/redoflow/redoflow/logminer/redo"
)

// Dead-letter policies (ReaderConfig.DeadLetter).
const (
	// DeadLetterFail stops the job on a committed row that cannot be parsed
	// or decoded (ErrUnparsable, fatal).
	DeadLetterFail = "fail"
	// DeadLetterWrite writes such a row, with SCN, XID, RS_ID, SQL_REDO
	// and the error, as a JSON line to ReaderConfig.DeadLetterPath, counts
	// it, and goes on.
	DeadLetterWrite = "dead-letter"
)

// ReaderConfig configures a Reader. Start from DefaultReaderConfig. The
// names in brackets are the environment variables the commands read.
type ReaderConfig struct {
	// Schema is the owner of the captured tables [DATABASE_SCHEMA], as
	// Oracle stores it (unquoted names are upper case).
	Schema string
	// Tables are the captured tables [DATABASE_TABLES, comma-separated],
	// as Oracle stores their names; an entry SCHEMA.TABLE names another
	// owner than Schema.
	Tables []string
	// StartSCN is where a Reader started without a Position begins:
	// transactions committed after it are delivered. 0 means the current
	// SCN [REDOFLOW_START_SCN].
	StartSCN uint64
	// WindowMin, WindowDefault and WindowMax bound the SCN range mined per
	// LogMiner query: the window starts at WindowDefault, doubles while the
	// reader is behind the database and halves once it has caught up
	// [REDOFLOW_SCN_WINDOW_MIN, _DEFAULT, _MAX].
	WindowMin, WindowDefault, WindowMax uint64
	// PollMin and PollMax bound the sleep between windows once caught up:
	// PollMin after a window that found changes, doubling while the
	// database is idle [REDOFLOW_POLL_MIN, REDOFLOW_POLL_MAX].
	PollMin, PollMax time.Duration
	// SpillThreshold is the memory, in bytes of buffered changes, above
	// which open transactions spill to files in SpillDir, largest first
	// [REDOFLOW_SPILL_THRESHOLD, REDOFLOW_SPILL_DIR]. SpillDir "" is the
	// system's temporary directory.
	SpillThreshold int64
	SpillDir       string
	// DeadLetter is DeadLetterFail or DeadLetterWrite [REDOFLOW_DEAD_LETTER];
	// DeadLetterPath is the file DeadLetterWrite appends to
	// [REDOFLOW_DEAD_LETTER_PATH].
	DeadLetter     string
	DeadLetterPath string
	// Fence, when set, is asked before each dead-letter line is written: a
	// task attempt that may have been deposed (its worker's lease ran out)
	// appends nothing (see csv.Config.Fence).
	Fence func() error
	// RetryMax is how many times in a row a retryable failure (a dropped
	// connection, ORA-03113) is retried with a new session before Run
	// returns ErrRetriesExhausted; the backoff doubles from RetryBackoffMin
	// to RetryBackoffMax [REDOFLOW_RETRY_MAX, REDOFLOW_RETRY_BACKOFF_MIN,
	// REDOFLOW_RETRY_BACKOFF_MAX].
	RetryMax                         int
	RetryBackoffMin, RetryBackoffMax time.Duration
	// FlushTable names a table SCHEMA.TABLE with a NUMBER column LAST_SCN
	// that the reader updates (and commits) before each window
	// [REDOFLOW_LOG_FLUSH_TABLE]. LogMiner reads redo from the log files,
	// and redo still in the log buffer is invisible to it: without a
	// commit forcing LGWR to write, a window ending at CURRENT_SCN could
	// pass over changes not yet written and never see them again. Create
	// it once:
	//
	//	CREATE TABLE REDOFLOW_FLUSH (LAST_SCN NUMBER);
	//
	// "" skips the flush (the simulator has no log buffer; on a busy real
	// database other sessions' commits flush it often, but not always).
	FlushTable string
	// Logger receives the reader's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultReaderConfig returns the defaults: windows of 1 000 to 1 000 000
// SCNs starting at 20 000, polls every 200 ms to 2 s, spilling above
// 64 MiB, failing on unparsable rows, 10 retries from 500 ms to 30 s.
// Schema and Tables must still be set.
func DefaultReaderConfig() ReaderConfig {
	return ReaderConfig{
		WindowMin:       1_000,
		WindowDefault:   20_000,
		WindowMax:       1_000_000,
		PollMin:         200 * time.Millisecond,
		PollMax:         2 * time.Second,
		SpillThreshold:  64 << 20,
		DeadLetter:      DeadLetterFail,
		RetryMax:        10,
		RetryBackoffMin: 500 * time.Millisecond,
		RetryBackoffMax: 30 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c ReaderConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fatal(fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	switch {
	case c.Schema == "" && !allQualified(c.Tables):
		return bad("DATABASE_SCHEMA is empty: name the owner of the tables, e.g. FINANCE_USER")
	case len(c.Tables) == 0:
		return bad("DATABASE_TABLES is empty: name at least one table, e.g. TRANS_INFO")
	case c.WindowMin == 0:
		return bad("REDOFLOW_SCN_WINDOW_MIN is 0: use at least 1")
	case c.WindowDefault < c.WindowMin || c.WindowDefault > c.WindowMax:
		return bad("REDOFLOW_SCN_WINDOW_DEFAULT is %d: it must lie between REDOFLOW_SCN_WINDOW_MIN (%d) and REDOFLOW_SCN_WINDOW_MAX (%d)", c.WindowDefault, c.WindowMin, c.WindowMax)
	case c.PollMin <= 0:
		return bad("REDOFLOW_POLL_MIN is %v: use a positive duration such as 200ms", c.PollMin)
	case c.PollMax < c.PollMin:
		return bad("REDOFLOW_POLL_MAX is %v, below REDOFLOW_POLL_MIN (%v)", c.PollMax, c.PollMin)
	case c.SpillThreshold <= 0:
		return bad("REDOFLOW_SPILL_THRESHOLD is %d: use a positive number of bytes such as 268435456", c.SpillThreshold)
	case c.DeadLetter != DeadLetterFail && c.DeadLetter != DeadLetterWrite:
		return bad("REDOFLOW_DEAD_LETTER is %q: use %q or %q", c.DeadLetter, DeadLetterFail, DeadLetterWrite)
	case c.DeadLetter == DeadLetterWrite && c.DeadLetterPath == "":
		return bad("REDOFLOW_DEAD_LETTER is %q but REDOFLOW_DEAD_LETTER_PATH is empty: name the file to append to", c.DeadLetter)
	case c.RetryMax < 0:
		return bad("REDOFLOW_RETRY_MAX is %d: use 0 or more", c.RetryMax)
	case c.RetryBackoffMin <= 0 || c.RetryBackoffMax < c.RetryBackoffMin:
		return bad("REDOFLOW_RETRY_BACKOFF_MIN (%v) and _MAX (%v): use positive durations, MIN <= MAX", c.RetryBackoffMin, c.RetryBackoffMax)
	}
	if c.FlushTable != "" && strings.Count(c.FlushTable, ".") != 1 {
		return bad("REDOFLOW_LOG_FLUSH_TABLE is %q: use SCHEMA.TABLE", c.FlushTable)
	}
	for _, t := range c.Tables {
		if strings.TrimSpace(t) == "" || strings.Count(t, ".") > 1 {
			return bad("DATABASE_TABLES entry %q: use TABLE or SCHEMA.TABLE", t)
		}
	}
	if c.SpillDir != "" {
		if fi, err := os.Stat(c.SpillDir); err != nil || !fi.IsDir() {
			return bad("REDOFLOW_SPILL_DIR %q is not a directory", c.SpillDir)
		}
	}
	return nil
}

func allQualified(tables []string) bool {
	for _, t := range tables {
		if !strings.Contains(t, ".") {
			return false
		}
	}
	return len(tables) > 0
}

type tableName struct{ schema, table string }

func (c ReaderConfig) tableNames() []tableName {
	var out []tableName
	seen := map[tableName]bool{}
	for _, t := range c.Tables {
		n := tableName{c.Schema, strings.TrimSpace(t)}
		if s, tb, ok := strings.Cut(n.table, "."); ok {
			n = tableName{s, tb}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// Reader streams committed changes of the configured tables from Oracle
// LogMiner, in commit order, to a change.Handler.
type Reader struct {
	db  *sql.DB
	cfg ReaderConfig
	log *slog.Logger
	dl  *deadLetters

	// Gauges for metrics, written at the end of each mining window (and
	// currentSCN at its start).
	minedSCN   atomic.Uint64 // the last SCN mined
	currentSCN atomic.Uint64 // the database's CURRENT_SCN as last read
	caughtUp   atomic.Int64  // unix nanos: everything committed before it is mined
	openTxns   atomic.Int64  // transactions buffered, not ended yet
}

// MinedSCN is the last SCN the reader has mined (0 before the first
// window); the database's current SCN minus it is the lag in SCN. Safe
// from any goroutine.
func (r *Reader) MinedSCN() uint64 { return r.minedSCN.Load() }

// CurrentSCN is the database's CURRENT_SCN as the reader last read it, at
// the start of its latest window (0 before). Safe from any goroutine.
func (r *Reader) CurrentSCN() uint64 { return r.currentSCN.Load() }

// CaughtUpAt is the latest time before which every committed change has
// been mined: when the reader read the CURRENT_SCN of a window that then
// reached it (zero before). While the database does not answer, it stays
// where it was, and time.Since(CaughtUpAt()) grows. Safe from any
// goroutine.
func (r *Reader) CaughtUpAt() time.Time {
	if n := r.caughtUp.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// OpenTransactions is the number of transactions the reader buffers, seen
// started but not ended, as of the last window. Safe from any goroutine.
func (r *Reader) OpenTransactions() int { return int(r.openTxns.Load()) }

// NewReader checks cfg and returns a Reader on db. db is typically go-ora
// opened with GoOraDSN; the Reader takes one connection from it per
// LogMiner session.
func NewReader(db *sql.DB, cfg ReaderConfig) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fatal(fmt.Errorf("%w: no database", ErrInvalidConfig))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reader{db: db, cfg: cfg, log: log.With("component", "logminer")}
	if cfg.DeadLetter == DeadLetterWrite {
		r.dl = &deadLetters{path: cfg.DeadLetterPath, fence: cfg.Fence}
	}
	return r, nil
}

// DeadLetters returns how many rows were written to the dead-letter file.
func (r *Reader) DeadLetters() int64 {
	if r.dl == nil {
		return 0
	}
	return r.dl.count()
}

// Run reads from `from` (nil: from ReaderConfig.StartSCN) and hands every
// committed change of the captured tables to h, in commit order, each
// transaction followed by h.Boundary with the position to resume from. It
// also calls Boundary after a mining window when the position moved without
// a commit, so idle streams advance.
//
// It blocks until ctx ends (returning ctx.Err()), h returns an error
// (returned as is), or the reader fails: a fatal error (IsFatal) when the
// redo needed is gone, the database lacks a prerequisite or a row cannot
// be decoded under the "fail" policy; ErrRetriesExhausted when the database
// stayed unreachable. Dropped connections are retried within RetryMax: the
// reader reconnects and resumes from the last position it handed over.
// A failure in the middle of handing over a transaction returns
// ErrInterrupted instead (the caller restarts from its checkpoint). Run
// owns its goroutine only (no others are started) and one connection of
// db; a Reader runs one Run at a time.
func (r *Reader) Run(ctx context.Context, from change.Position, h change.Handler) error {
	// Spill files of a reader killed mid-transaction are never read again.
	removeSpillLeftovers(r.cfg.SpillDir, r.log)
	st := &runState{r: r, h: h, window: r.cfg.WindowDefault, sleep: r.cfg.PollMin}
	defer st.releaseAll()
	if r.dl != nil {
		defer r.dl.close()
	}
	if from != nil {
		p, err := decodePosition(from)
		if err != nil {
			return err
		}
		st.emitted = p
	}
	failures := 0
	for {
		err := st.runSession(ctx, from == nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var he *handlerError
		if errors.As(err, &he) {
			return he.err
		}
		if IsFatal(err) {
			return err
		}
		if st.delivering {
			// Part of a transaction was handed over without its Boundary:
			// starting over here would hand it over twice. The caller
			// restarts from its last checkpoint instead.
			return fmt.Errorf("%w: %w", ErrInterrupted, err)
		}
		if !isRetryable(err) {
			return fatal(err)
		}
		if st.progressed {
			failures = 0
		}
		failures++
		if failures > r.cfg.RetryMax {
			return fmt.Errorf("%w: %d attempts in a row failed (REDOFLOW_RETRY_MAX=%d), last: %w", ErrRetriesExhausted, failures, r.cfg.RetryMax, err)
		}
		backoff := r.cfg.RetryBackoffMin << min(failures-1, 30)
		if backoff > r.cfg.RetryBackoffMax || backoff <= 0 {
			backoff = r.cfg.RetryBackoffMax
		}
		r.log.Warn("LogMiner session failed; reconnecting", "err", err, "attempt", failures, "backoff", backoff, "resume_scn", st.emitted.restart)
		if err := ctxsleep.For(ctx, backoff); err != nil {
			return err
		}
	}
}

// runState is the state of one Run. Only Run's goroutine touches it.
type runState struct {
	r *Reader
	h change.Handler

	tables  []*tableInfo
	byName  map[tableName]*tableInfo
	lastTI  *tableInfo
	started bool // prerequisites checked, tables loaded, start position set

	// emitted is the position handed over last (or the start): a new
	// session after a failure starts over from it with empty buffers.
	emitted position
	lastPos change.Position
	// pos is the working position: emitted plus what was mined since.
	pos      position
	mineFrom uint64

	txns map[string]*txn
	mem  int64 // bytes of buffered entries in memory

	parser redo.Parser
	csf    strings.Builder
	inCSF  bool
	ev     change.Event

	// delivering is set from a transaction's first Change to its
	// Boundary.
	delivering bool

	window     uint64
	sleep      time.Duration
	progressed bool // a window completed since the session began
	found      bool // the current window delivered a change
}

// runSession runs one LogMiner session until it fails or ctx ends.
func (st *runState) runSession(ctx context.Context, fresh bool) error {
	r := st.r
	st.progressed = false
	s, err := r.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	if !st.started {
		if err := st.begin(ctx, s, fresh); err != nil {
			return err
		}
	}
	// Start over from what was handed over: buffers of a broken session
	// may hold part of a window.
	st.releaseAll()
	st.txns = map[string]*txn{}
	st.pos = st.emitted.clone()
	st.mineFrom = st.pos.restart
	// The start position is not news: Boundary only reports movement.
	st.lastPos = st.emitted.encode()
	st.csf.Reset()
	st.inCSF = false
	return st.mineWindows(ctx, s)
}

// mineWindows mines window after window on session s until it fails or ctx
// ends.
func (st *runState) mineWindows(ctx context.Context, s *session) error {
	r := st.r
	for {
		readAt := time.Now()
		cur, err := s.currentSCN(ctx)
		if err != nil {
			return err
		}
		r.currentSCN.Store(cur)
		if r.cfg.FlushTable != "" {
			// Redo of every change up to cur was generated before this
			// commit, so the commit makes LGWR write all of it.
			if err := s.flush(ctx, cur); err != nil {
				return err
			}
		}
		if cur < st.mineFrom {
			r.caughtUp.Store(readAt.UnixNano())
			st.sleep = min(st.sleep*2, r.cfg.PollMax)
			if err := ctxsleep.For(ctx, st.sleep); err != nil {
				return err
			}
			continue
		}
		from := st.mineFrom
		to := min(from+st.window-1, cur)
		if from+st.window-1 < from { // overflow
			to = cur
		}
		if err := s.start(ctx, from, to); err != nil {
			return err
		}
		st.found = false
		if err := s.mine(ctx, from, func(rr *rawRow) error { return st.row(ctx, rr) }); err != nil {
			return err
		}
		st.csf.Reset()
		st.inCSF = false
		st.mineFrom = to + 1
		st.progressed = true
		r.minedSCN.Store(to)
		r.openTxns.Store(int64(len(st.txns)))
		st.pos.restart = st.restartSCN(to + 1)
		if err := st.boundary(ctx); err != nil {
			return err
		}
		if to < cur {
			// Behind: mine more per query, and do not wait.
			st.window = min(st.window*2, r.cfg.WindowMax)
			st.sleep = r.cfg.PollMin
			continue
		}
		r.caughtUp.Store(readAt.UnixNano())
		st.window = max(st.window/2, r.cfg.WindowMin)
		if st.found {
			st.sleep = r.cfg.PollMin
		} else {
			st.sleep = min(st.sleep*2, r.cfg.PollMax)
		}
		if err := ctxsleep.For(ctx, st.sleep); err != nil {
			return err
		}
	}
}

// begin runs once per Run, in its first session: it checks the
// prerequisites, loads the tables and sets the start position of a fresh
// start; then, before any commit is read, it cuts the dead-letter lines of
// transactions that position does not count: they come again.
func (st *runState) begin(ctx context.Context, s *session, fresh bool) error {
	r := st.r
	if err := s.checkPrerequisites(ctx); err != nil {
		return err
	}
	tables, err := s.loadTables(ctx)
	if err != nil {
		return err
	}
	st.tables = tables
	st.byName = map[tableName]*tableInfo{}
	for _, t := range tables {
		st.byName[tableName{t.table.Schema, t.table.Name}] = t
	}
	if fresh {
		scn := r.cfg.StartSCN
		if scn == 0 {
			if scn, err = s.currentSCN(ctx); err != nil {
				return err
			}
		}
		st.emitted = position{restart: scn, floor: scn}
	}
	if r.dl != nil {
		if err := r.dl.restore(&st.emitted, r.log); err != nil {
			return err
		}
	}
	st.started = true
	r.log.Info("LogMiner reader starting", "restart_scn", st.emitted.restart, "tables", len(tables))
	return nil
}

// restartSCN is the SCN to resume mining from: the start of the oldest open
// transaction, or next when none is open.
func (st *runState) restartSCN(next uint64) uint64 {
	for _, t := range st.txns {
		next = min(next, t.startSCN)
	}
	return next
}

// row handles one V$LOGMNR_CONTENTS row.
func (st *runState) row(ctx context.Context, rr *rawRow) error {
	switch opOf(rr.op) {
	case redo.OpStart:
		t := st.txn(rr.xid, rr.scn)
		t.sawStart = true
		return nil
	case redo.OpCommit:
		return st.commit(ctx, rr)
	case redo.OpRollback:
		if t := st.txns[string(rr.xid)]; t != nil {
			st.mem -= int64(t.memBytes)
			t.release()
			delete(st.txns, t.xid)
		}
		return nil
	case redo.OpInsert, redo.OpDelete, redo.OpUpdate:
	default:
		return nil
	}
	// SQL_REDO longer than 4000 bytes comes in pieces, CSF=1 on all but
	// the last.
	if rr.csf == 1 {
		st.csf.WriteString(rr.redo.String)
		st.inCSF = true
		return nil
	}
	sqlRedo := rr.redo.String
	if st.inCSF {
		st.csf.WriteString(sqlRedo)
		sqlRedo = st.csf.String()
		st.csf.Reset()
		st.inCSF = false
	}
	if rr.rollback == 1 {
		// The row undoes an earlier change of its transaction (statement
		// failure or ROLLBACK TO SAVEPOINT): that change never happened.
		if t := st.txns[string(rr.xid)]; t != nil {
			freed, ok := t.cancel(string(rr.rowID))
			st.mem -= int64(freed)
			if !ok {
				st.r.log.Debug("rollback row matches no buffered change", "scn", rr.scn, "xid", string(rr.xid), "row_id", string(rr.rowID))
			}
		}
		return nil
	}
	ti := st.lookup(rr.owner, rr.table)
	if ti == nil {
		return nil
	}
	t := st.txn(rr.xid, rr.scn)
	e, merged := st.build(t, ti, sqlRedo, rr)
	if merged {
		return nil
	}
	t.add(e)
	st.mem += int64(e.size)
	if st.mem > st.r.cfg.SpillThreshold {
		return st.spill()
	}
	return nil
}

// opOf is the operation of an OPERATION_CODE; a code out of Op's range is
// OpUnsupported, which the reader skips like every code it does not mine.
func opOf(code int) redo.Op {
	if code < 0 || code > int(redo.OpUnsupported) {
		return redo.OpUnsupported
	}
	return redo.Op(code)
}

// txn returns the buffer of a transaction, creating it at its first row.
func (st *runState) txn(xid []byte, scn uint64) *txn {
	t := st.txns[string(xid)]
	if t == nil {
		t = &txn{xid: string(xid), startSCN: scn}
		st.txns[t.xid] = t
	}
	return t
}

// lookup finds a captured table; consecutive rows mostly name the same one.
func (st *runState) lookup(owner, table []byte) *tableInfo {
	if st.lastTI != nil && string(owner) == st.lastTI.table.Schema && string(table) == st.lastTI.table.Name {
		return st.lastTI
	}
	ti := st.byName[tableName{string(owner), string(table)}]
	if ti != nil {
		st.lastTI = ti
	}
	return ti
}

// build parses and decodes one DML row into an entry, or merges it into
// the previous one (the LOB values of an INSERT) and returns merged.
func (st *runState) build(t *txn, ti *tableInfo, sqlRedo string, rr *rawRow) (e *entry, merged bool) {
	e = &entry{table: ti, scn: rr.scn, rowID: string(rr.rowID), size: len(sqlRedo) + entryOverhead + 24*len(ti.types)}
	dead := func(err error) (*entry, bool) {
		e.dead = &deadRow{rsID: strings.TrimSpace(string(rr.rsID)), sqlRedo: sqlRedo, err: err.Error()}
		return e, false
	}
	r, err := st.parser.Parse(sqlRedo)
	if err != nil {
		return dead(err)
	}
	newQ, oldQ := st.parser.Quoted()
	if r.Op == redo.OpUpdate {
		if last := t.last(); last != nil && last.lobPending && last.table == ti && last.rowID == e.rowID && onlyLOBs(ti, r.New) {
			// LogMiner writes a LOB INSERT as EMPTY_CLOB()/EMPTY_BLOB()
			// and then this UPDATE with the values: deliver one INSERT
			// with the real values.
			for i, c := range r.New {
				if err := st.decodeInto(last.row, ti, c, newQ[i]); err != nil {
					return dead(err)
				}
				if c.Value != nil {
					last.size += len(*c.Value)
					t.memBytes += len(*c.Value)
					st.mem += int64(len(*c.Value))
				}
			}
			last.lobPending = false
			return nil, true
		}
	}
	e.row = make([]change.Value, len(ti.types))
	for i := range e.row {
		e.row[i].Null = true
	}
	switch r.Op {
	case redo.OpInsert:
		e.op = change.OpCreate
		for i, c := range r.New {
			if c.Value != nil && !newQ[i] && (*c.Value == "EMPTY_CLOB()" || *c.Value == "EMPTY_BLOB()") {
				e.lobPending = true
			}
			if err := st.decodeInto(e.row, ti, c, newQ[i]); err != nil {
				return dead(err)
			}
		}
	case redo.OpUpdate:
		e.op = change.OpUpdate
		for i, c := range r.Old {
			if err := st.decodeInto(e.row, ti, c, oldQ[i]); err != nil {
				return dead(err)
			}
		}
		for i, c := range r.New {
			if err := st.decodeInto(e.row, ti, c, newQ[i]); err != nil {
				return dead(err)
			}
		}
		if ti.hasLOB {
			carryLOBs(t, e, r.New)
		}
	case redo.OpDelete:
		e.op = change.OpDelete
		for i, c := range r.Old {
			if err := st.decodeInto(e.row, ti, c, oldQ[i]); err != nil {
				return dead(err)
			}
		}
	}
	return e, false
}

// carryLOBs fills the LOB columns an UPDATE does not set, which its redo
// does not carry (supplemental logging leaves LOBs out), from the latest
// change of the same row earlier in the transaction, when one is still in
// memory. Otherwise they stay NULL: the value is not in the redo.
func carryLOBs(t *txn, e *entry, set []redo.Column) {
	for i, n := len(t.mem)-1, 0; i >= 0 && n < 64; i, n = i-1, n+1 {
		prev := t.mem[i]
		if prev == nil || prev.dead != nil || prev.rowID != e.rowID || prev.table != e.table || prev.op == change.OpDelete {
			continue
		}
		for c, isLOB := range e.table.lob {
			if isLOB && !inSet(e.table, set, c) {
				e.row[c] = prev.row[c]
			}
		}
		return
	}
}

func inSet(ti *tableInfo, set []redo.Column, col int) bool {
	for _, c := range set {
		if ti.colIdx[c.Name] == col {
			return true
		}
	}
	return false
}

func onlyLOBs(ti *tableInfo, cols []redo.Column) bool {
	for _, c := range cols {
		i, ok := ti.colIdx[c.Name]
		if !ok || !ti.lob[i] {
			return false
		}
	}
	return len(cols) > 0
}

func (st *runState) decodeInto(row []change.Value, ti *tableInfo, c redo.Column, quoted bool) error {
	i, ok := ti.colIdx[c.Name]
	if !ok {
		return fmt.Errorf("logminer: column %q is not in %s (ALL_TAB_COLUMNS when the reader started)", c.Name, ti.table.ID())
	}
	if c.Value == nil {
		row[i] = change.Value{Null: true}
		return nil
	}
	v, err := ti.types[i].DecodeValue(*c.Value, quoted)
	if err != nil {
		return fmt.Errorf("column %s: %w", c.Name, err)
	}
	row[i] = change.Value{Text: v}
	return nil
}

// spill moves the largest open transactions to disk until the buffers use
// at most half the threshold, so spilling does not happen on every row.
func (st *runState) spill() error {
	for st.mem > st.r.cfg.SpillThreshold/2 {
		var big *txn
		for _, t := range st.txns {
			if len(t.mem) > 1 && (big == nil || t.memBytes > big.memBytes) {
				big = t
			}
		}
		if big == nil {
			return nil
		}
		first := big.file == nil
		freed, err := big.spill(st.r.cfg.SpillDir, st.tables)
		if err != nil {
			return err
		}
		st.mem -= int64(freed)
		if first {
			st.r.log.Info("transaction spills to disk", "xid", big.xid, "changes", len(big.hashes), "dir", st.r.cfg.SpillDir)
		}
		failpoint.Hit("after-spill")
	}
	return nil
}

// commit delivers a committed transaction and hands over the new position.
func (st *runState) commit(ctx context.Context, rr *rawRow) error {
	t := st.txns[string(rr.xid)]
	if t == nil {
		return nil
	}
	xid := t.xid
	delete(st.txns, xid)
	st.mem -= int64(t.memBytes)
	defer t.release()
	if t.live == 0 {
		return nil
	}
	thread := rr.thread
	if st.pos.emitted(thread, rr.scn, xid) {
		return nil
	}
	if !t.sawStart {
		st.r.log.Warn("transaction began before the start position: only its changes from there on are delivered",
			"xid", xid, "commit_scn", rr.scn, "restart_scn", st.emitted.restart)
	}
	ts := rr.ts
	commitTS := time.Date(ts.Year(), ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), 0, time.UTC)
	seq := 0
	err := t.each(st.tables, func(e *entry) error {
		if e.dead != nil {
			return st.deadLetter(e, rr, xid)
		}
		ev := &st.ev
		*ev = change.Event{Op: e.op, Table: e.table.table, SCN: e.scn, CommitSCN: rr.scn, CommitTS: commitTS,
			XID: xid, Seq: seq, Thread: thread, Row: e.row}
		seq++
		st.found = true
		st.delivering = true
		if err := st.h.Change(ctx, ev); err != nil {
			return &handlerError{err}
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.pos.markEmitted(thread, rr.scn, xid)
	st.pos.restart = st.restartSCN(rr.scn)
	return st.boundary(ctx)
}

func (st *runState) deadLetter(e *entry, rr *rawRow, xid string) error {
	if st.r.dl == nil {
		return fatal(fmt.Errorf("%w: %s SCN %d XID %s RS_ID %s (REDOFLOW_DEAD_LETTER=fail): %s; SQL_REDO: %.300s",
			ErrUnparsable, e.table.table.ID(), e.scn, xid, e.dead.rsID, e.dead.err, e.dead.sqlRedo))
	}
	st.r.log.Warn("row written to the dead-letter file", "table", e.table.table.ID(), "scn", e.scn, "xid", xid, "rs_id", e.dead.rsID, "err", e.dead.err)
	return st.r.dl.write(deadLetterRecord{Time: time.Now().UTC(), Table: e.table.table.ID(), SCN: e.scn, CommitSCN: rr.scn,
		XID: xid, Thread: rr.thread, RSID: e.dead.rsID, SQLRedo: e.dead.sqlRedo, Error: e.dead.err})
}

// boundary hands over the working position when it moved.
func (st *runState) boundary(ctx context.Context) error {
	p := st.pos.encode()
	if bytes.Equal(p, st.lastPos) {
		return nil
	}
	if err := st.h.Boundary(ctx, p); err != nil {
		return &handlerError{err}
	}
	st.lastPos = p
	st.emitted = st.pos.clone()
	st.delivering = false
	return nil
}

func (st *runState) releaseAll() {
	for _, t := range st.txns {
		t.release()
	}
	st.txns = nil
	st.mem = 0
}
