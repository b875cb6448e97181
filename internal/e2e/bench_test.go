package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkEndToEnd measures committed changes/s from redoflow sim (its own
// process, over TCP through go-ora) to committed CSV files: the workload
// commits E2E_BENCH_CHANGES changes (default 200000) as fast as it can, and
// redoflow run reads them from the redo, writes and checkpoints them, and
// exits once drained. Reported: changes/s of the job (start to exit) and
// CPU seconds of the job per million changes, with checkpoints every 10 s
// and every 1 s.
func BenchmarkEndToEnd(b *testing.B) {
	changes := 200000
	if v, err := strconv.Atoi(os.Getenv("E2E_BENCH_CHANGES")); err == nil && v > 0 {
		changes = v
	}
	for _, interval := range []time.Duration{10 * time.Second, time.Second} {
		b.Run(fmt.Sprintf("checkpoint=%s", interval), func(b *testing.B) {
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				e, c := endToEndOnce(b, changes, interval)
				elapsed += e
				cpu += c
			}
			b.ReportMetric(float64(changes*b.N)/elapsed.Seconds(), "changes/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N)/float64(changes)*1e6, "cpu-s/Mchanges")
		})
	}
}

func endToEndOnce(b *testing.B, changes int, interval time.Duration) (elapsed, cpu time.Duration) {
	bin := plainBinary(b)
	dir := b.TempDir()
	truth := filepath.Join(dir, "truth")
	sim := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--changes", strconv.Itoa(changes), "--rate", "0", "--truth", truth)
	addr, stop := startProcess(b, sim)
	defer stop()
	// Let the workload finish: the job then reads a backlog at full speed.
	for {
		if _, err := os.Stat(filepath.Join(truth, "_final_scn")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	run := exec.Command(bin, "run", "--until-truth", truth)
	run.Env = append(jobEnv(addr, dir), fmt.Sprintf("CHECKPOINT_INTERVAL=%d", interval.Milliseconds()), "REDOFLOW_ROLL_AGE=60s")
	run.Stdout, run.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := run.Run(); err != nil {
		b.Fatalf("redoflow run: %v", err)
	}
	elapsed = time.Since(start)
	cpu = run.ProcessState.UserTime() + run.ProcessState.SystemTime()
	out, err := exec.Command(bin, "verify", "--output", filepath.Join(dir, "out"), "--truth", truth).CombinedOutput()
	if err != nil {
		b.Fatalf("verify after the benchmark: %v\n%s", err, out)
	}
	return elapsed, cpu
}
