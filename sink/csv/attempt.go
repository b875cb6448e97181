package csv

import (
	"errors"
	"strconv"
	"strings"
)

// Attempt names the task attempt that writes a sink's files: the leader
// epoch it was assigned under and its number within that epoch. It is part of
// every in-progress file's name, so that two attempts of one task never write
// the same file, even when a deposed attempt resumes after a pause.
type Attempt struct {
	Epoch int64
	N     int64
}

// String is the attempt's token in file names, e.g. "e5a2".
func (a Attempt) String() string {
	return "e" + strconv.FormatInt(a.Epoch, 10) + "a" + strconv.FormatInt(a.N, 10)
}

// Before orders attempts: a later epoch, or a later attempt of one epoch,
// comes after.
func (a Attempt) Before(b Attempt) bool {
	return a.Epoch < b.Epoch || (a.Epoch == b.Epoch && a.N < b.N)
}

// ParseAttempt reads a token String wrote.
func ParseAttempt(s string) (Attempt, error) {
	rest, ok := strings.CutPrefix(s, "e")
	e, n, ok2 := strings.Cut(rest, "a")
	if !ok || !ok2 {
		return Attempt{}, errors.New("csv sink: attempt token " + strconv.Quote(s) + " is not e<epoch>a<n>")
	}
	epoch, err1 := strconv.ParseInt(e, 10, 64)
	num, err2 := strconv.ParseInt(n, 10, 64)
	if err1 != nil || err2 != nil || epoch < 0 || num < 0 || strconv.FormatInt(epoch, 10) != e || strconv.FormatInt(num, 10) != n {
		return Attempt{}, errors.New("csv sink: attempt token " + strconv.Quote(s) + " is not e<epoch>a<n>")
	}
	return Attempt{Epoch: epoch, N: num}, nil
}

// ErrFenced is what a Fence returns once the attempt may have been deposed:
// the sink then refuses to touch any file.
var ErrFenced = errors.New("csv sink: fenced: this attempt may no longer own the task")

// fileName is one of this task's files in a table directory.
type fileName struct {
	n     int
	final bool
	owner string // the writing attempt's token; "" in legacy in-progress names and in final names
	name  string // the base name
}
