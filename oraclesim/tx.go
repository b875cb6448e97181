package oraclesim

import (
	"errors"
	"fmt"
)

// ErrNoRow is returned by the Go API when the addressed row does not exist
// (for SQL DML the statement simply affects no rows).
var ErrNoRow = errors.New("oraclesim: no such row")

// Tx is a transaction. Like Oracle, it gets its XID and a START record with
// its first change; a transaction without changes writes no redo. A Tx is
// used by one goroutine at a time.
type Tx struct {
	db      *DB
	th      *redoThread
	id      *txIdent
	user    string
	changes []txChange
	saves   []savepoint
	done    bool
}

type savepoint struct {
	name string
	n    int
}

type txChange struct {
	tbl      *Table
	row      *row
	op       uint8
	prevHad  bool  // the row had a pending image of this tx before the change
	prevVals []any // that image
	prevKey  *row  // INSERT: the row byKey pointed to before
	oldVals  []any
	newVals  []any
	setCols  []int
}

// Begin starts a transaction for user (the USERNAME of its redo). Sessions
// alternate between redo threads when there are two.
func (db *DB) Begin(user string) *Tx {
	db.mu.Lock()
	defer db.mu.Unlock()
	th := db.threads[db.nextTh%len(db.threads)]
	db.nextTh++
	return &Tx{db: db, th: th, user: user}
}

// XID returns the transaction id, zero before the first change.
func (tx *Tx) XID() XID {
	tx.db.mu.RLock()
	defer tx.db.mu.RUnlock()
	if tx.id == nil {
		return XID{}
	}
	return tx.id.xid
}

// Active reports whether the transaction has changes not yet committed or
// rolled back.
func (tx *Tx) Active() bool {
	tx.db.mu.RLock()
	defer tx.db.mu.RUnlock()
	return !tx.done && tx.id != nil
}

func (tx *Tx) check() error {
	if tx.db.closed {
		return ErrClosed
	}
	if tx.done {
		return errTxDone
	}
	return nil
}

// begin writes the START record at the first change. db.mu held.
func (tx *Tx) begin() {
	if tx.id != nil {
		return
	}
	db := tx.db
	db.xidSeq++
	n := db.xidSeq
	id := &txIdent{xid: XID{USN: uint16(1 + n%10), Slot: uint16(n % 32), Sqn: 1000 + n}, user: tx.user}
	id.xidRaw = id.xid.Bytes()
	id.startSCN = db.nextSCN()
	id.startTS = db.now()
	tx.id = id
	db.active[id] = tx.th
	db.appendRedo(tx.th, &redoRecord{scn: id.startSCN, ts: id.startTS, op: OpStart, tx: id})
}

func (db *DB) whereForUpdate(t *Table, set []int) []int {
	switch db.cfg.SupplementalLogging {
	case LoggingAll:
		return t.logged
	case LoggingPK:
		if len(t.pk) == 0 {
			return t.logged
		}
	}
	in := make([]bool, len(t.cols))
	if db.cfg.SupplementalLogging == LoggingPK {
		for _, c := range t.pk {
			in[c] = true
		}
	}
	for _, c := range set {
		in[c] = true
	}
	out := make([]int, 0, len(t.cols))
	for _, c := range t.logged {
		if in[c] {
			out = append(out, c)
		}
	}
	return out
}

func (t *Table) checkNotNull(vals []any) error {
	for i, c := range t.cols {
		if !c.Nullable && vals[i] == nil {
			return oraErr(1400, "cannot insert NULL into (%q.%q.%q)", t.schema, t.name, c.Name)
		}
	}
	return nil
}

// Insert adds a row; vals are in column order (nil for NULL). It returns the
// new ROWID.
func (tx *Tx) Insert(t *Table, vals ...any) (string, error) {
	if len(vals) != len(t.cols) {
		return "", oraErr(947, "not enough values")
	}
	row := make([]any, len(vals))
	for i, v := range vals {
		cv, err := coerce(t.cols[i].Type, t.cols[i].Name, v)
		if err != nil {
			return "", err
		}
		row[i] = cv
	}
	db := tx.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := tx.check(); err != nil {
		return "", err
	}
	rid, err := tx.insertLocked(t, row)
	if err != nil {
		return "", err
	}
	return rid.String(), nil
}

