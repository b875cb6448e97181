// Package testzk starts real ZooKeeper servers from Debian's zookeeper package for tests:
// a single server or an ensemble on free 127.0.0.1 ports, each in its own temporary data
// directory, as child processes of the test binary so that the test owns their pids.
//
// Every server runs `java ... org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg`
// directly (not zkServer.sh, which daemonizes and loses the pid). Teardown is registered
// with t.Cleanup: it kills only the pids this package started and waits for them.
//
// The package fails the test, and never skips it, when ZooKeeper is not installed: CI
// installs it through .ci/run, and a developer machine needs `apt-get install -y zookeeper`.
package testzk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/testport"
)

// Paths of Debian's zookeeper package (bookworm: ZooKeeper 3.8). zookeeper.jar names its
// dependencies in its manifest Class-Path; slf4j-simple is added so the server's log goes
// to stderr, which is captured in a per-server log file.
const (
	zookeeperJar  = "/usr/share/java/zookeeper.jar"
	slf4jSimpleJr = "/usr/share/java/slf4j-simple.jar"
	mainClass     = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// StartTimeout bounds how long a server may take to serve requests. The test machines are
// small and shared, and a JVM start plus a quorum election can take tens of seconds there.
var StartTimeout = 60 * time.Second

// TickTime is the ZooKeeper tick of the test servers. Session timeouts may be negotiated
// between minSessionTimeout and maxSessionTimeout, set below independently of the tick.
const TickTime = 200 * time.Millisecond

// Session timeouts the test servers accept (the server clamps a client's request to them).
const (
	MinSessionTimeout = 500 * time.Millisecond
	MaxSessionTimeout = 60 * time.Second
)

// Cluster is a set of ZooKeeper servers started by Start. Its methods must be called from
// the test goroutine (they may call t.Fatal).
type Cluster struct {
	t       testing.TB
	dir     string
	java    string
	servers []*server
}

type server struct {
	id                                int // 1-based ZooKeeper myid
	clientPort, peerPort, electionPrt int
	dir, cfg, log                     string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait has returned
	frozen bool
}

// Start starts n ZooKeeper servers (n = 1: standalone; n >= 3: an ensemble) and waits until
// every one of them serves requests. The servers are stopped when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("testzk: Start needs at least one server, got %d", n)
	}
	java, err := lookInstalled()
	if err != nil {
		t.Fatalf("testzk: %v", err)
	}
	c := &Cluster{t: t, dir: t.TempDir(), java: java}
	// The servers bind these ports now and again after every restart:
	// testport keeps them from every other process meanwhile.
	ports := testport.GetN(t, 3*n)
	for i := 0; i < n; i++ {
		s := &server{id: i + 1, clientPort: ports[3*i], peerPort: ports[3*i+1], electionPrt: ports[3*i+2]}
		s.dir = filepath.Join(c.dir, fmt.Sprintf("zk%d", s.id))
		s.cfg = filepath.Join(s.dir, "zoo.cfg")
		s.log = filepath.Join(s.dir, "server.log")
		c.servers = append(c.servers, s)
	}
	for _, s := range c.servers {
		if err := c.writeConfig(s); err != nil {
			t.Fatalf("testzk: %v", err)
		}
	}
	t.Cleanup(c.teardown)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	c.Start(all...)
	return c
}

func lookInstalled() (string, error) {
	if _, err := os.Stat(zookeeperJar); err != nil {
		return "", fmt.Errorf("ZooKeeper is not installed (%s: %v): run `apt-get install -y zookeeper` (CI does so in .ci/run)", zookeeperJar, errors.Unwrap(err))
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("java not found in PATH (%v): run `apt-get install -y zookeeper`, which pulls in a Java runtime", err)
	}
	return java, nil
}

