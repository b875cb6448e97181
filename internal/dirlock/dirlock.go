// Package dirlock keeps two independent redoflow jobs out of one directory:
// an flock(2) on a lock file (FileName) in the directory, held for the life
// of the job and released by the kernel however the process ends (a SIGKILL
// included), so there is never a stale lock to remove by hand.
//
// A standalone job takes its locks exclusively; it records who holds them
// (pid, host, job, since when) in the file, for the refusal of the next job
// to name. The task attempts of a cluster's workers take them shared: they do
// not exclude each other (a successor attempt never waits for a paused
// predecessor: attempt fencing keeps those apart), but they exclude a
// standalone job on the cluster's directories, and it them.
//
// flock is as good as the file system's locking: local disks and Docker
// volumes (one kernel) work; across machines it holds on NFSv4 (a lease the
// server expires about 90 s after a client dies) and on NFSv3 only with
// lockd (not with the nolock mount option); SMB/CIFS mounts may keep flock
// local to one client. docs/operations.md says so for operators.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FileName is the lock file of a locked directory.
const FileName = ".redoflow.lock"

// ErrHeld is matched by the error of a lock another job holds.
var ErrHeld = errors.New("in use by another redoflow job")

// HeldError is a lock that another job holds.
type HeldError struct {
	// What names the setting of the locked directory or file, e.g.
	// CHECKPOINT_DIR.
	What string
	// Dir is the locked directory (or file).
	Dir string
	// Holder is what the holder recorded ("pid 12 on host h, job j, since
	// ..."), or a description of shared holders; "" when unknown.
	Holder string
}

func (e *HeldError) Error() string {
	holder := "holder unknown"
	if e.Holder != "" {
		holder = e.Holder
	}
	return fmt.Sprintf("%s=%q is %v (%s): two jobs writing one directory tear its output; "+
		"stop the other job, or give this one its own directories", e.What, e.Dir, ErrHeld, holder)
}

// Is makes a HeldError match ErrHeld.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lock is a held lock; Release lets it go.
type Lock struct {
	f         *os.File
	exclusive bool
}

// Exclusive takes dir's lock for this job alone, or fails at once with a
// *HeldError naming the holder. what names the setting dir comes from; job
// is recorded for the next job's refusal.
func Exclusive(dir, what, job string) (*Lock, error) {
	return acquire(filepath.Join(dir, FileName), dir, what, job, true)
}

// ExclusiveFile is Exclusive for one file of a directory others may share:
// its lock file is file+".lock".
func ExclusiveFile(file, what, job string) (*Lock, error) {
	return acquire(file+".lock", file, what, job, true)
}

// SharedFile is Shared for one file, as ExclusiveFile.
func SharedFile(file, what string) (*Lock, error) {
	return acquire(file+".lock", file, what, "", false)
}

// Shared takes dir's lock beside other shared holders (a cluster's task
// attempts), or fails at once with a *HeldError when a job holds it
// exclusively.
func Shared(dir, what string) (*Lock, error) {
	return acquire(filepath.Join(dir, FileName), dir, what, "", false)
}

// acquire takes the lock file path, which guards dir (a directory or file).
func acquire(path, dir, what, job string, exclusive bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: lock: %w", what, dir, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := flock(f, how|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s=%q: lock %s: %w", what, dir, path, err)
		}
		return nil, &HeldError{What: what, Dir: dir, Holder: holder(f, exclusive)}
	}
	l := &Lock{f: f, exclusive: exclusive}
	if exclusive {
		host, _ := os.Hostname()
		rec := fmt.Sprintf("pid=%d host=%s job=%s since=%s\n", os.Getpid(), host, job, time.Now().UTC().Format(time.RFC3339))
		if err := rewrite(f, rec); err != nil {
			l.Release()
			return nil, fmt.Errorf("%s=%q: lock %s: %w", what, dir, path, err)
		}
	}
	return l, nil
}

// holder describes who holds f's lock, after this process failed to take it.
func holder(f *os.File, exclusive bool) string {
	if exclusive && flock(f, syscall.LOCK_SH|syscall.LOCK_NB) == nil {
		// Shared holders only: the task attempts of a cluster's workers.
		flock(f, syscall.LOCK_UN)
		return "shared by the task attempts of a cluster's workers"
	}
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	fields := map[string]string{}
	for _, kv := range strings.Fields(string(b[:n])) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[k] = v
		}
	}
	pid, err := strconv.Atoi(fields["pid"])
	if err != nil {
		return ""
	}
	return fmt.Sprintf("held by pid %d on host %s, job %s, since %s", pid, fields["host"], fields["job"], fields["since"])
}

// rewrite replaces f's content with s, durably.
func rewrite(f *os.File, s string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(s), 0); err != nil {
		return err
	}
	return f.Sync()
}

// flock retries flock(2) on EINTR.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Release lets the lock go. An exclusive holder clears its record first, so
// that the file never names a job that has ended cleanly.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	if l.exclusive {
		l.f.Truncate(0)
	}
	err := l.f.Close() // closing the only descriptor releases the flock
	l.f = nil
	return err
}
