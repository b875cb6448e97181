package oraclesim

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync/atomic"
	"time"
)

// WorkloadConfig drives the deterministic workload. Build it from
// DefaultWorkloadConfig.
type WorkloadConfig struct {
	// Seed makes the sequence of changes reproducible.
	Seed int64
	// Rate caps committed changes per second; 0 runs as fast as possible.
	Rate float64
	// MaxChanges stops Run after exactly this many committed changes; 0 runs
	// until the context ends.
	MaxChanges int64
	// Concurrency is how many transactions are open and interleave at once.
	Concurrency int
	// MaxTxnChanges is the largest number of changes in a normal transaction.
	MaxTxnChanges int
	// LongTxnShare is the share of transactions that stay open for many
	// times longer (LongTxnFactor times the changes) while others commit.
	LongTxnShare  float64
	LongTxnFactor int
	// RollbackShare is the share of transactions rolled back entirely;
	// PartialRollbackShare the share that set a savepoint halfway, roll
	// back to it, make a few more changes and commit.
	RollbackShare        float64
	PartialRollbackShare float64
	// BigRemarkShare is the share of TRANS_INFO rows whose REMARK is close to
	// 4000 bytes, so their SQL_REDO spans several CSF pieces.
	BigRemarkShare float64
}

// DefaultWorkloadConfig returns a mixed workload with every behaviour on.
func DefaultWorkloadConfig() WorkloadConfig {
	return WorkloadConfig{
		Seed:                 1,
		Concurrency:          4,
		MaxTxnChanges:        5,
		LongTxnShare:         0.05,
		LongTxnFactor:        20,
		RollbackShare:        0.05,
		PartialRollbackShare: 0.05,
		BigRemarkShare:       0.02,
	}
}

// Validate reports the first setting that cannot work.
func (c WorkloadConfig) Validate() error {
	share := func(name string, v float64) error {
		if v < 0 || v > 1 {
			return fmt.Errorf("%w: %s is %v: use a share between 0 and 1", ErrInvalidConfig, name, v)
		}
		return nil
	}
	switch {
	case c.Rate < 0:
		return fmt.Errorf("%w: Rate is negative: use 0 for no limit", ErrInvalidConfig)
	case c.MaxChanges < 0:
		return fmt.Errorf("%w: MaxChanges is negative: use 0 to run until cancelled", ErrInvalidConfig)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: Concurrency is %d: at least one transaction must be open", ErrInvalidConfig, c.Concurrency)
	case c.MaxTxnChanges < 1:
		return fmt.Errorf("%w: MaxTxnChanges is %d: use at least 1", ErrInvalidConfig, c.MaxTxnChanges)
	case c.LongTxnFactor < 1:
		return fmt.Errorf("%w: LongTxnFactor is %d: use at least 1", ErrInvalidConfig, c.LongTxnFactor)
	}
	for name, v := range map[string]float64{"LongTxnShare": c.LongTxnShare, "RollbackShare": c.RollbackShare, "PartialRollbackShare": c.PartialRollbackShare, "BigRemarkShare": c.BigRemarkShare} {
		if err := share(name, v); err != nil {
			return err
		}
	}
	return nil
}

// The workload's tables.
const (
	WorkloadSchema    = "FINANCE_USER"
	TransInfoTable    = "TRANS_INFO"
	TransLogTable     = "TRANS_LOG"
	workloadUser      = "FINANCE_USER"
	workloadSavepoint = "SP1"
)

// Workload generates a reproducible stream of transactions on
// FINANCE_USER.TRANS_INFO (with a primary key) and FINANCE_USER.TRANS_LOG
// (without one). It runs in the goroutine that calls Run.
type Workload struct {
	cfg       WorkloadConfig
	db        *DB
	info, log *Table
	rng       *rand.Rand
	nextID    int64
	infoIDs   idSet        // committed TRANS_INFO ids no open transaction holds
	logRIDs   idSet        // committed TRANS_LOG rowids no open transaction holds
	committed atomic.Int64 // read by Committed from other goroutines
	pending   int64
}