func (c *Cluster) writeConfig(s *server) error {
	data := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\n", TickTime.Milliseconds())
	// initLimit/syncLimit in ticks: generous, a follower on a loaded machine may be slow.
	b.WriteString("initLimit=100\nsyncLimit=50\n")
	fmt.Fprintf(&b, "minSessionTimeout=%d\nmaxSessionTimeout=%d\n", MinSessionTimeout.Milliseconds(), MaxSessionTimeout.Milliseconds())
	fmt.Fprintf(&b, "dataDir=%s\n", data)
	fmt.Fprintf(&b, "clientPort=%d\nclientPortAddress=127.0.0.1\n", s.clientPort)
	b.WriteString("4lw.commands.whitelist=*\n")
	b.WriteString("admin.enableServer=false\n")
	// Small transaction log files instead of the default 64 MB preallocation.
	b.WriteString("preAllocSize=1024\nsnapCount=10000\n")
	b.WriteString("maxClientCnxns=0\n")
	if len(c.servers) > 1 {
		b.WriteString("standaloneEnabled=false\nreconfigEnabled=false\n")
		for _, p := range c.servers {
			fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d\n", p.id, p.peerPort, p.electionPrt)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", s.id)), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(s.cfg, []byte(b.String()), 0o644)
}

// Servers returns the client addresses (127.0.0.1:port) of all servers, running or not.
func (c *Cluster) Servers() []string {
	out := make([]string, len(c.servers))
	for i, s := range c.servers {
		out[i] = s.addr()
	}
	return out
}

// Addr returns the client address of server i (0-based).
func (c *Cluster) Addr(i int) string { return c.server(i).addr() }

func (s *server) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.clientPort) }

// Pid returns the pid of server i, or 0 when it is not running.
func (c *Cluster) Pid(i int) int {
	s := c.server(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (c *Cluster) server(i int) *server {
	c.t.Helper()
	if i < 0 || i >= len(c.servers) {
		c.t.Fatalf("testzk: no server %d (cluster of %d)", i, len(c.servers))
	}
	return c.servers[i]
}

// Start starts the given stopped servers (0-based) in parallel and waits until each one
// serves requests. In an ensemble a server serves only once a quorum is up, so restart a
// quorum's worth of servers in one call.
func (c *Cluster) Start(ids ...int) {
	c.t.Helper()
	for _, i := range ids {
		if err := c.launch(c.server(i)); err != nil {
			c.t.Fatalf("testzk: %v", err)
		}
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for k, i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = c.servers[i].waitServing(StartTimeout)
		}()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			s := c.servers[ids[k]]
			c.t.Fatalf("testzk: server %d (%s): %v\n%s", ids[k], s.addr(), err, tail(s.log, 40))
		}
	}
}

// Restart stops server i and starts it again with the same data directory.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Stop(i)
	c.Start(i)
}

// Wipe stops server i, deletes its data (snapshots and transaction logs; myid stays)
// and starts it again: a ZooKeeper that comes back empty, as after a lost volume.
func (c *Cluster) Wipe(i int) {
	c.t.Helper()
	c.Stop(i)
	data := filepath.Join(c.server(i).dir, "data", "version-2")
	if err := os.RemoveAll(data); err != nil {
		c.t.Fatalf("testzk: wipe server %d: %v", i, err)
	}
	c.Start(i)
}

func (c *Cluster) launch(s *server) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("server %d already running (pid %d)", s.id-1, s.cmd.Process.Pid)
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cp := zookeeperJar
	if _, err := os.Stat(slf4jSimpleJr); err == nil {
		cp += ":" + slf4jSimpleJr
	}
	cmd := exec.Command(c.java,
		// A small, quick JVM: the machine is shared and tests start many servers.
		"-Xmx128m", "-Xms16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
		"-Djava.net.preferIPv4Stack=true",
		"-Dzookeeper.forceSync=no", // test data need no fsync
		"-Dzookeeper.admin.enableServer=false",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-cp", cp, mainClass, s.cfg)
	cmd.Dir = s.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Own process group: a ^C on the test does not reach the JVM first, the test's cleanup
	// decides. Pdeathsig: the JVM dies with the test binary even when cleanup cannot run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start server %d: %w", s.id-1, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited, s.frozen = cmd, exited, false
	// The waiter ends when the process exits; Stop and the cleanup wait for it.
	go func() {
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	return nil
}

// waitServing polls the srvr four-letter word until the server reports a Mode (standalone,
// leader or follower), which it does only while it serves client requests.
func (s *server) waitServing(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		s.mu.Lock()
		exited := s.exited
		s.mu.Unlock()
		select {
		case <-exited:
			return errors.New("the server process exited during startup")
		default:
		}
		out, err := FourLetter(s.addr(), "srvr", time.Second)
		if err == nil && strings.Contains(out, "Mode: ") {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = strings.TrimSpace(out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not serving after %v (last answer to srvr: %s)", timeout, last)
}

// FourLetter sends a ZooKeeper four-letter word (ruok, srvr, mntr, ...) to addr and returns
// the answer.
func FourLetter(addr, word string, timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte(word)); err != nil {
		return "", err
	}
	var b strings.Builder
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String(), sc.Err()
}

// Mode returns the server's role as srvr reports it (standalone, leader, follower), or an
// error when it does not serve.
func (c *Cluster) Mode(i int) (string, error) {
	out, err := FourLetter(c.server(i).addr(), "srvr", time.Second)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return m, nil
		}
	}
	return "", fmt.Errorf("not serving: %s", strings.TrimSpace(out))
}

