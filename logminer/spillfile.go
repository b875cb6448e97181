package logminer

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// spillPattern names spill files (os.CreateTemp's pattern).
const spillPattern = "redoflow-txn-*.spill"

// createSpill creates a spill file in dir ("": the system's temporary
// directory) and takes an exclusive flock on it, held while it is open: a
// reader starting later knows a locked file for a live one, and an unlocked
// one for the leftover of a process that died with it open (a SIGKILL
// removes no file, and spill files can be tens of MB each).
//
// Between the create and the flock, another reader's cleanup could take the
// new file for a leftover and unlink it; the file stays usable through its
// descriptor (it is never opened again by name), so that costs nothing but
// the name.
func createSpill(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, spillPattern)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil && !unsupportedLock(err) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// removeSpillLeftovers removes the spill files in dir that no live process
// holds: those of readers killed while a large transaction was buffered.
// Files another reader holds, of this job or of another sharing the
// directory, are locked and kept; so are files whose lock cannot be tested.
func removeSpillLeftovers(dir string, log *slog.Logger) {
	if dir == "" {
		dir = os.TempDir()
	}
	names, err := filepath.Glob(filepath.Join(dir, spillPattern))
	if err != nil || len(names) == 0 {
		return
	}
	var n int
	var size int64
	for _, name := range names {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue // another user's, or gone meanwhile
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			fi, serr := f.Stat()
			if err := os.Remove(name); err == nil && serr == nil {
				n++
				size += fi.Size()
			}
		}
		f.Close()
	}
	if n > 0 {
		log.Info("removed spill files left by a reader that was killed", "dir", dir, "files", n, "bytes", size)
	}
}

// unsupportedLock reports a file system without flock: spilling goes on
// unlocked there, and a cleanup never removes what it cannot lock.
func unsupportedLock(err error) bool {
	return errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS)
}
