// Package e2e runs redoflow's processes the way users do: the simulator in
// its own process serving go-ora over TCP, the job in another, killed and
// restarted, and verify at the end.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var redoflowBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redoflow-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	redoflowBin = filepath.Join(dir, "redoflow")
	build := exec.Command("go", "build", "-race", "-o", redoflowBin, "github.com/redoflow/redoflow/cmd/redoflow")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building redoflow:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startSim starts redoflow sim and returns its address. It is stopped by
// its pid at the end of the test.
func startSim(t *testing.T, args ...string) string {
	t.Helper()
	return startSimWith(t, redoflowBin, args...)
}

func startSimWith(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sim", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = &testWriter{t: t, prefix: "sim: "}
	addr, stop := startProcess(t, cmd)
	t.Cleanup(stop)
	return addr
}

// startProcess starts a redoflow sim command and returns the address it
// reports, and a function stopping it by its pid.
func startProcess(t testing.TB, cmd *exec.Cmd) (string, func()) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "redoflow sim: listening on "); ok {
				addr <- strings.TrimSuffix(strings.Fields(rest)[0], ",")
			}
		}
	}()
	select {
	case a := <-addr:
		return a, stop
	case <-time.After(5 * time.Minute):
		stop()
		t.Fatal("redoflow sim did not report its address")
	}
	return "", stop
}

// testWriter sends a process's log lines to the test log.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + l)
	}
	return len(p), nil
}

func jobEnv(addr, dir string) []string {
	host, port, _ := strings.Cut(addr, ":")
	return append(os.Environ(),
		"DATABASE_HOST="+host, "DATABASE_PORT="+port, "DATABASE_USERNAME=finance_user", "DATABASE_PASSWORD=x",
		"DATABASE_SID=ORCLPDB1", "DATABASE_SCHEMA=FINANCE_USER", "DATABASE_TABLES=TRANS_INFO,TRANS_LOG",
		"OUTPUT_PATH="+filepath.Join(dir, "out"), "CHECKPOINT_DIR="+filepath.Join(dir, "chk"),
		"SAVEPOINT_DIR="+filepath.Join(dir, "sp"), "CHECKPOINT_INTERVAL=300", "REDOFLOW_ROLL_AGE=700ms",
		"REDOFLOW_JOB_ID=e2e")
}

// TestCrashRecovery: the job process is SIGKILLed again and again (during
// checkpoints, between a checkpoint and its commit, after commits, and at
// random moments) while the simulator's workload runs in its own process;
// after the final drain verify finds every change exactly once.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	addr := startSim(t, "--changes", "40000", "--rate", "4000", "--truth", truth)
	env := jobEnv(addr, dir)
	rng := rand.New(rand.NewPCG(7, 11))
	var kills []kill
	for _, fp := range []string{"after-precommit=2", "", "after-checkpoint-saved=2", "", "after-commit=3", "before-precommit=4", "", "after-checkpoint-saved=1"} {
		k := kill{failpoint: fp}
		if fp == "" {
			k.after = time.Duration(300+rng.IntN(2500)) * time.Millisecond
		}
		kills = append(kills, k)
	}
	killed := crashLoop(t, redoflowBin, env, truth, filepath.Join(dir, "chk"), kills, 3*time.Minute, nil)
	if killed < 5 {
		t.Fatalf("only %d runs were killed", killed)
	}
	t.Logf("%d runs killed", killed)
	verifyOutput(t, redoflowBin, filepath.Join(dir, "out"), truth)
}

// verifyOutput runs redoflow verify on a job's output against the truth of
// redoflow sim and fails the test unless both checks ran, the per-change
// one first, and found no difference.
// It returns the report.
func verifyOutput(t *testing.T, bin, out, truth string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, bin, "verify", "--output", out, "--truth", truth).CombinedOutput()
	report := string(b)
	t.Logf("verify:\n%s", report)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !strings.HasPrefix(report, "mode: per-change and final-state\n") {
		t.Fatal("verify did not run the per-change and the final-state checks")
	}
	clean := false
	for _, l := range strings.Split(report, "\n") {
		if rest, ok := strings.CutPrefix(l, "per-change total: 0 missing, 0 extra, 0 duplicated, 0 wrong transactions"); ok {
			clean = rest == "" || rest == "; snapshot rows: 0 missing, 0 extra, 0 duplicated, 0 wrong"
		}
	}
	if !clean || !strings.Contains(report, "final-state total: 0 missing, 0 duplicated, 0 mismatched\n") {
		t.Fatal("verify reported differences")
	}
	return report
}

