package logminer

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redoflow/redoflow/change"
)

// positionVersion is the "v" of the Position JSON; a reader refuses others.
const positionVersion = 1

// positionJSON is the Position the Reader hands to Boundary:
//
//	{"v":1,"restart_scn":1000123,"floor_scn":1000000,
//	 "threads":[{"thread":1,"commit_scn":1000456,"xids":["0A001B00E8030000"]}]}
//
// restart_scn is where mining resumes (inclusive): the first SCN of the
// oldest transaction still open, else the SCN after the last one mined.
// Everything from there is mined again on resume; what was already handed
// over is recognised by its commit: a transaction committed at or below
// floor_scn, or on a thread below that thread's commit_scn, or at exactly
// commit_scn with its XID listed, was emitted before and is skipped.
type positionJSON struct {
	V       int            `json:"v"`
	Restart uint64         `json:"restart_scn"`
	Floor   uint64         `json:"floor_scn"`
	Threads []threadCommit `json:"threads,omitempty"`
}

// threadCommit is the last commit emitted on one redo thread and every
// XID emitted at that same SCN (several transactions can share a commit
// SCN on a busy or clustered database).
type threadCommit struct {
	Thread int      `json:"thread"`
	SCN    uint64   `json:"commit_scn"`
	XIDs   []string `json:"xids"`
}

// position is the working copy of a position.
type position struct {
	restart uint64
	floor   uint64
	threads []threadCommit // sorted by thread
}

// PositionAt returns the Position of a consistent point at scn, such as
// the SCN of a snapshot read AS OF SCN scn: every transaction committed at
// or before scn counts as delivered, later ones are read from scn on.
// (A transaction still open at scn that started before it is delivered
// only from scn on; a Reader logs a warning when it meets one.)
func PositionAt(scn uint64) change.Position {
	p := position{restart: scn, floor: scn}
	return p.encode()
}

// PositionSCNs returns the restart SCN of a Position and the highest commit
// SCN it covers, for progress reports and lag.
func PositionSCNs(pos change.Position) (restart, committed uint64, err error) {
	p, err := decodePosition(pos)
	if err != nil {
		return 0, 0, err
	}
	committed = p.floor
	for _, t := range p.threads {
		committed = max(committed, t.SCN)
	}
	return p.restart, committed, nil
}

func decodePosition(pos change.Position) (position, error) {
	var j positionJSON
	if err := json.Unmarshal(pos, &j); err != nil {
		return position{}, fatal(fmt.Errorf("%w: %v (position %.100q)", ErrBadPosition, err, pos))
	}
	if j.V != positionVersion {
		return position{}, fatal(fmt.Errorf("%w: version %d, this reader writes version %d (position %.100q)", ErrBadPosition, j.V, positionVersion, pos))
	}
	if j.Restart == 0 {
		return position{}, fatal(fmt.Errorf("%w: restart_scn is 0 (position %.100q)", ErrBadPosition, pos))
	}
	p := position{restart: j.Restart, floor: j.Floor, threads: j.Threads}
	slices.SortFunc(p.threads, func(a, b threadCommit) int { return a.Thread - b.Thread })
	return p, nil
}

func (p *position) encode() change.Position {
	b, err := json.Marshal(positionJSON{V: positionVersion, Restart: p.restart, Floor: p.floor, Threads: p.threads})
	if err != nil {
		panic(err) // plain integers and strings always marshal
	}
	return b
}

// clone returns a deep copy.
func (p *position) clone() position {
	c := *p
	c.threads = make([]threadCommit, len(p.threads))
	for i, t := range p.threads {
		t.XIDs = slices.Clone(t.XIDs)
		c.threads[i] = t
	}
	return c
}

func (p *position) thread(n int) *threadCommit {
	for i := range p.threads {
		if p.threads[i].Thread == n {
			return &p.threads[i]
		}
	}
	return nil
}

// emitted reports whether the transaction xid committed at scn on thread
// was handed over already.
func (p *position) emitted(thread int, scn uint64, xid string) bool {
	if scn <= p.floor {
		return true
	}
	t := p.thread(thread)
	if t == nil {
		return false
	}
	return scn < t.SCN || scn == t.SCN && slices.Contains(t.XIDs, xid)
}

// emittedOnAny is emitted for a commit whose thread is not known: handed
// over on any thread.
func (p *position) emittedOnAny(scn uint64, xid string) bool {
	if scn <= p.floor {
		return true
	}
	for _, t := range p.threads {
		if scn < t.SCN || scn == t.SCN && slices.Contains(t.XIDs, xid) {
			return true
		}
	}
	return false
}

// markEmitted records a handed-over commit.
func (p *position) markEmitted(thread int, scn uint64, xid string) {
	t := p.thread(thread)
	if t == nil {
		p.threads = append(p.threads, threadCommit{Thread: thread})
		slices.SortFunc(p.threads, func(a, b threadCommit) int { return a.Thread - b.Thread })
		t = p.thread(thread)
	}
	if scn == t.SCN {
		t.XIDs = append(t.XIDs, xid)
		return
	}
	// The slice is the working position's own (emitted holds a clone).
	t.SCN, t.XIDs = scn, append(t.XIDs[:0], xid)
}
