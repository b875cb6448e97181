// Package failpoint lets crash tests kill a redoflow process at a named
// point of its protocol. It is inert unless REDOFLOW_FAILPOINTS is set, as
// "name=N[,name=N]": the N-th time the process reaches name it sends
// itself SIGKILL, the way a power cut or the OOM killer would stop it.
package failpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	once   sync.Once
	mu     sync.Mutex
	points map[string]int // name -> remaining hits before the kill
)

func load() {
	v := os.Getenv("REDOFLOW_FAILPOINTS")
	if v == "" {
		return
	}
	points = map[string]int{}
	for _, p := range strings.Split(v, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(p), "=")
		if k, err := strconv.Atoi(n); ok && err == nil && k > 0 {
			points[name] = k
		}
	}
}

// Hit marks that the process reached the named point.
func Hit(name string) {
	once.Do(load)
	if points == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	n, ok := points[name]
	if !ok {
		return
	}
	if n--; n > 0 {
		points[name] = n
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}
