package snapshot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/ctxsleep"
	"github.com/redoflow/redoflow/internal/oraerr"
)

// Config configures a snapshot.
type Config struct {
	Tables      []string // SCHEMA.TABLE as Oracle stores the names
	ChunkSize   int      // SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE, rows per chunk
	Parallelism int      // PARALLELISM_DEFAULT, chunks read at once
	Retries     int      // attempts per chunk on ORA-01555
	RetryDelay  time.Duration
	// RetryMax is how many times in a row a read that failed on a lost connection (a
	// dropped session, a reset, ORA-03113) is tried again on a new one before the
	// snapshot fails with ErrRetriesExhausted [REDOFLOW_RETRY_MAX]; the pause doubles
	// from RetryBackoffMin to RetryBackoffMax. Each chunk, and the plan, count their own.
	RetryMax                         int
	RetryBackoffMin, RetryBackoffMax time.Duration
	Logger                           *slog.Logger
	// OnProgress, when set, is called after each finished chunk.
	OnProgress func(Progress)
}

// DefaultConfig returns Flink CDC's defaults: chunks of 8096 rows; and the stream's
// retries: 10 in a row, from 500 ms to 30 s apart.
func DefaultConfig() Config {
	return Config{ChunkSize: 8096, Parallelism: 4, Retries: 3, RetryDelay: time.Second,
		RetryMax: 10, RetryBackoffMin: 500 * time.Millisecond, RetryBackoffMax: 30 * time.Second}
}

// Validate reports settings that cannot work, naming them.
func (c Config) Validate() error {
	switch {
	case len(c.Tables) == 0:
		return errors.New("snapshot: DATABASE_TABLES is empty: name at least one table")
	case c.ChunkSize < 1:
		return fmt.Errorf("snapshot: SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE=%d: use at least 1", c.ChunkSize)
	case c.Parallelism < 1:
		return fmt.Errorf("snapshot: PARALLELISM_DEFAULT=%d: use at least 1", c.Parallelism)
	case c.Retries < 1:
		return fmt.Errorf("snapshot: retries %d: use at least 1", c.Retries)
	case c.RetryMax < 0:
		return fmt.Errorf("snapshot: REDOFLOW_RETRY_MAX=%d: use 0 or more", c.RetryMax)
	case c.RetryBackoffMin <= 0 || c.RetryBackoffMax < c.RetryBackoffMin:
		return fmt.Errorf("snapshot: retry backoff %v to %v: use positive durations, the first not above the second", c.RetryBackoffMin, c.RetryBackoffMax)
	}
	for _, t := range c.Tables {
		if s, n, ok := strings.Cut(t, "."); !ok || s == "" || n == "" {
			return fmt.Errorf("snapshot: table %q is not SCHEMA.TABLE", t)
		}
	}
	return nil
}

// Position is where a snapshot stands: its SCN, each table's chunks and
// which are done. It is the change.Position the snapshot reports.
type Position struct {
	SCN uint64 `json:"scn"`
	// OldestOpenSCN is the START_SCN of the oldest transaction open when
	// the snapshot took its SCN (SCN itself when none was): streaming after
	// the snapshot mines from there, so that those transactions, whose
	// changes the snapshot could not see, arrive whole.
	OldestOpenSCN uint64      `json:"oldest_open_scn"`
	Tables        []TablePlan `json:"tables"`
}

// TablePlan is one table's chunks: chunk i covers keys from Bounds[i-1]
// (inclusive) to Bounds[i] (exclusive); the first has no lower bound and
// the last no upper bound.
type TablePlan struct {
	Table  string     `json:"table"`
	Key    []string   `json:"key"` // key columns, or ["ROWID"]
	Bounds [][]string `json:"bounds"`
	Done   []int      `json:"done"`
}

// Chunks is the number of chunks of the table.
func (p TablePlan) Chunks() int { return len(p.Bounds) + 1 }

// Complete reports whether every chunk of every table is done.
func (p Position) Complete() bool {
	for _, t := range p.Tables {
		if len(t.Done) != t.Chunks() {
			return false
		}
	}
	return true
}

