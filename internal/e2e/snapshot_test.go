package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// newestCheckpoint is the ID of the newest checkpoint in dir, 0 if none
// (or if it cannot be read yet). Safe to call from any goroutine.
func newestCheckpoint(dir string) int64 {
	m, ok := latest(dir)
	if !ok {
		return 0
	}
	return m.ID
}

// latest is the newest checkpoint's metadata in dir, if one can be read.
func latest(dir string) (checkpoint.Metadata, bool) {
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID = dir, "e2e"
	st, err := checkpoint.NewStore(cfg)
	if err != nil {
		return checkpoint.Metadata{}, false
	}
	m, _, err := st.Latest()
	return m, err == nil
}

// lastPhase is the phase of the newest checkpoint in dir, "" if none (or
// if it cannot be read yet). Safe to call from any goroutine.
func lastPhase(dir string) string {
	m, ok := latest(dir)
	if !ok {
		return ""
	}
	var p struct{ Phase string }
	json.Unmarshal(m.Source, &p)
	return p.Phase
}

// TestSnapshotCrashRecovery: a 2M-row table is snapshotted while the
// workload keeps changing it, the job is SIGKILLed during the snapshot
// and after, and verify finds the snapshot equal to the tables at its SCN
// and every later transaction exactly once, and the final state exactly:
// no row or change missing, duplicated or stale.
func TestSnapshotCrashRecovery(t *testing.T) {
	bin := plainRedoflow(t)
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	addr := startSimWith(t, bin, "--initial-rows", "2000000", "--changes", "30000", "--rate", "1000", "--truth", truth)
	env := append(jobEnv(addr, dir), "SCAN_STARTUP_MODE=initial", "PARALLELISM_DEFAULT=2", "CHECKPOINT_INTERVAL=1000")
	// Each kill comes a few seconds after the snapshot's plan (s0 and the
	// chunks) is in a checkpoint: planning reads every key of the table and
	// its time depends on the machine, and a kill before it would only make
	// the next run plan again, at a later s0.
	chk := filepath.Join(dir, "chk")
	planned := func() bool { return lastPhase(chk) != "" }
	var kills []kill
	for _, d := range []int{4, 3, 5, 2, 6, 4, 8} {
		kills = append(kills, kill{after: time.Duration(d) * time.Second, once: planned})
	}
	inSnapshot := 0
	killed := crashLoop(t, bin, env, truth, chk, kills, 3*time.Minute, func(run int) {
		phase := lastPhase(chk)
		if phase == "snapshot" {
			inSnapshot++
		}
		t.Logf("run %d: newest checkpoint in phase %q", run, phase)
	})
	if killed < 5 || inSnapshot < 3 {
		t.Fatalf("%d runs killed, %d of them during the snapshot; the test needs at least 5 and 3", killed, inSnapshot)
	}
	t.Logf("%d runs killed (%d during the snapshot)", killed, inSnapshot)
	report := verifyOutput(t, bin, filepath.Join(dir, "out"), truth)
	// The workload went on after s0: the stream, not only the snapshot,
	// was checked change by change.
	if strings.Contains(report, "FINANCE_USER.TRANS_INFO: 0 transactions") {
		t.Fatal("no transaction committed after the snapshot's SCN: the workload ended before the snapshot began")
	}
	if b, _ := os.ReadFile(filepath.Join(truth, "FINANCE_USER.TRANS_INFO.csv")); len(b) < 100<<20 {
		t.Fatalf("the truth holds %d bytes of TRANS_INFO: the table was not big", len(b))
	}
}
