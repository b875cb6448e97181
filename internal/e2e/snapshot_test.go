package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
)

var (
	plainOnce sync.Once
	plainBin  string
	plainErr  error
)

// plainRedoflow builds redoflow without the race detector, for the tests
// that move millions of rows (the race build is several times slower).
func plainRedoflow(t *testing.T) string { return plainBinary(t) }

func plainBinary(t testing.TB) string {
	plainOnce.Do(func() {
		plainBin = filepath.Join(filepath.Dir(redoflowBin), "redoflow-plain")
		out, err := exec.Command("go", "build", "-o", plainBin, "github.com/redoflow/redoflow/cmd/redoflow").CombinedOutput()
		if err != nil {
			plainErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if plainErr != nil {
		t.Fatal(plainErr)
	}
	return plainBin
}

// lastPhase is the phase of the newest checkpoint in dir, "" if none.
func lastPhase(t *testing.T, dir string) string {
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID = dir, "e2e"
	st, err := checkpoint.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := st.Latest()
	if err != nil {
		return ""
	}
	var p struct{ Phase string }
	json.Unmarshal(m.Source, &p)
	return p.Phase
}

// TestSnapshotCrashRecovery: a 2M-row table is snapshotted while the
// workload keeps changing it, the job is SIGKILLed during the snapshot
// and after, and verify finds the final state exactly: no row missing,
// duplicated or stale.
func TestSnapshotCrashRecovery(t *testing.T) {
	bin := plainRedoflow(t)
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	addr := startSimWith(t, bin, "--initial-rows", "2000000", "--changes", "30000", "--rate", "1000", "--truth", truth)
	env := append(jobEnv(addr, dir), "SCAN_STARTUP_MODE=initial", "PARALLELISM_DEFAULT=2", "CHECKPOINT_INTERVAL=1000")
	killed, inSnapshot := 0, 0
	delays := []time.Duration{4 * time.Second, 3 * time.Second, 5 * time.Second, 2 * time.Second, 6 * time.Second, 4 * time.Second, 8 * time.Second}
	for i := 0; ; i++ {
		if i > 40 {
			t.Fatal("the job did not drain after 40 runs")
		}
		runCtx, cancelRun := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(runCtx, bin, "run", "--until-truth", truth)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, &testWriter{t: t, prefix: fmt.Sprintf("run %d: ", i)}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		if i < len(delays) {
			timer = time.AfterFunc(delays[i], func() { cmd.Process.Signal(syscall.SIGKILL) })
		}
		err := cmd.Wait()
		hung := runCtx.Err() != nil
		cancelRun()
		if timer != nil {
			timer.Stop()
		}
		if hung {
			t.Fatalf("run %d neither drained nor failed within 5 minutes", i)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
			phase := lastPhase(t, filepath.Join(dir, "chk"))
			if phase == "snapshot" || phase == "" {
				inSnapshot++
			}
			t.Logf("run %d killed, newest checkpoint in phase %q", i, phase)
			continue
		}
		if err != nil {
			t.Fatalf("run %d failed: %v", i, err)
		}
		t.Logf("run %d drained and exited", i)
		break
	}
	if killed < 5 || inSnapshot < 3 {
		t.Fatalf("%d runs killed, %d of them during the snapshot; the test needs at least 5 and 3", killed, inSnapshot)
	}
	out, err := exec.Command(bin, "verify", "--output", filepath.Join(dir, "out"), "--truth", truth).CombinedOutput()
	t.Logf("%d runs killed (%d during the snapshot); verify:\n%s", killed, inSnapshot, out)
	if err != nil || !strings.Contains(string(out), "total: 0 missing, 0 duplicated, 0 mismatched") {
		t.Fatalf("verify: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(truth, "FINANCE_USER.TRANS_INFO.csv")); len(b) < 100<<20 {
		t.Fatalf("the truth holds %d bytes of TRANS_INFO: the table was not big", len(b))
	}
}
