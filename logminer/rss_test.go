package logminer_test

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/oraclesim/tns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("REDOFLOW_TEST_SIM_CHILD") != "" {
		if err := serveSimChild(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// serveSimChild is the child process of TestLargeTransactionRSS: a
// simulator holding one transaction of REDOFLOW_TEST_SIM_ROWS inserts,
// served over TNS on a free loopback port until stdin closes. Keeping the
// simulator in its own process keeps its memory out of the reader's.
func serveSimChild() error {
	rows, err := strconv.Atoi(os.Getenv("REDOFLOW_TEST_SIM_ROWS"))
	if err != nil {
		return err
	}
	cfg := oraclesim.DefaultConfig()
	cfg.LogFileSize = 1 << 30
	sim, err := oraclesim.New(cfg)
	if err != nil {
		return err
	}
	if _, err := oraclesim.NewWorkload(sim, oraclesim.DefaultWorkloadConfig()); err != nil {
		return err
	}
	info := sim.Table(oraclesim.WorkloadSchema, oraclesim.TransInfoTable)
	start := sim.CurrentSCN()
	tx := sim.Begin("FINANCE_USER")
	when := time.Date(2024, 3, 1, 10, 0, 0, 123456000, time.UTC)
	for i := range rows {
		if _, err := tx.Insert(info, i, fmt.Sprintf("6222%012d", i), "1234.56", "CNY", when, "NEW", "a remark of a typical length, with a comma, and 'quotes'"); err != nil {
			return err
		}
	}
	if _, err := tx.Commit(); err != nil {
		return err
	}
	done := sim.CurrentSCN()
	tcfg := tns.DefaultConfig()
	tcfg.Addr = "127.0.0.1:0"
	srv, err := tns.New(tcfg, func(ctx context.Context, login tns.Login) (driver.Conn, error) {
		return oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: strings.ToUpper(login.User)}).Connect(ctx)
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	<-srv.Ready()
	fmt.Printf("READY %s %s %d %d\n", srv.Addr(), tcfg.Service, start, done)
	go func() {
		var b [1]byte
		os.Stdin.Read(b[:])
		cancel()
	}()
	<-errc
	return nil
}

// TestLargeTransactionRSS measures the reader's peak RSS while one large
// transaction (REDOFLOW_RSS_ROWS inserts, e.g. 1000000) passes through it
// over go-ora, with the default configuration (64 MiB spill threshold).
// The simulator runs in a child process; the figure is this process's
// VmHWM, reset just before reading. Skipped unless REDOFLOW_RSS_ROWS is
// set:
//
//	REDOFLOW_RSS_ROWS=1000000 go test -run TestLargeTransactionRSS -v -timeout 30m ./logminer/
func TestLargeTransactionRSS(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("REDOFLOW_RSS_ROWS"))
	if rows <= 0 {
		t.Skip("set REDOFLOW_RSS_ROWS (e.g. 1000000) to measure")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REDOFLOW_TEST_SIM_CHILD=1", "REDOFLOW_TEST_SIM_ROWS="+strconv.Itoa(rows))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var addr, service string
	var start, done uint64
	if _, err := fmt.Sscanf(line, "READY %s %s %d %d", &addr, &service, &start, &done); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	db, err := sql.Open("oracle", logminer.GoOraDSN(host, p, service, "finance_user", "any"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	cfg := logminer.DefaultReaderConfig()
	cfg.Schema, cfg.Tables = oraclesim.WorkloadSchema, []string{oraclesim.TransInfoTable}
	cfg.SpillDir = t.TempDir()
	cfg.PollMin = time.Millisecond
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := procStatus(t, "VmRSS")
	// Writing 5 to clear_refs resets VmHWM (peak RSS) to the current RSS.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v): VmHWM covers the whole process", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &counter{done: done, cancel: cancel}
	began := time.Now()
	if err := r.Run(ctx, logminer.PositionAt(start), c); err != context.Canceled {
		t.Fatal(err)
	}
	took := time.Since(began)
	if c.n != rows {
		t.Errorf("%d changes, want %d", c.n, rows)
	}
	peak := procStatus(t, "VmHWM")
	t.Logf("%d-row transaction over go-ora: %.1fs (%.0f changes/s); RSS before %d MiB, peak RSS while reading %d MiB",
		rows, took.Seconds(), float64(rows)/took.Seconds(), before>>10, peak>>10)
}

// procStatus returns a kB field of /proc/self/status.
func procStatus(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