// DecodePosition reads a snapshot position.
func DecodePosition(b change.Position) (Position, error) {
	var p Position
	if err := json.Unmarshal(b, &p); err != nil {
		return Position{}, failure.MarkFatal(fmt.Errorf("snapshot: position: %w", err))
	}
	return p, nil
}

// Progress is the state of a running snapshot.
type Progress struct {
	SCN    uint64
	Tables []TableProgress
}

// TableProgress is one table's part of Progress.
type TableProgress struct {
	Table                 string
	RowsRead, RowsTotal   int64 // RowsTotal: ALL_TABLES.NUM_ROWS, an estimate
	ChunksDone, ChunksAll int
	RowsPerSecond         float64
}

// Reader reads snapshots.
type Reader struct {
	db  *sql.DB
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	progress Progress
	started  time.Time
}

// New checks cfg.
func New(db *sql.DB, cfg Config) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{db: db, cfg: cfg, log: log}, nil
}

// Progress returns the current progress; safe from any goroutine.
func (r *Reader) Progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.progress
	p.Tables = slices.Clone(p.Tables)
	return p
}

// Plan takes s0 and splits every table into chunks. A plan cut short by a lost
// connection is made again from the start, on a new one (Config.RetryMax).
func (r *Reader) Plan(ctx context.Context) (Position, error) {
	var pos Position
	err := r.retry(ctx, "plan", func() error {
		var err error
		pos, err = r.plan(ctx)
		return err
	})
	return pos, err
}

func (r *Reader) plan(ctx context.Context) (Position, error) {
	// Read the open transactions first: any transaction open at s0 is
	// either listed or started later, so the minimum bounds them all.
	var oldest sql.NullInt64
	if err := r.db.QueryRowContext(ctx, "SELECT MIN(START_SCN) FROM V$TRANSACTION").Scan(&oldest); err != nil {
		if oraerr.MissingGrant(err) {
			return Position{}, permanent(fmt.Errorf("snapshot: read V$TRANSACTION (grant SELECT on V_$TRANSACTION to the capture user): %w", err))
		}
		return Position{}, fmt.Errorf("snapshot: read V$TRANSACTION: %w", err)
	}
	var scn uint64
	if err := r.db.QueryRowContext(ctx, "SELECT CURRENT_SCN FROM V$DATABASE").Scan(&scn); err != nil {
		return Position{}, fmt.Errorf("snapshot: read CURRENT_SCN: %w", err)
	}
	pos := Position{SCN: scn, OldestOpenSCN: scn}
	if oldest.Valid && uint64(oldest.Int64) < scn {
		pos.OldestOpenSCN = uint64(oldest.Int64)
	}
	for _, name := range r.cfg.Tables {
		t, err := loadTable(ctx, r.db, name)
		if err != nil {
			return Position{}, err
		}
		bounds, err := r.split(ctx, t, scn)
		if err != nil {
			return Position{}, err
		}
		pos.Tables = append(pos.Tables, TablePlan{Table: name, Key: t.chunkKey, Bounds: bounds, Done: []int{}})
		r.log.Info("snapshot planned", "table", name, "scn", scn, "chunks", len(bounds)+1, "key", t.chunkKey)
	}
	return pos, nil
}

// split reads the chunk key in order as of scn and keeps every ChunkSize-th
// value as a bound, so memory stays small for any table size.
func (r *Reader) split(ctx context.Context, t *table, scn uint64) ([][]string, error) {
	q := fmt.Sprintf("SELECT %s FROM %s AS OF SCN :1 ORDER BY %s", t.keyList(), t.quoted, t.keyList())
	rows, err := r.db.QueryContext(ctx, q, scn)
	if err != nil {
		return nil, wrapORA(fmt.Errorf("snapshot: split %s: %w", t.name, err))
	}
	defer rows.Close()
	var bounds [][]string
	vals := make([]any, len(t.chunkKey))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if n > 0 && n%r.cfg.ChunkSize == 0 {
			b := make([]string, len(vals))
			for i, v := range vals {
				b[i] = keyText(v)
			}
			bounds = append(bounds, b)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, wrapORA(fmt.Errorf("snapshot: split %s: %w", t.name, err))
	}
	return bounds, nil
}