type idSet struct {
	list []string
	pos  map[string]int
}

func (s *idSet) add(k string) {
	if s.pos == nil {
		s.pos = map[string]int{}
	}
	s.pos[k] = len(s.list)
	s.list = append(s.list, k)
}

func (s *idSet) remove(k string) {
	i, ok := s.pos[k]
	if !ok {
		return
	}
	last := s.list[len(s.list)-1]
	s.list[i], s.pos[last] = last, i
	s.list = s.list[:len(s.list)-1]
	delete(s.pos, k)
}

func (s *idSet) take(r *rand.Rand) (string, bool) {
	if len(s.list) == 0 {
		return "", false
	}
	k := s.list[r.Intn(len(s.list))]
	s.remove(k)
	return k, true
}

// wop is one change of an open workload transaction, for bookkeeping.
type wop struct {
	op    uint8
	table *Table
	key   string
}

type wtx struct {
	tx      *Tx
	target  int
	ops     []wop
	saveAt  int // savepoint position, -1 none
	partial bool
	abort   bool
}

// NewWorkload creates the workload tables if they do not exist yet.
func NewWorkload(db *DB, cfg WorkloadConfig) (*Workload, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Workload{cfg: cfg, db: db, rng: rand.New(rand.NewSource(cfg.Seed)), nextID: 1}
	var err error
	if w.info = db.Table(WorkloadSchema, TransInfoTable); w.info == nil {
		w.info, err = db.CreateTable(TableSpec{Schema: WorkloadSchema, Name: TransInfoTable, PrimaryKey: []string{"ID"}, Columns: []ColumnSpec{
			{Name: "ID", Type: "NUMBER", NotNull: true}, {Name: "ACCOUNT_NO", Type: "VARCHAR2(32)"}, {Name: "AMOUNT", Type: "NUMBER(18,2)"},
			{Name: "CURRENCY", Type: "CHAR(3)"}, {Name: "TRANS_TIME", Type: "TIMESTAMP(6)"}, {Name: "STATUS", Type: "VARCHAR2(16)"},
			{Name: "REMARK", Type: "VARCHAR2(4000)"}}})
		if err != nil {
			return nil, err
		}
	}
	if w.log = db.Table(WorkloadSchema, TransLogTable); w.log == nil {
		w.log, err = db.CreateTable(TableSpec{Schema: WorkloadSchema, Name: TransLogTable, Columns: []ColumnSpec{
			{Name: "LOG_TIME", Type: "TIMESTAMP(6) WITH TIME ZONE"}, {Name: "ACCOUNT_NO", Type: "VARCHAR2(32)"},
			{Name: "EVENT", Type: "NVARCHAR2(100)"}, {Name: "AMOUNT", Type: "BINARY_DOUBLE"}, {Name: "PAYLOAD", Type: "RAW(16)"}}})
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Preload inserts n FINANCE_USER.TRANS_INFO rows in transactions of 1000,
// before Run, so that a snapshot has a big table to copy while Run goes on
// changing it. The rows are not counted by Committed.
func (w *Workload) Preload(ctx context.Context, n int) error {
	for done := 0; done < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		tx := w.db.Begin(workloadUser)
		var keys []string
		for k := 0; k < 1000 && done < n; k, done = k+1, done+1 {
			id := w.nextID
			w.nextID++
			if _, err := tx.Insert(w.info, id, fmt.Sprintf("6222%012d", w.rng.Int63n(1e12)), w.amount(),
				currencies[w.rng.Intn(len(currencies))], w.ts(), statuses[w.rng.Intn(len(statuses))], remarks[w.rng.Intn(len(remarks))]); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("oraclesim: preload: %w", err)
			}
			keys = append(keys, fmt.Sprint(id))
		}
		if _, err := tx.Commit(); err != nil {
			return fmt.Errorf("oraclesim: preload: %w", err)
		}
		for _, k := range keys {
			w.infoIDs.add(k)
		}
	}
	return nil
}

