package jobspec_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/internal/oraerr"
	"github.com/redoflow/redoflow/internal/testport"
	"github.com/redoflow/redoflow/jobspec"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/oraclesim/tns"
	"github.com/redoflow/redoflow/verify"
)

// simServer is the simulator with its workload served over TCP by its TNS listener, as
// redoflow sim serves it, recording every committed change into a truth directory.
type simServer struct {
	db      *oraclesim.DB
	w       *oraclesim.Workload
	changes *oraclesim.ChangeLog
	srv     *tns.Server
	truth   string
	host    string
	port    int
}

// lockedErr is Oracle's answer to the login of a locked account.
type lockedErr struct{}

func (lockedErr) Error() string { return "ORA-28000: The account is locked." }
func (lockedErr) OraCode() int  { return 28000 }

// startSim starts the simulator with rows preloaded into TRANS_INFO and the workload wc
// (not running yet), served with the password "right" (and the account LOCKED locked).
func startSim(t *testing.T, wc oraclesim.WorkloadConfig, preload int) *simServer {
	t.Helper()
	db, err := oraclesim.New(oraclesim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &simServer{db: db, truth: t.TempDir()}
	if s.w, err = oraclesim.NewWorkload(db, wc); err != nil {
		t.Fatal(err)
	}
	if s.changes, err = db.RecordChanges(s.truth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.changes.Close() })
	if preload > 0 {
		if err := s.w.Preload(context.Background(), preload); err != nil {
			t.Fatal(err)
		}
	}
	cfg := tns.DefaultConfig()
	cfg.Addr, cfg.Password = "127.0.0.1:0", "right" // in process: the port goes to no other process
	s.srv, err = tns.New(cfg, func(ctx context.Context, l tns.Login) (driver.Conn, error) {
		if strings.EqualFold(l.User, "LOCKED") {
			return nil, lockedErr{}
		}
		return oraclesim.NewConnector(db, oraclesim.ConnOptions{User: strings.ToUpper(l.User), Service: l.Service}).Connect(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.srv.Run(ctx) }()
	<-s.srv.Ready()
	t.Cleanup(func() { stop(); <-done })
	host, port, _ := net.SplitHostPort(s.srv.Addr().String())
	s.host = host
	s.port, _ = strconv.Atoi(port)
	return s
}

// jobConfig is a job of the workload's tables through go-ora at host:port.
func jobConfig(t *testing.T, host string, port int) config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Database = config.Database{Host: host, Port: port, SID: tns.DefaultConfig().Service, Username: "finance_user",
		Password: "right", Schema: oraclesim.WorkloadSchema}
	cfg.Tables = []string{oraclesim.WorkloadSchema + ".TRANS_INFO", oraclesim.WorkloadSchema + ".TRANS_LOG"}
	cfg.OutputPath, cfg.CheckpointDir, cfg.SavepointDir = filepath.Join(dir, "out"), filepath.Join(dir, "chk"), filepath.Join(dir, "sp")
	cfg.CheckpointInterval = 500 * time.Millisecond
	return cfg
}

// writeTruth writes the truth as redoflow sim does once its workload is done: the tables
// as of scn, their keys, the change log, and _final_scn last.
func (s *simServer) writeTruth(t *testing.T, scn uint64) {
	t.Helper()
	if err := s.db.DumpDir(s.truth, scn); err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for _, tb := range s.db.Tables() {
		keys[tb.Schema()+"."+tb.Name()] = tb.PrimaryKey()
	}
	b, _ := json.Marshal(keys)
	if err := os.WriteFile(filepath.Join(s.truth, "_keys.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.changes.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.truth, "_final_scn"), []byte(strconv.FormatUint(scn, 10)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// verifyPerChange runs the per-change check of out against the truth.
func (s *simServer) verifyPerChange(t *testing.T, out string) {
	t.Helper()
	rep, err := verify.RunWith(out, s.truth, verify.Options{Mode: verify.ModePerChange})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ran(verify.ModePerChange) || !rep.OK() {
		t.Fatalf("per-change verify:\n%s", rep)
	}
	t.Logf("per-change verify:\n%s", rep)
}

// runToEnd runs the workload and the job until the job drained everything the workload
// committed, calling during (when not nil) while both run, then writes the truth and
// verifies the output per change.
func (s *simServer) runToEnd(t *testing.T, cfg config.Config, log *slog.Logger, during func(ctx context.Context, job *jobspec.Job) error) {
	t.Helper()
	var final atomic.Uint64
	job, err := jobspec.Build(cfg, jobspec.Options{Logger: log,
		StopAtSCN: func() (uint64, bool) { v := final.Load(); return v, v != 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := s.w.Run(gctx); err != nil {
			return err
		}
		final.Store(s.db.CurrentSCN())
		return nil
	})
	jobDone := make(chan struct{})
	g.Go(func() error {
		defer close(jobDone)
		if err := job.Run(gctx); err != nil {
			return fmt.Errorf("job: %w", err)
		}
		return nil
	})
	if during != nil {
		g.Go(func() error { return during(gctx, job) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	s.writeTruth(t, final.Load())
	s.verifyPerChange(t, cfg.OutputPath)
}

// logBuffer is a log destination the test reads while the job writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond every 10 ms until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("never %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// A database the job cannot reach is reported as what failed: the name, the network, the
// listener, the service, the login, the account. It was reported as a missing grant on
// V_$TRANSACTION (the snapshot's first query) whatever the cause.
func TestConnectFailuresSayWhatFailed(t *testing.T) {
	s := startSim(t, oraclesim.DefaultWorkloadConfig(), 0)
	closed := testport.Get(t) // reserved, and nothing listens on it
	for _, tc := range []struct {
		name      string
		set       func(*config.Config)
		want      string
		permanent bool
	}{
		{"unknown host", func(c *config.Config) { c.Database.Host = "no-such-host.invalid" },
			`DATABASE_HOST="no-such-host.invalid" does not resolve`, true},
		{"no listener", func(c *config.Config) { c.Database.Port = closed },
			fmt.Sprintf("nothing listens on 127.0.0.1:%d (connection refused)", closed), false},
		{"unknown service", func(c *config.Config) { c.Database.SID = "NOPE" },
			`does not know service "NOPE" (ORA-12514)`, false},
		{"wrong password", func(c *config.Config) { c.Database.Password = "wrong" },
			`refused the login of "finance_user" (ORA-01017`, true},
		{"locked account", func(c *config.Config) { c.Database.Username = "locked" },
			`the account "locked" is locked (ORA-28000)`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jobConfig(t, s.host, s.port)
			cfg.Reader.RetryMax = 0 // a failure that may pass is not tried again here
			tc.set(&cfg)
			job, err := jobspec.Build(cfg, jobspec.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer job.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err = job.Run(ctx)
			var ce *oraerr.ConnectError
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "grant") ||
				!errors.As(err, &ce) || ce.Permanent != tc.permanent {
				t.Fatalf("Run = %v;\nwant a connection error (permanent %v) saying %q, and no grant", err, tc.permanent, tc.want)
			}
			// A permanent one is fatal: the job fails instead of restarting (and retrying a
			// refused login until the account locks).
			if failure.IsFatal(err) != tc.permanent {
				t.Fatalf("Run = %v: fatal %v, want %v", err, failure.IsFatal(err), tc.permanent)
			}
			t.Log(err)
		})
	}
}

// Issue 14, finding 7: snapshot reads are retried on dropped connections. The listener
// cuts every session three times while the snapshot reads its chunks; each chunk whose
// read failed is read again on a new connection, and the output checks per change. The
// snapshot used to fail at the first cut.
func TestSnapshotSurvivesDroppedSessions(t *testing.T) {
	wc := oraclesim.DefaultWorkloadConfig()
	wc.MaxChanges, wc.Rate = 2000, 1000
	s := startSim(t, wc, 20000)
	cfg := jobConfig(t, s.host, s.port)
	cfg.Scan.ChunkSize, cfg.Parallelism = 250, 3 // 80 chunks of TRANS_INFO, 3 read at once
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	drops := 0
	s.runToEnd(t, cfg, log, func(ctx context.Context, job *jobspec.Job) error {
		for _, at := range []int{5, 25, 50} {
			err := waitFor(ctx, fmt.Sprintf("read %d chunks", at), func() bool { return chunksDone(job) >= at })
			if err != nil {
				return err
			}
			if done, all := chunksDone(job), chunksAll(job); done >= all {
				return fmt.Errorf("the snapshot finished (%d of %d chunks) before the cut at %d", done, all, at)
			}
			s.srv.DropSessions()
			drops++
		}
		return nil
	})
	if drops != 3 || !strings.Contains(logs.String(), "snapshot read failed on the database connection; retrying") {
		t.Fatalf("%d cuts, and the log shows no snapshot retry:\n%s", drops, logs.String())
	}
}

func chunksDone(job *jobspec.Job) (n int) {
	for _, p := range job.Snapshot().Tables {
		n += p.ChunksDone
	}
	return n
}

func chunksAll(job *jobspec.Job) (n int) {
	for _, p := range job.Snapshot().Tables {
		n += p.ChunksAll
	}
	return n
}

// Issue 14, finding 8: a database link that falls silent (packets dropped, no reset) is
// reported and recovered from. A proxy between the job and the listener stops forwarding
// on every connection open at that moment, for good, as a firewall that forgot them; new
// connections pass. The job logs a warning once a call has waited half of
// REDOFLOW_QUERY_TIMEOUT, its lag keeps growing meanwhile, and at the timeout it closes the
// connection and reconnects, then drains everything, checked per change. It used to wait
// on the silent connection for as long as the kernel kept it, with no log line.
func TestSilentDatabaseLinkRecovers(t *testing.T) {
	wc := oraclesim.DefaultWorkloadConfig()
	wc.MaxChanges, wc.Rate = 3000, 500
	s := startSim(t, wc, 500)
	p := newProxy(t, net.JoinHostPort(s.host, strconv.Itoa(s.port)))
	cfg := jobConfig(t, "127.0.0.1", p.port())
	cfg.Reader.QueryTimeout = 2 * time.Second
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	var lagAtWarning time.Duration
	s.runToEnd(t, cfg, log, func(ctx context.Context, job *jobspec.Job) error {
		if err := waitFor(ctx, "stream 100 changes", func() bool { return job.Stats.RedoChanges() >= 100 }); err != nil {
			return err
		}
		p.freeze()
		// Bounded even if the job never gives up on the silent connections: closing
		// them ends the call it waits in.
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := waitFor(wctx, "warn of the silent link", func() bool {
			return strings.Contains(logs.String(), "database: no answer; the network may be dropping packets")
		}); err != nil {
			p.close()
			return err
		}
		// The warning comes after a call waited half the timeout, and the reader had
		// mined up to the database's present, or delivered its last change, before it.
		lagAtWarning = job.Lag()
		if err := waitFor(wctx, "close the silent connection", func() bool {
			return strings.Contains(logs.String(), "database: no answer; closing the connection")
		}); err != nil {
			p.close()
			return err
		}
		return nil
	})
	if lagAtWarning < cfg.Reader.QueryTimeout/2 {
		t.Errorf("lag at the warning %v, want at least %v", lagAtWarning, cfg.Reader.QueryTimeout/2)
	}
	if !strings.Contains(logs.String(), "REDOFLOW_QUERY_TIMEOUT") {
		t.Errorf("the warnings do not name REDOFLOW_QUERY_TIMEOUT:\n%s", logs.String())
	}
}

// proxy forwards TCP connections to a target until freeze, after which the connections
// open at that moment forward nothing more, in either direction, and stay open: a path
// that drops every packet. Connections opened later forward again.
type proxy struct {
	ln     net.Listener
	target string
	done   chan struct{}
	wg     sync.WaitGroup

	closeOnce sync.Once

	mu    sync.Mutex
	conns []net.Conn
	gate  chan struct{} // closed by freeze for the connections of its time
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // in process: the port goes to no other process
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, done: make(chan struct{}), gate: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// close ends the proxy. Shutdown order: the listener closes, done releases the frozen
// pumps, the connections close, and every goroutine is waited for.
func (p *proxy) close() {
	p.closeOnce.Do(func() {
		p.ln.Close()
		close(p.done)
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// freeze silences every connection open now, for good.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.gate)
	p.gate = make(chan struct{})
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		gate := p.gate
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(c, s, gate)
		go p.pump(s, c, gate)
	}
}

// pump copies src to dst until either fails or the gate closes; once it has, it holds
// what it reads and waits for the proxy to end.
func (p *proxy) pump(src, dst net.Conn, gate chan struct{}) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-gate:
			<-p.done
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				src.Close()
			}
			dst.Close()
			return
		}
	}
}
