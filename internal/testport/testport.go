// Package testport hands tests loopback TCP ports that no other process can
// take while the test process lives, so that a port can be given to a child
// process, or closed and bound again after a restart, without a race.
//
// A port from net.Listen(":0") comes from the kernel's ephemeral range, the
// range the kernel also takes every outgoing connection's local port from:
// once such a port is closed, any connect() on the machine may take it
// before the process it was meant for binds it. This package never hands
// out such a port. It picks ports below (or, failing that, above) the range
// in /proc/sys/net/ipv4/ip_local_port_range, which the kernel never assigns
// by itself, and coordinates the test processes that run at the same time
// (go test runs packages in parallel, and several go test runs may share a
// machine) through an exclusive flock(2) on one file per port, held until
// the process exits. A port is handed out only while its lock is held and
// after a bind to it on every address has just succeeded.
//
// What is left outside this package's reach: a process that is not a test
// of this project and binds one of these ports explicitly.
package testport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// rangeFile is where Linux keeps the ephemeral port range.
const rangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// low and high bound the ports this package ever hands out; the ephemeral
// range is cut out of them. low keeps clear of the well-known ports a
// deployment publishes on the host (1521, 2181, 8081-8082, 9249-9250).
const (
	low  = 20000
	high = 65535
	// minPorts is the fewest candidate ports worth working with.
	minPorts = 2000
)

// LockDir holds one lock file per port. It is a fixed path, not
// os.TempDir(), so that test processes with different TMPDIRs still see
// each other's locks.
var LockDir = "/tmp/redoflow-testports"

var (
	mu    sync.Mutex
	held  = map[int]*os.File{} // port -> its lock file, open for the process's life
	cands []int                // candidate ports, computed once
	next  int                  // where the next search starts in cands
)

// Get returns a loopback port that nothing listens on and that no other
// test process can be handed until this process exits. It fails the test
// when no such port is found.
func Get(t testing.TB) int {
	t.Helper()
	p, err := Reserve()
	if err != nil {
		t.Fatalf("testport: %v", err)
	}
	return p
}

// GetN returns n distinct ports as Get does.
func GetN(t testing.TB, n int) []int {
	t.Helper()
	ps := make([]int, n)
	for i := range ps {
		ps[i] = Get(t)
	}
	return ps
}

// Reserve is Get for code that has no testing.TB.
func Reserve() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	if cands == nil {
		c, err := candidates()
		if err != nil {
			return 0, err
		}
		cands = c
		next = rand.IntN(len(cands))
	}
	if err := os.MkdirAll(LockDir, 0o777); err != nil {
		return 0, fmt.Errorf("lock directory: %w", err)
	}
	_ = os.Chmod(LockDir, 0o777|os.ModeSticky) // best effort: other users' tests share it
	for i := 0; i < len(cands); i++ {
		p := cands[(next+i)%len(cands)]
		if _, mine := held[p]; mine {
			continue
		}
		f, ok, err := lock(filepath.Join(LockDir, strconv.Itoa(p)))
		if err != nil {
			return 0, err
		}
		if !ok {
			continue // another test process holds it
		}
		if !bindable(p) {
			f.Close() // something outside the protocol listens there
			continue
		}
		held[p] = f
		next = (next + i + 1) % len(cands)
		return p, nil
	}
	return 0, fmt.Errorf("no free port among the %d candidates outside the ephemeral range", len(cands))
}

// lock takes an exclusive flock on path without waiting.
func lock(path string) (*os.File, bool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o666)
	if err != nil {
		return nil, false, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, true, nil
}

// bindable reports whether a listener can bind p on every address, which
// no listener on any single address of the machine would allow.
func bindable(p int) bool {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// candidates lists the ports in [low, high] outside the ephemeral range.
func candidates() ([]int, error) {
	b, err := os.ReadFile(rangeFile)
	if err != nil {
		return nil, fmt.Errorf("read the ephemeral port range: %w", err)
	}
	lo, hi, err := parseRange(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rangeFile, err)
	}
	var c []int
	for p := low; p <= high; p++ {
		if p < lo || p > hi {
			c = append(c, p)
		}
	}
	if len(c) < minPorts {
		return nil, fmt.Errorf("%s is %d-%d: that leaves %d ports in %d-%d outside it, fewer than %d; narrow it, e.g. to 32768 60999",
			rangeFile, lo, hi, len(c), low, high, minPorts)
	}
	return c, nil
}

func parseRange(s string) (lo, hi int, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("want two numbers, got %q", strings.TrimSpace(s))
	}
	if lo, err = strconv.Atoi(f[0]); err != nil {
		return 0, 0, fmt.Errorf("low end %q: %w", f[0], err)
	}
	if hi, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, fmt.Errorf("high end %q: %w", f[1], err)
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("low end %d above high end %d", lo, hi)
	}
	return lo, hi, nil
}
