package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/sijms/go-ora/v2" // the "oracle" driver

	"github.com/redoflow/redoflow/logminer"
)

// BenchmarkLatency measures the time from a commit in redoflow sim (its own
// process, rate-limited to E2E_LATENCY_RATE changes/s, default 10000, for
// E2E_LATENCY_SECONDS, default 20) to the row being in a committed CSV file,
// with checkpoints every second and files finished after one second
// (REDOFLOW_ROLL_AGE=1s). The job streams every change from the redo
// (SCAN_STARTUP_MODE=specific-offset at the sim's _start_scn) and each run
// checks, as BenchmarkEndToEnd does, that it snapshotted nothing and read
// exactly the workload's committed changes from LogMiner.
//
// COMMIT_TIMESTAMP has one-second resolution, so the commit time is taken
// from a clock of SCNs instead: the benchmark asks the simulator for
// V$DATABASE.CURRENT_SCN every 5 ms over go-ora and records when each answer
// arrived; a row's commit time is the arrival of the first answer at or past
// its _commit_scn. The output directory is listed every 10 ms and each
// committed part file's visible time is when it was first listed. Latency
// is visible time minus commit time for every row, leaving out the first 3 s
// (the job starts after the workload did and reads that backlog first).
// Reported: p50, p99 and max in milliseconds over all rows of all runs.
func BenchmarkLatency(b *testing.B) {
	rate, secs := 10000, 20
	if v, err := strconv.Atoi(os.Getenv("E2E_LATENCY_RATE")); err == nil && v > 0 {
		rate = v
	}
	if v, err := strconv.Atoi(os.Getenv("E2E_LATENCY_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		lat = append(lat, latencyOnce(b, rate, secs)...)
	}
	if len(lat) == 0 {
		b.Fatal("no rows measured")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(float64(len(lat))/float64(b.N), "rows/run")
}

type scnSample struct {
	at  time.Time
	scn uint64
}

func latencyOnce(b *testing.B, rate, secs int) []time.Duration {
	bin := plainBinary(b)
	dir := b.TempDir()
	truth := filepath.Join(dir, "truth")
	sim := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--changes", strconv.Itoa(rate*secs),
		"--rate", strconv.Itoa(rate), "--truth", truth)
	simLog := createFile(b, filepath.Join(dir, "sim.log"))
	sim.Stderr = simLog
	addr, stop := startProcess(b, sim)
	defer stop()
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	db, err := sql.Open("oracle", logminer.GoOraDSN(host, p, "ORCLPDB1", "finance_user", "x"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var samples []scnSample
	seen := map[string]time.Time{}
	out := filepath.Join(dir, "out")
	// Both samplers stop when the job has exited (cancel below), before the
	// files are read.
	wg.Add(2)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			var scn uint64
			if err := db.QueryRowContext(ctx, "SELECT CURRENT_SCN FROM V$DATABASE").Scan(&scn); err == nil {
				samples = append(samples, scnSample{time.Now(), scn})
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			files, _ := filepath.Glob(filepath.Join(out, "*", "part-*.csv"))
			now := time.Now()
			for _, f := range files {
				if _, ok := seen[f]; !ok {
					seen[f] = now
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	run := exec.Command(bin, "run", "--until-truth", truth)
	run.Env = append(streamEnv(b, addr, dir, truth), "CHECKPOINT_INTERVAL=1000", "REDOFLOW_ROLL_AGE=1s")
	var jobLog bytes.Buffer
	run.Stdout, run.Stderr = io.Discard, &jobLog
	started := time.Now()
	err = run.Run()
	time.Sleep(50 * time.Millisecond) // one more listing of the last files
	cancel()
	wg.Wait()
	if err != nil {
		b.Fatalf("redoflow run: %v\n%s", err, tail(jobLog.String(), 20))
	}
	checkStreamed(b, jobLog.String(), workloadCommitted(b, simLog.Name()))
	verifyStreamed(b, bin, out, truth)

	warm := started.Add(3 * time.Second)
	var lat []time.Duration
	for f, visible := range seen {
		scns, err := commitSCNs(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, scn := range scns {
			i := sort.Search(len(samples), func(i int) bool { return samples[i].scn >= scn })
			if i == len(samples) || samples[i].at.Before(warm) {
				continue
			}
			lat = append(lat, visible.Sub(samples[i].at))
		}
	}
	return lat
}

// commitSCNs reads the _commit_scn column of a committed part file.
func commitSCNs(path string) ([]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var scns []uint64
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			return scns, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if first || len(rec) < 3 {
			continue
		}
		scn, err := strconv.ParseUint(rec[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: _commit_scn %q: %w", path, rec[2], err)
		}
		scns = append(scns, scn)
	}
}