// chunkRows is a chunk to read, then read and waiting for the writer. Its
// bounds are copied out of the plan, which the writer updates meanwhile.
type chunkRows struct {
	table  int
	chunk  int
	lo, hi []string
	rows   [][]change.Value
}

// Run reads the snapshot from pos (a plan from Plan, possibly partly done),
// hands every row to h as an OpRead event and reports h.Boundary after
// each chunk with the updated position. It returns the final position
// once every chunk is done.
func (r *Reader) Run(ctx context.Context, pos Position, h change.Handler) (Position, error) {
	tables := make([]*table, len(pos.Tables))
	var todo []chunkRows
	r.mu.Lock()
	r.progress = Progress{SCN: pos.SCN}
	r.started = time.Now()
	r.mu.Unlock()
	for i, tp := range pos.Tables {
		var t *table
		err := r.retry(ctx, "columns of "+tp.Table, func() (err error) {
			t, err = loadTable(ctx, r.db, tp.Table)
			return err
		})
		if err != nil {
			return pos, err
		}
		if !slices.Equal(t.chunkKey, tp.Key) {
			return pos, failure.MarkFatal(fmt.Errorf("snapshot: %s is now keyed by %v, the snapshot started with %v: restart the snapshot", tp.Table, t.chunkKey, tp.Key))
		}
		tables[i] = t
		for c := range tp.Chunks() {
			if slices.Contains(tp.Done, c) {
				continue
			}
			cr := chunkRows{table: i, chunk: c}
			if c > 0 {
				cr.lo = tp.Bounds[c-1]
			}
			if c < len(tp.Bounds) {
				cr.hi = tp.Bounds[c]
			}
			todo = append(todo, cr)
		}
		r.mu.Lock()
		r.progress.Tables = append(r.progress.Tables, TableProgress{Table: tp.Table, RowsTotal: t.numRows, ChunksDone: len(tp.Done), ChunksAll: tp.Chunks()})
		r.mu.Unlock()
	}
	// Shutdown order: the writer runs in this goroutine; when it stops (an
	// error, or ctx ended) it cancels rctx, the feeder and the readers
	// return, and g.Wait collects them before Run returns.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(rctx)
	scn := pos.SCN
	work := make(chan chunkRows)
	done := make(chan chunkRows, r.cfg.Parallelism)
	g.Go(func() error {
		defer close(work)
		for _, c := range todo {
			select {
			case work <- c:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var readers sync.WaitGroup
	for range r.cfg.Parallelism {
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			for c := range work {
				rows, err := r.readChunk(gctx, tables[c.table], scn, c)
				if err != nil {
					return err
				}
				c.rows = rows
				select {
				case done <- c:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		readers.Wait()
		close(done)
		return nil
	})
	werr := r.write(gctx, &pos, tables, done, h)
	cancel()
	gerr := g.Wait()
	switch {
	case werr != nil && !errors.Is(werr, context.Canceled):
		return pos, werr // the handler failed
	case gerr != nil && !errors.Is(gerr, context.Canceled):
		return pos, gerr // a reader failed, which stopped the writer
	case ctx.Err() != nil:
		return pos, ctx.Err()
	}
	return pos, nil
}

// write hands finished chunks to h, one at a time, in the Run goroutine.
func (r *Reader) write(ctx context.Context, pos *Position, tables []*table, done <-chan chunkRows, h change.Handler) error {
	ev := change.Event{Op: change.OpRead, SCN: pos.SCN, CommitSCN: pos.SCN}
	for c := range done {
		tp := &pos.Tables[c.table]
		ev.Table = tables[c.table].change
		for i, row := range c.rows {
			ev.Seq, ev.Row = i, row
			if err := h.Change(ctx, &ev); err != nil {
				return err
			}
		}
		tp.Done = append(tp.Done, c.chunk)
		slices.Sort(tp.Done)
		b, err := json.Marshal(pos)
		if err != nil {
			return err
		}
		if err := h.Boundary(ctx, b); err != nil {
			return err
		}
		r.mu.Lock()
		p := &r.progress.Tables[c.table]
		p.RowsRead += int64(len(c.rows))
		p.ChunksDone = len(tp.Done)
		if s := time.Since(r.started).Seconds(); s > 0 {
			p.RowsPerSecond = float64(p.RowsRead) / s
		}
		progress := r.progress
		progress.Tables = slices.Clone(progress.Tables)
		r.mu.Unlock()
		if r.cfg.OnProgress != nil {
			r.cfg.OnProgress(progress)
		}
	}
	return ctx.Err()
}

// readChunk reads one chunk as of the snapshot SCN. Nothing of a chunk is handed over
// before all of it is read, so a failed read is tried again whole: ORA-01555 up to
// Config.Retries times, a lost connection on a new one up to Config.RetryMax times in a
// row (retry).
func (r *Reader) readChunk(ctx context.Context, t *table, scn uint64, c chunkRows) ([][]change.Value, error) {
	chunk := c.chunk
	where, args := rangeCond(t.chunkKey, c.lo, c.hi, 2)
	q := fmt.Sprintf("SELECT %s FROM %s AS OF SCN :1%s", t.columnList(), t.quoted, where)
	args = append([]any{scn}, args...)
	var rows [][]change.Value
	for attempt := 1; ; attempt++ {
		err := r.retry(ctx, fmt.Sprintf("%s chunk %d", t.name, chunk), func() (err error) {
			rows, err = r.query(ctx, t, q, args)
			return err
		})
		if err == nil {
			return rows, nil
		}
		if !isSnapshotTooOld(err) {
			return nil, fmt.Errorf("snapshot: %s chunk %d: %w", t.name, chunk, err)
		}
		if attempt >= r.cfg.Retries {
			return nil, failure.MarkFatal(fmt.Errorf("snapshot: %s chunk %d at SCN %d failed %d times with ORA-01555 (snapshot too old): "+
				"raise UNDO_RETENTION on the database or lower SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE (now %d): %w",
				t.name, chunk, scn, attempt, r.cfg.ChunkSize, ErrSnapshotTooOld))
		}
		r.log.Warn("snapshot too old, retrying the chunk", "table", t.name, "chunk", chunk, "attempt", attempt)
		if err := ctxsleep.For(ctx, r.cfg.RetryDelay); err != nil {
			return nil, err
		}
	}
}

// retry runs f until it returns nil or an error that a new connection cannot cure
// (oraerr.Retryable; the snapshot's own errors are marked permanent), pausing between
// tries with a backoff that doubles from RetryBackoffMin to RetryBackoffMax. After
// RetryMax failed tries in a row it returns ErrRetriesExhausted with the last error.
// database/sql discards a connection go-ora found broken, so each try gets a new one.
func (r *Reader) retry(ctx context.Context, what string, f func() error) error {
	for failures := 0; ; {
		err := f()
		var pe *permanentError
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &pe):
			return pe.err
		case !oraerr.Retryable(err):
			return err
		}
		failures++
		if failures > r.cfg.RetryMax {
			return fmt.Errorf("snapshot: %s: %w: %d attempts in a row failed (REDOFLOW_RETRY_MAX=%d), last: %w",
				what, ErrRetriesExhausted, failures, r.cfg.RetryMax, err)
		}
		backoff := r.cfg.RetryBackoffMin << min(failures-1, 30)
		if backoff > r.cfg.RetryBackoffMax || backoff <= 0 {
			backoff = r.cfg.RetryBackoffMax
		}
		r.log.Warn("snapshot read failed on the database connection; retrying on a new one",
			"read", what, "err", err, "attempt", failures, "backoff", backoff)
		if err := ctxsleep.For(ctx, backoff); err != nil {
			return err
		}
	}
}

func (r *Reader) query(ctx context.Context, t *table, q string, args []any) ([][]change.Value, error) {
	rows, err := r.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]change.Value
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]change.Value, len(vals))
		for i, v := range vals {
			if row[i], err = t.cols[i].canonical(v); err != nil {
				return nil, permanent(fmt.Errorf("%s.%s: %w", t.name, t.cols[i].name, err))
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