// kill is how one run of the job ends: SIGKILLed by itself at a failpoint
// ("name=N"), or by the test after a delay; with once set, the delay
// starts when once first reports true (polled every 100 ms).
type kill struct {
	failpoint string
	after     time.Duration
	once      func() bool
}

// crashLoop runs redoflow run --until-truth over and over: the first runs
// end as kills says, then runs go until one drains and exits 0. A run that
// goes stall without a new checkpoint in chkDir (a hang: a running job
// checkpoints every CHECKPOINT_INTERVAL, in the snapshot and while quiet),
// or lasts runCap in all, fails the test. The bound is on progress, not on
// the run's length, which depends on the machine's load. It returns the
// number of runs killed; onKill, when set, is called after each.
func crashLoop(t *testing.T, bin string, env []string, truth, chkDir string, kills []kill, stall time.Duration, onKill func(run int)) int {
	t.Helper()
	const runCap = 30 * time.Minute
	killed := 0
	for i := 0; ; i++ {
		if i > len(kills)+30 {
			t.Fatalf("the job did not drain after %d runs", i)
		}
		var k kill
		if i < len(kills) {
			k = kills[i]
		}
		runCtx, cancelRun := context.WithTimeout(context.Background(), runCap)
		cmd := exec.CommandContext(runCtx, bin, "run", "--until-truth", truth)
		cmd.Env = append(env, "REDOFLOW_FAILPOINTS="+k.failpoint)
		cmd.Stdout, cmd.Stderr = io.Discard, &testWriter{t: t, prefix: fmt.Sprintf("run %d: ", i)}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		exited := make(chan struct{})
		var watch sync.WaitGroup
		switch {
		case k.after > 0 && k.once != nil:
			// Shutdown order: the watcher returns once the run has exited,
			// and the loop waits for it before the next run.
			watch.Add(1)
			go func() {
				defer watch.Done()
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for !k.once() {
					select {
					case <-exited:
						return
					case <-tick.C:
					}
				}
				select {
				case <-exited:
				case <-time.After(k.after):
					cmd.Process.Signal(syscall.SIGKILL)
				}
			}()
		case k.after > 0:
			timer = time.AfterFunc(k.after, func() { cmd.Process.Signal(syscall.SIGKILL) })
		}
		var stalled atomic.Bool
		watch.Add(1)
		go func() {
			defer watch.Done()
			if stalled.Store(watchProgress(chkDir, stall, exited)); stalled.Load() {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}()
		err := cmd.Wait()
		close(exited)
		watch.Wait()
		capped := runCtx.Err() != nil
		cancelRun()
		if timer != nil {
			timer.Stop()
		}
		if stalled.Load() {
			t.Fatalf("run %d wrote no new checkpoint for %v: it hangs", i, stall)
		}
		if capped {
			t.Fatalf("run %d neither drained nor failed within %v", i, runCap)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
			t.Logf("run %d killed (failpoint %q, after %v)", i, k.failpoint, k.after)
			if onKill != nil {
				onKill(i)
			}
			continue
		}
		if err != nil {
			t.Fatalf("run %d failed: %v", i, err)
		}
		t.Logf("run %d drained and exited", i)
		return killed
	}
}

// watchProgress polls the newest checkpoint in chkDir until exited is
// closed; it returns true, at once, if none newer appeared for stall.
func watchProgress(chkDir string, stall time.Duration, exited <-chan struct{}) bool {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, since := newestCheckpoint(chkDir), time.Now()
	for {
		select {
		case <-exited:
			return false
		case <-tick.C:
		}
		if id := newestCheckpoint(chkDir); id != last {
			last, since = id, time.Now()
		} else if time.Since(since) > stall {
			return true
		}
	}
}

// TestDemoPublishesFiles: the demo, as a user runs it, publishes committed
// CSV files under ./output/cdc, then stops cleanly on SIGTERM.
func TestDemoPublishesFiles(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(redoflowBin, "demo", "--rate", "1000")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &testWriter{t: t, prefix: "demo: "}, &testWriter{t: t, prefix: "demo: "}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("demo did not exit cleanly on SIGTERM: %v", err)
		}
	}()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "output", "cdc", "*", "part-*.csv"))
		if len(files) > 0 {
			t.Logf("first committed files after %v: %v", time.Since(start).Round(100*time.Millisecond), files)
			return
		}
		if time.Since(start) > 2*time.Minute { // a hang guard, not a timing assertion
			t.Fatal("no committed CSV file")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