// Committed returns the number of changes committed so far by Run. It is
// safe to call while Run runs (progress lines, tests).
func (w *Workload) Committed() int64 { return w.committed.Load() }

// Run generates transactions until MaxChanges are committed (returning nil)
// or ctx ends (returning ctx.Err() after rolling back what is open).
func (w *Workload) Run(ctx context.Context) error {
	open := make([]*wtx, w.cfg.Concurrency)
	begun := time.Now()
	defer func() {
		for _, t := range open {
			if t != nil {
				_ = t.tx.Rollback()
			}
		}
	}()
	limit := w.cfg.MaxChanges
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if limit > 0 && w.committed.Load() >= limit {
			return nil
		}
		slot := w.rng.Intn(len(open))
		t := open[slot]
		if t == nil {
			t = w.newTx()
			open[slot] = t
		}
		canGrow := limit == 0 || w.committed.Load()+w.pending < limit
		if canGrow && len(t.ops) < t.target {
			if err := w.change(t); err != nil {
				return err
			}
			continue
		}
		if len(t.ops) == 0 {
			if !canGrow {
				// nothing to do in this slot; finish others
				open[slot] = nil
				allEmpty := true
				for _, o := range open {
					if o != nil {
						allEmpty = false
					}
				}
				if allEmpty && w.committed.Load()+w.pending >= limit {
					return nil
				}
			}
			continue
		}
		if t.saveAt >= 0 && canGrow {
			// Roll back to the savepoint and go on, as an application
			// retrying a failed step does; the slot keeps the transaction.
			if err := w.rollbackToSavepoint(t); err != nil {
				return err
			}
			continue
		}
		open[slot] = nil
		if err := w.finish(t, canGrow); err != nil {
			return err
		}
		if w.cfg.Rate > 0 {
			due := begun.Add(time.Duration(float64(w.committed.Load()) / w.cfg.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				tm := time.NewTimer(d)
				select {
				case <-ctx.Done():
					tm.Stop()
					return ctx.Err()
				case <-tm.C:
				}
			}
		}
	}
}

func (w *Workload) newTx() *wtx {
	c := w.cfg
	t := &wtx{tx: w.db.Begin(workloadUser), target: 1 + w.rng.Intn(c.MaxTxnChanges), saveAt: -1}
	if w.rng.Float64() < c.LongTxnShare {
		t.target *= c.LongTxnFactor
	}
	switch p := w.rng.Float64(); {
	case p < c.RollbackShare:
		t.abort = true
	case p < c.RollbackShare+c.PartialRollbackShare && t.target > 1:
		t.partial = true
	}
	return t
}

var (
	remarks = []string{
		"salary", "rent, March", "it's done", `quote "x"`, "Überweisung für Miete", "付款成功", "naïve café ☕",
		"a,b,c", "line\nbreak", "emoji 🎉 ok", "O'Brien's account", "",
	}
	statuses   = []string{"NEW", "PENDING", "DONE", "FAILED", "REVERSED"}
	currencies = []string{"USD", "EUR", "CNY", "JPY", "GB"}
	events     = []string{"login", "transfer", "Überweisung", "转账", "ошибка", "ok 👍"}
)

func (w *Workload) remark() string {
	if w.rng.Float64() < w.cfg.BigRemarkShare {
		n := 3800 + w.rng.Intn(200)
		return strings.Repeat("x', ", n/4+1)[:n]
	}
	return remarks[w.rng.Intn(len(remarks))]
}

func (w *Workload) amount() string {
	return fmt.Sprintf("%d.%02d", w.rng.Intn(2000000)-1000000, w.rng.Intn(100))
}

func (w *Workload) ts() time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(w.rng.Int63n(int64(365 * 24 * time.Hour))))
}