// Stop kills server i (SIGKILL, as a crash would) and waits for the process to exit. Its
// data directory is kept for a later Start.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	if err := c.server(i).kill(); err != nil {
		c.t.Fatalf("testzk: stop server %d: %v", i, err)
	}
}

func (s *server) kill() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("pid %d did not exit 30s after SIGKILL", cmd.Process.Pid)
	}
	s.mu.Lock()
	s.cmd, s.exited, s.frozen = nil, nil, false
	s.mu.Unlock()
	return nil
}

// Freeze stops server i with SIGSTOP: its connections stay open but it answers nothing,
// like a server stuck in a long GC pause or behind a silent network partition.
func (c *Cluster) Freeze(i int) { c.t.Helper(); c.signal(i, syscall.SIGSTOP, true) }

// Thaw resumes a server frozen by Freeze (SIGCONT).
func (c *Cluster) Thaw(i int) { c.t.Helper(); c.signal(i, syscall.SIGCONT, false) }

func (c *Cluster) signal(i int, sig syscall.Signal, frozen bool) {
	c.t.Helper()
	s := c.server(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		c.t.Fatalf("testzk: server %d is not running", i)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("testzk: %v to server %d (pid %d): %v", sig, i, s.cmd.Process.Pid, err)
	}
	// kill(2) returns before the signal has taken effect: a thread of the
	// server may still answer a request that arrives meanwhile. Return only
	// once every thread is stopped (or running again).
	if err := waitStopped(s.cmd.Process.Pid, frozen, 30*time.Second); err != nil {
		c.t.Fatalf("testzk: %v to server %d: %v", sig, i, err)
	}
	s.frozen = frozen
}

// waitStopped polls /proc until every thread of pid is stopped (stopped =
// true) or none is, for at most limit.
func waitStopped(pid int, stopped bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n, err := stoppedThreads(pid)
		if err != nil {
			return err
		}
		if stopped && n.stopped == n.all || !stopped && n.stopped == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d: %d of %d threads stopped after %v, want %s", pid, n.stopped, n.all, limit,
				map[bool]string{true: "all", false: "none"}[stopped])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type threadCount struct{ all, stopped int }

// stoppedThreads counts pid's threads and those in state T (stopped by a
// signal) in /proc/PID/task/TID/stat.
func stoppedThreads(pid int) (threadCount, error) {
	var n threadCount
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return n, err
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// The state follows the command name, which is in parentheses and
		// may itself hold spaces or parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return n, fmt.Errorf("unexpected %s", b)
		}
		n.all++
		if b[i+2] == 'T' {
			n.stopped++
		}
	}
	return n, nil
}

func (c *Cluster) teardown() {
	for i, s := range c.servers {
		if err := s.kill(); err != nil {
			c.t.Errorf("testzk: teardown of server %d: %v", i, err)
		}
		if c.t.Failed() {
			c.t.Logf("testzk: log of server %d (%s):\n%s", i, s.addr(), tail(s.log, 30))
		}
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