func (tx *Tx) insertLocked(t *Table, vals []any) (rowID, error) {
	db := tx.db
	if err := t.checkNotNull(vals); err != nil {
		return rowID{}, err
	}
	key := t.keyOf(vals)
	var prevKey *row
	if len(t.pk) > 0 {
		if r := t.byKey[key]; r != nil {
			if r.pendTx != nil && r.pendTx != tx {
				return rowID{}, oraErr(54, "resource busy and acquire with NOWAIT specified or timeout expired")
			}
			if r.visible(tx, 0) != nil {
				return rowID{}, oraErr(1, "unique constraint (%s.%s) violated", t.schema, t.pkName)
			}
			prevKey = r
		}
	}
	n := t.nextRow
	t.nextRow++
	r := &row{rid: rowID{obj: t.obj, file: 12, block: 128 + n/rowsPerBlock, slot: uint16(n % rowsPerBlock)}, pendTx: tx, pendVals: vals, key: key}
	t.rows = append(t.rows, r)
	t.byRID[r.rid] = r
	if len(t.pk) > 0 {
		t.byKey[key] = r
	}
	tx.begin()
	scn := db.nextSCN()
	ts := db.now()
	hasLOB := len(t.lobCols) > 0
	db.appendRedo(tx.th, &redoRecord{scn: scn, ts: ts, op: OpInsert, tx: tx.id, tbl: t, rid: r.rid, newVals: vals, emptyLOBs: hasLOB})
	if hasLOB {
		// Oracle inserts empty LOB locators, then writes the values with an
		// UPDATE in the same transaction.
		empty := append([]any(nil), vals...)
		for _, c := range t.lobCols {
			if t.cols[c].Type.Kind == KindBlob {
				empty[c] = []byte{}
			} else {
				empty[c] = ""
			}
		}
		db.appendRedo(tx.th, &redoRecord{scn: scn, ts: ts, op: OpUpdate, tx: tx.id, tbl: t, rid: r.rid, oldVals: empty, newVals: vals, setCols: t.lobCols, whereCols: db.whereForUpdate(t, t.lobCols)})
	}
	tx.changes = append(tx.changes, txChange{tbl: t, row: r, op: OpInsert, prevKey: prevKey, newVals: vals})
	return r.rid, nil
}

// lookupKey finds the row a key addresses as the transaction sees it.
func (tx *Tx) lookupKey(t *Table, key []any) (*row, error) {
	k, err := t.keyFromArgs(key)
	if err != nil {
		return nil, err
	}
	r := t.byKey[k]
	if r == nil {
		return nil, ErrNoRow
	}
	return r, nil
}

func (tx *Tx) lookupRowID(t *Table, rid string) (*row, error) {
	id, err := parseRowID(rid)
	if err != nil {
		return nil, err
	}
	r := t.byRID[id]
	if r == nil {
		return nil, ErrNoRow
	}
	return r, nil
}

func (t *Table) resolveCols(cols []string, vals []any) ([]int, []any, error) {
	if len(cols) != len(vals) {
		return nil, nil, fmt.Errorf("oraclesim: %d columns but %d values", len(cols), len(vals))
	}
	idx := make([]int, len(cols))
	out := make([]any, len(cols))
	for i, name := range cols {
		c, ok := t.colIdx[name]
		if !ok {
			return nil, nil, oraErr(904, "%q: invalid identifier", name)
		}
		v, err := coerce(t.cols[c].Type, name, vals[i])
		if err != nil {
			return nil, nil, err
		}
		idx[i], out[i] = c, v
	}
	return idx, out, nil
}

// UpdateByKey sets columns of the row with the given primary key values.
func (tx *Tx) UpdateByKey(t *Table, key []any, cols []string, vals []any) error {
	idx, cv, err := t.resolveCols(cols, vals)
	if err != nil {
		return err
	}
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	r, err := tx.lookupKey(t, key)
	if err != nil {
		return err
	}
	return tx.updateLocked(t, r, idx, cv)
}

