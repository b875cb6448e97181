package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkEndToEnd measures committed changes/s from redoflow sim (its own
// process, over TCP through go-ora) to committed CSV files: the workload
// commits E2E_BENCH_CHANGES changes (default 200000) as fast as it can, then
// redoflow run streams every one of them from the redo
// (SCAN_STARTUP_MODE=specific-offset at the SCN the workload started from,
// the sim's _start_scn), writes and checkpoints them, and exits once drained.
// Each run checks (b.Fatalf, not a timing) that the job read no snapshot row
// and exactly the workload's committed changes from LogMiner, as its final
// "job ended" log line counts them, and verify checks the output.
//
// Reported, with checkpoints every 10 s and every 1 s: changes/s of the job
// (start to exit); CPU seconds per million changes of the job process
// (job-cpu-s/Mchanges) and of the simulator process while the job ran
// (sim-cpu-s/Mchanges: the workload is done before the job starts, so this
// is the cost of serving the job's queries); and the changes read from the
// redo per run (redo-changes/run).
func BenchmarkEndToEnd(b *testing.B) {
	changes := 200000
	if v, err := strconv.Atoi(os.Getenv("E2E_BENCH_CHANGES")); err == nil && v > 0 {
		changes = v
	}
	for _, interval := range []time.Duration{10 * time.Second, time.Second} {
		b.Run(fmt.Sprintf("checkpoint=%s", interval), func(b *testing.B) {
			var elapsed, jobCPU, simCPU time.Duration
			var redo int64
			for i := 0; i < b.N; i++ {
				r := endToEndOnce(b, changes, interval)
				elapsed += r.elapsed
				jobCPU += r.jobCPU
				simCPU += r.simCPU
				redo += r.redoChanges
			}
			b.ReportMetric(float64(redo)/elapsed.Seconds(), "changes/s")
			b.ReportMetric(jobCPU.Seconds()/float64(redo)*1e6, "job-cpu-s/Mchanges")
			b.ReportMetric(simCPU.Seconds()/float64(redo)*1e6, "sim-cpu-s/Mchanges")
			b.ReportMetric(float64(redo)/float64(b.N), "redo-changes/run")
		})
	}
}

// e2eRun is what one end-to-end run measured.
type e2eRun struct {
	elapsed, jobCPU, simCPU time.Duration
	redoChanges             int64
}

func endToEndOnce(b *testing.B, changes int, interval time.Duration) e2eRun {
	bin := plainBinary(b)
	dir := b.TempDir()
	truth := filepath.Join(dir, "truth")
	sim := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--changes", strconv.Itoa(changes), "--rate", "0", "--truth", truth)
	simLog := createFile(b, filepath.Join(dir, "sim.log"))
	sim.Stderr = simLog
	addr, stop := startProcess(b, sim)
	defer stop()
	// Let the workload finish: the job then reads a backlog at full speed.
	for {
		if _, err := os.Stat(filepath.Join(truth, "_final_scn")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	committed := workloadCommitted(b, simLog.Name())
	run := exec.Command(bin, "run", "--until-truth", truth)
	run.Env = append(streamEnv(b, addr, dir, truth), fmt.Sprintf("CHECKPOINT_INTERVAL=%d", interval.Milliseconds()), "REDOFLOW_ROLL_AGE=60s")
	var jobLog bytes.Buffer
	run.Stdout, run.Stderr = io.Discard, &jobLog
	simBefore := procCPU(b, sim.Process.Pid)
	start := time.Now()
	if err := run.Run(); err != nil {
		b.Fatalf("redoflow run: %v\n%s", err, tail(jobLog.String(), 20))
	}
	r := e2eRun{elapsed: time.Since(start)}
	r.simCPU = procCPU(b, sim.Process.Pid) - simBefore
	r.jobCPU = run.ProcessState.UserTime() + run.ProcessState.SystemTime()
	r.redoChanges = checkStreamed(b, jobLog.String(), committed)
	verifyStreamed(b, bin, filepath.Join(dir, "out"), truth)
	return r
}

// verifyStreamed runs the per-change verify of a job that streamed from the
// sim's _start_scn: every transaction the workload committed after it, once.
func verifyStreamed(b testing.TB, bin, out, truth string) {
	b.Helper()
	out2, err := exec.Command(bin, "verify", "--mode", "per-change", "--from-scn", startSCN(b, truth),
		"--output", out, "--truth", truth).CombinedOutput()
	if err != nil {
		b.Fatalf("verify after the benchmark: %v\n%s", err, out2)
	}
}

// startSCN reads the SCN the sim's workload started from (_start_scn).
func startSCN(b testing.TB, truth string) string {
	b.Helper()
	scn, err := os.ReadFile(filepath.Join(truth, "_start_scn"))
	if err != nil {
		b.Fatalf("the sim's start SCN: %v", err)
	}
	return strings.TrimSpace(string(scn))
}

// streamEnv is jobEnv with the job streaming from the SCN the sim's
// workload started from (the truth directory's _start_scn), so that it
// reads every change of the workload from the redo and snapshots nothing.
func streamEnv(b testing.TB, addr, dir, truth string) []string {
	b.Helper()
	return append(jobEnv(addr, dir), "SCAN_STARTUP_MODE=specific-offset",
		"SCAN_STARTUP_SPECIFIC_OFFSET_SCN="+startSCN(b, truth))
}

// checkStreamed fails the benchmark unless the job's final "job ended" log
// line says it started in specific-offset mode, read no snapshot row, and
// read exactly the workload's committed changes from LogMiner. It returns
// the changes read from the redo.
func checkStreamed(b testing.TB, jobLog string, committed int64) int64 {
	b.Helper()
	f := logFields(jobLog, "job ended")
	if f == nil {
		b.Fatalf("no \"job ended\" line in the job's log:\n%s", tail(jobLog, 20))
	}
	redo, err1 := strconv.ParseInt(f["redo_changes"], 10, 64)
	snap, err2 := strconv.ParseInt(f["snapshot_rows"], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("\"job ended\" line without counts: %v", f)
	}
	if f["mode"] != "specific-offset" || snap != 0 {
		b.Fatalf("the job ran in mode %q and snapshotted %d rows; the benchmark must stream every change from the redo (specific-offset, no snapshot)", f["mode"], snap)
	}
	if redo != committed {
		b.Fatalf("the job read %d changes from LogMiner, the workload committed %d", redo, committed)
	}
	// internal/benchreport reads this line for the document.
	b.Logf("streamed: mode %s, %d snapshot rows, %d changes read from the redo, %d committed by the workload", f["mode"], snap, redo, committed)
	return redo
}

// workloadCommitted reads the changes the sim's workload committed from
// its "workload done" log line.
func workloadCommitted(b testing.TB, simLog string) int64 {
	b.Helper()
	out, err := os.ReadFile(simLog)
	if err != nil {
		b.Fatal(err)
	}
	f := logFields(string(out), "workload done")
	n, err := strconv.ParseInt(f["changes"], 10, 64)
	if err != nil {
		b.Fatalf("no \"workload done\" line with changes in the sim's log: %v\n%s", err, tail(string(out), 20))
	}
	return n
}

var logField = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// logFields returns the fields of the last line of a log in slog's text
// format whose msg is msg, unquoted; nil if there is none.
func logFields(log, msg string) map[string]string {
	var fields map[string]string
	for line := range strings.Lines(log) {
		f := map[string]string{}
		for _, m := range logField.FindAllStringSubmatch(line, -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
				v = u
			}
			f[m[1]] = v
		}
		if f["msg"] == msg {
			fields = f
		}
	}
	return fields
}

// procCPU is the user + system CPU time a running process has used so far,
// from /proc/PID/stat (utime and stime, in clock ticks of USER_HZ, which
// is 100 on Linux).
func procCPU(b testing.TB, pid int) time.Duration {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	rest := string(st[bytes.LastIndexByte(st, ')')+2:])
	f := strings.Fields(rest)
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, st)
	}
	return time.Duration(utime+stime) * time.Second / 100
}

func createFile(b testing.TB, path string) *os.File {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