// change applies one random change in t.
func (w *Workload) change(t *wtx) error {
	if t.partial && t.saveAt < 0 && len(t.ops) >= t.target/2 {
		if err := t.tx.Savepoint(workloadSavepoint); err != nil {
			return err
		}
		t.saveAt = len(t.ops)
	}
	r := w.rng.Float64()
	var err error
	switch {
	case r < 0.15:
		ts := w.ts().In(time.FixedZone("", (w.rng.Intn(27)-12)*3600))
		payload := make([]byte, w.rng.Intn(17))
		w.rng.Read(payload)
		var rid string
		rid, err = t.tx.Insert(w.log, ts, fmt.Sprintf("ACC%06d", w.rng.Intn(1000)), events[w.rng.Intn(len(events))], w.rng.NormFloat64()*1000, payload)
		if err == nil {
			t.ops = append(t.ops, wop{OpInsert, w.log, rid})
		}
	case r < 0.20:
		rid, ok := w.logRIDs.take(w.rng)
		if !ok {
			return nil
		}
		if err = t.tx.DeleteRowID(w.log, rid); err == nil {
			t.ops = append(t.ops, wop{OpDelete, w.log, rid})
		}
	case r < 0.60 || len(w.infoIDs.list) < 10:
		id := w.nextID
		w.nextID++
		key := fmt.Sprint(id)
		_, err = t.tx.Insert(w.info, id, fmt.Sprintf("6222%012d", w.rng.Int63n(1e12)), w.amount(),
			currencies[w.rng.Intn(len(currencies))], w.ts(), statuses[w.rng.Intn(len(statuses))], w.remark())
		if err == nil {
			t.ops = append(t.ops, wop{OpInsert, w.info, key})
		}
	case r < 0.90:
		key, _ := w.infoIDs.take(w.rng)
		if w.rng.Intn(2) == 0 {
			err = t.tx.UpdateByKey(w.info, []any{key}, []string{"STATUS", "AMOUNT"}, []any{statuses[w.rng.Intn(len(statuses))], w.amount()})
		} else {
			err = t.tx.UpdateByKey(w.info, []any{key}, []string{"REMARK", "TRANS_TIME"}, []any{w.remark(), w.ts()})
		}
		if err == nil {
			t.ops = append(t.ops, wop{OpUpdate, w.info, key})
		}
	default:
		key, _ := w.infoIDs.take(w.rng)
		if err = t.tx.DeleteByKey(w.info, key); err == nil {
			t.ops = append(t.ops, wop{OpDelete, w.info, key})
		}
	}
	if err != nil {
		return fmt.Errorf("oraclesim: workload change: %w", err)
	}
	w.pending++
	return nil
}

// release returns the rows of ops to the sets the workload picks from:
// inserted rows once committed, updated rows either way, deleted rows if
// the delete did not commit.
func (w *Workload) release(ops []wop, committed bool) {
	for _, o := range ops {
		set := &w.infoIDs
		if o.table == w.log {
			set = &w.logRIDs
		}
		switch {
		case o.op == OpInsert && committed, o.op == OpUpdate:
			set.add(o.key)
		case o.op == OpDelete && !committed:
			set.add(o.key)
		}
	}
}

// rollbackToSavepoint undoes the changes of t after its savepoint; t then
// makes 1 to MaxTxnChanges more changes before it commits. The undone
// changes never commit.
func (w *Workload) rollbackToSavepoint(t *wtx) error {
	if err := t.tx.RollbackTo(workloadSavepoint); err != nil {
		return err
	}
	w.pending -= int64(len(t.ops) - t.saveAt)
	w.release(t.ops[t.saveAt:], false)
	t.ops = t.ops[:t.saveAt]
	t.saveAt, t.partial = -1, false
	t.target = len(t.ops) + 1 + w.rng.Intn(w.cfg.MaxTxnChanges)
	return nil
}

// finish commits or rolls back t and updates the bookkeeping.
func (w *Workload) finish(t *wtx, allowAbort bool) error {
	if t.abort && allowAbort {
		w.pending -= int64(len(t.ops))
		w.release(t.ops, false)
		return t.tx.Rollback()
	}
	if _, err := t.tx.Commit(); err != nil {
		return err
	}
	w.pending -= int64(len(t.ops))
	w.committed.Add(int64(len(t.ops)))
	w.release(t.ops, true)
	return nil
}