// UpdateRowID sets columns of the row with the given ROWID.
func (tx *Tx) UpdateRowID(t *Table, rid string, cols []string, vals []any) error {
	idx, cv, err := t.resolveCols(cols, vals)
	if err != nil {
		return err
	}
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	r, err := tx.lookupRowID(t, rid)
	if err != nil {
		return err
	}
	return tx.updateLocked(t, r, idx, cv)
}

func (tx *Tx) updateLocked(t *Table, r *row, idx []int, vals []any) error {
	db := tx.db
	if r.pendTx != nil && r.pendTx != tx {
		return oraErr(54, "resource busy and acquire with NOWAIT specified or timeout expired")
	}
	cur := r.visible(tx, 0)
	if cur == nil {
		return ErrNoRow
	}
	next := append([]any(nil), cur...)
	for i, c := range idx {
		next[c] = vals[i]
	}
	for _, c := range t.pk {
		if compareStored(t.cols[c].Type, cur[c], next[c]) != 0 {
			return oraErr(3001, "unimplemented feature: updating primary key column %q", t.cols[c].Name)
		}
	}
	if err := t.checkNotNull(next); err != nil {
		return oraErr(1407, "cannot update (%q.%q) to NULL", t.schema, t.name)
	}
	set := append([]int(nil), idx...)
	tx.begin()
	db.appendRedo(tx.th, &redoRecord{scn: db.nextSCN(), ts: db.now(), op: OpUpdate, tx: tx.id, tbl: t, rid: r.rid, oldVals: cur, newVals: next, setCols: set, whereCols: db.whereForUpdate(t, set)})
	tx.changes = append(tx.changes, txChange{tbl: t, row: r, op: OpUpdate, prevHad: r.pendTx == tx, prevVals: r.pendVals, oldVals: cur, newVals: next, setCols: set})
	r.pendTx, r.pendVals = tx, next
	return nil
}

// DeleteByKey deletes the row with the given primary key values.
func (tx *Tx) DeleteByKey(t *Table, key ...any) error {
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	r, err := tx.lookupKey(t, key)
	if err != nil {
		return err
	}
	return tx.deleteLocked(t, r)
}

// DeleteRowID deletes the row with the given ROWID.
func (tx *Tx) DeleteRowID(t *Table, rid string) error {
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	r, err := tx.lookupRowID(t, rid)
	if err != nil {
		return err
	}
	return tx.deleteLocked(t, r)
}

func (tx *Tx) deleteLocked(t *Table, r *row) error {
	db := tx.db
	if r.pendTx != nil && r.pendTx != tx {
		return oraErr(54, "resource busy and acquire with NOWAIT specified or timeout expired")
	}
	cur := r.visible(tx, 0)
	if cur == nil {
		return ErrNoRow
	}
	tx.begin()
	db.appendRedo(tx.th, &redoRecord{scn: db.nextSCN(), ts: db.now(), op: OpDelete, tx: tx.id, tbl: t, rid: r.rid, oldVals: cur, whereCols: t.logged})
	tx.changes = append(tx.changes, txChange{tbl: t, row: r, op: OpDelete, prevHad: r.pendTx == tx, prevVals: r.pendVals, oldVals: cur})
	r.pendTx, r.pendVals = tx, nil
	return nil
}

// Savepoint marks a point ROLLBACK TO can return to.
func (tx *Tx) Savepoint(name string) error {
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	for i, s := range tx.saves {
		if s.name == name {
			tx.saves = append(tx.saves[:i], tx.saves[i+1:]...)
			break
		}
	}
	tx.saves = append(tx.saves, savepoint{name, len(tx.changes)})
	return nil
}

