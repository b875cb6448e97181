package oraclesim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoflow/redoflow/internal/fsx"
)

// ChangeLogDir is the folder of a truth directory that holds the committed
// change log, one <SCHEMA>.<TABLE>.csv per table.
const ChangeLogDir = "_changes"

// ChangeLog records the database's committed changes as they commit: per
// table, one CSV row per committed change, in commit order, with the header
//
//	_op,_commit_scn,_xid,_seq,<every column in table order>
//
// _op is c (INSERT, the after image), u (UPDATE, the after image) or d
// (DELETE, the before image); _xid is the 16 hex digits RAWTOHEX(XID)
// shows; _seq is the change's index among the transaction's committed
// changes, over all tables, in the order the database applied them. A LOB
// INSERT and the UPDATE writing its values are one change. Values are in
// the canonical forms of redoflow's CSV output; NULL is an empty field and
// an empty (LOB) value "". Changes of rolled back transactions, and those
// undone by ROLLBACK TO SAVEPOINT, never commit and are not recorded.
//
// Rows go to files under <dir>/_changes.tmp as transactions commit, so the
// log costs no memory; Finish makes it durable and renames the folder to
// <dir>/_changes. Start it with DB.RecordChanges before the first change
// for a log of everything the tables ever held.
type ChangeLog struct {
	db     *DB
	dir    string // the truth directory
	tmp    string // <dir>/_changes.tmp
	files  map[*Table]*changeFile
	buf    []byte
	err    error // the first write error, reported by Finish
	closed bool
}

type changeFile struct {
	f *os.File
	w *bufio.Writer
}

// RecordChanges starts recording every transaction that commits from now
// on into a ChangeLog under dir. Only one log records at a time.
func (db *DB) RecordChanges(dir string) (*ChangeLog, error) {
	tmp := filepath.Join(dir, ChangeLogDir+".tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil, ErrClosed
	}
	if db.changeLog != nil {
		return nil, errors.New("oraclesim: a change log is already recording")
	}
	l := &ChangeLog{db: db, dir: dir, tmp: tmp, files: map[*Table]*changeFile{}}
	db.changeLog = l
	return l, nil
}

// file returns the table's open file, creating it with its header. db.mu
// held, or the log detached.
func (l *ChangeLog) file(t *Table) *changeFile {
	if cf := l.files[t]; cf != nil || l.err != nil {
		return cf
	}
	f, err := os.Create(filepath.Join(l.tmp, t.schema+"."+t.name+".csv"))
	if err != nil {
		l.err = err
		return nil
	}
	cf := &changeFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	b := append(l.buf[:0], "_op,_commit_scn,_xid,_seq"...)
	for _, c := range t.cols {
		b = appendCSVField(append(b, ','), c.Name, false)
	}
	b = append(b, '\n')
	l.buf = b
	if _, err := cf.w.Write(b); err != nil {
		l.err = err
	}
	l.files[t] = cf
	return cf
}

// record appends the changes of a transaction committing at scn. db.mu
// held; tx.changes are the changes that survived every ROLLBACK TO.
func (l *ChangeLog) record(tx *Tx, scn uint64) {
	if l.err != nil {
		return
	}
	xid := tx.id.xid.String()
	for seq, c := range tx.changes {
		cf := l.file(c.tbl)
		if cf == nil {
			return
		}
		b := l.buf[:0]
		vals := c.newVals
		switch c.op {
		case OpInsert:
			b = append(b, 'c')
		case OpUpdate:
			b = append(b, 'u')
		case OpDelete:
			b, vals = append(b, 'd'), c.oldVals
		}
		b = strconv.AppendUint(append(b, ','), scn, 10)
		b = append(append(b, ','), xid...)
		b = strconv.AppendInt(append(b, ','), int64(seq), 10)
		for i, col := range c.tbl.cols {
			b = append(b, ',')
			if vals[i] != nil {
				b = appendCSVField(b, canonical(col.Type, vals[i]), true)
			}
		}
		b = append(b, '\n')
		l.buf = b
		if _, err := cf.w.Write(b); err != nil {
			l.err = err
			return
		}
	}
}

// detach stops recording and reports whether this call did.
func (l *ChangeLog) detach() bool {
	l.db.mu.Lock()
	defer l.db.mu.Unlock()
	if l.db.changeLog == l {
		l.db.changeLog = nil
	}
	if l.closed {
		return false
	}
	l.closed = true
	return true
}

// Finish stops recording and makes the log durable: every table gets a
// file (a header alone if nothing of it committed), each file is fsynced,
// and the folder replaces <dir>/_changes by a rename. Call it once nothing
// commits any more: later commits are not recorded.
func (l *ChangeLog) Finish() error {
	if !l.detach() {
		return errors.New("oraclesim: the change log is already finished or closed")
	}
	for _, t := range l.db.Tables() {
		l.file(t)
	}
	for _, cf := range l.files {
		if err := cf.w.Flush(); err != nil && l.err == nil {
			l.err = err
		}
		if err := cf.f.Sync(); err != nil && l.err == nil {
			l.err = err
		}
		if err := cf.f.Close(); err != nil && l.err == nil {
			l.err = err
		}
	}
	if l.err != nil {
		return fmt.Errorf("oraclesim: change log: %w", l.err)
	}
	final := filepath.Join(l.dir, ChangeLogDir)
	if err := fsx.SyncDir(l.tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(l.tmp, final); err != nil {
		return err
	}
	return fsx.SyncDir(l.dir)
}

// Close stops recording and, unless Finish ran, removes what was written.
func (l *ChangeLog) Close() error {
	if !l.detach() {
		return nil
	}
	for _, cf := range l.files {
		cf.f.Close()
	}
	return os.RemoveAll(l.tmp)
}

// appendCSVField appends s quoted where encoding/csv would quote it, and
// an empty s as "" when quoteEmpty (a non-NULL empty value).
func appendCSVField(b []byte, s string, quoteEmpty bool) []byte {
	if s == "" {
		if quoteEmpty {
			return append(b, '"', '"')
		}
		return b
	}
	r, _ := utf8.DecodeRuneInString(s)
	if s != `\.` && !unicode.IsSpace(r) && !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