// RollbackTo undoes the changes made after the savepoint. Each undone change
// writes a redo record with ROLLBACK = 1; the transaction stays open.
func (tx *Tx) RollbackTo(name string) error {
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	for i := len(tx.saves) - 1; i >= 0; i-- {
		if tx.saves[i].name == name {
			tx.undoTo(tx.saves[i].n)
			tx.saves = tx.saves[:i+1]
			return nil
		}
	}
	return oraErr(1086, "savepoint '%s' never established in this session or is invalid", name)
}

// undoTo undoes changes back to index n. db.mu held.
func (tx *Tx) undoTo(n int) {
	db := tx.db
	for i := len(tx.changes) - 1; i >= n; i-- {
		c := tx.changes[i]
		r, t := c.row, c.tbl
		if c.prevHad {
			r.pendTx, r.pendVals = tx, c.prevVals
		} else {
			r.pendTx, r.pendVals = nil, nil
		}
		rec := &redoRecord{scn: db.nextSCN(), ts: db.now(), rollback: true, tx: tx.id, tbl: t, rid: r.rid}
		switch c.op {
		case OpInsert:
			rec.op, rec.oldVals, rec.whereCols = OpDelete, c.newVals, t.logged
			if !c.prevHad {
				delete(t.byRID, r.rid)
				if len(t.pk) > 0 && t.byKey[r.key] == r {
					if c.prevKey != nil {
						t.byKey[r.key] = c.prevKey
					} else {
						delete(t.byKey, r.key)
					}
				}
			}
		case OpDelete:
			rec.op, rec.newVals = OpInsert, c.oldVals
		case OpUpdate:
			rec.op, rec.oldVals, rec.newVals, rec.setCols = OpUpdate, c.newVals, c.oldVals, c.setCols
			rec.whereCols = db.whereForUpdate(t, c.setCols)
		}
		db.appendRedo(tx.th, rec)
	}
	tx.changes = tx.changes[:n]
}

// Commit makes the changes visible at a new SCN and writes the COMMIT
// record. It returns the commit SCN (the current SCN for a transaction
// without changes, which writes no redo).
func (tx *Tx) Commit() (uint64, error) {
	db := tx.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := tx.check(); err != nil {
		return 0, err
	}
	tx.done = true
	if tx.id == nil {
		return db.scn, nil
	}
	delete(db.active, tx.id)
	scn := db.nextSCN()
	now := db.now()
	low := db.undoLow()
	for _, c := range tx.changes {
		r, t := c.row, c.tbl
		db.commits[t.schema+"."+t.name]++
		if r.pendTx != tx {
			continue // already finalised for an earlier change of this row
		}
		wasLive := r.committedAt(0) != nil
		r.versions = append(r.versions, version{scn: scn, vals: r.pendVals})
		isLive := r.pendVals != nil
		r.pendTx, r.pendVals = nil, nil
		switch {
		case wasLive && !isLive:
			t.live--
		case !wasLive && isLive:
			t.live++
		}
		if !isLive {
			if len(t.pk) > 0 && t.byKey[r.key] == r {
				delete(t.byKey, r.key)
			}
			delete(t.byRID, r.rid)
		}
		// prune versions no AS OF query can reach any more
		k := 0
		for k+1 < len(r.versions) && r.versions[k+1].scn <= low {
			k++
		}
		if k > 0 {
			r.versions = append(r.versions[:0], r.versions[k:]...)
		}
	}
	db.appendRedo(tx.th, &redoRecord{scn: scn, ts: now, op: OpCommit, tx: tx.id, commitSCN: scn})
	if db.changeLog != nil {
		db.changeLog.record(tx, scn)
	}
	db.noteTime(now)
	tx.changes, tx.saves = nil, nil
	return scn, nil
}

// Rollback undoes every change (ROLLBACK = 1 records) and writes the
// ROLLBACK record.
func (tx *Tx) Rollback() error {
	db := tx.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := tx.check(); err != nil {
		return err
	}
	tx.done = true
	if tx.id == nil {
		return nil
	}
	delete(db.active, tx.id)
	tx.undoTo(0)
	db.appendRedo(tx.th, &redoRecord{scn: db.nextSCN(), ts: db.now(), op: OpRollback, tx: tx.id})
	tx.saves = nil
	return nil
}
