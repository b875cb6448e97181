// Command benchreport runs redoflow's benchmark suite on this machine and
// rewrites docs/benchmarks.md from its output: `make bench` runs it. Every
// figure in the document is computed from what the commands it runs print
// (also echoed to stdout); the explanations live in benchmarks.md.tmpl.
//
//	go run ./internal/benchreport                 # the full suite, about 15 minutes on 2 cores
//	go run ./internal/benchreport -quick -out /tmp/b.md   # a reduced run, marked as such
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/template"
	"time"
)

//go:embed benchmarks.md.tmpl
var docTemplate string

type options struct {
	Out                         string
	Runs                        int // interleaved runs of the micro-benchmarks
	SnapshotRows, SnapshotCount int
	E2EChanges, E2ECount        int
	E2ELongChanges              int
	LatencySeconds, LatencyRate int
	FailoverRuns                int
	FootprintRuns, Settle       int
	RSSRows                     int
	DiskMiB                     int
	Quick                       bool
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "docs/benchmarks.md", "the document to write")
	flag.IntVar(&o.Runs, "runs", 6, "interleaved runs of the parsing and sink micro-benchmarks")
	flag.IntVar(&o.SnapshotRows, "snapshot-rows", 2_000_000, "rows of the snapshot benchmark's table")
	flag.IntVar(&o.SnapshotCount, "snapshot-count", 1, "runs of the snapshot benchmark (each reads the table with 1, 2 and 4 slots; about 100 s per read of 2M rows here)")
	flag.IntVar(&o.E2EChanges, "e2e-changes", 200_000, "committed changes per end-to-end run")
	flag.IntVar(&o.E2ECount, "e2e-count", 3, "runs of each end-to-end benchmark")
	flag.IntVar(&o.E2ELongChanges, "e2e-long-changes", 1_000_000, "committed changes per run of the longer end-to-end runs (0: none)")
	flag.IntVar(&o.LatencySeconds, "latency-seconds", 20, "length of each latency run")
	flag.IntVar(&o.LatencyRate, "latency-rate", 10_000, "committed changes/s of the latency runs")
	flag.IntVar(&o.FailoverRuns, "failover-runs", 10, "leader stops of each kind")
	flag.IntVar(&o.FootprintRuns, "footprint-runs", 3, "runs of scripts/measure-footprint.sh")
	flag.IntVar(&o.Settle, "settle", 30, "seconds the footprint topology runs before RSS is read")
	flag.IntVar(&o.RSSRows, "rss-rows", 1_000_000, "rows of the large transaction whose peak RSS is measured")
	flag.IntVar(&o.DiskMiB, "disk-mib", 512, "MiB written per run of the disk's sequential write test")
	flag.BoolVar(&o.Quick, "quick", false, "a reduced run (few and small runs), marked as such in the document")
	flag.Parse()
	if o.Quick {
		o.Runs, o.SnapshotRows, o.SnapshotCount, o.E2EChanges, o.E2ECount, o.E2ELongChanges = 2, 200_000, 1, 50_000, 1, 200_000
		o.LatencySeconds, o.FailoverRuns, o.FootprintRuns, o.Settle, o.RSSRows, o.DiskMiB = 8, 2, 1, 5, 200_000, 128
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	began := time.Now()
	tmp, err := os.MkdirTemp("", "benchreport")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := &Report{Opts: o, Machine: machine()}
	steps := []struct {
		name string
		fn   func(*Report, string) error
	}{
		{"parsing and sink micro-benchmarks", micro},
		{"disk sequential write", disk},
		{"reader", reader},
		{"1M-row transaction RSS", txRSS},
		{"snapshot", snapshotBench},
		{"end to end and latency", endToEnd},
		{"failover", failover},
		{"footprint", footprint},
	}
	for _, s := range steps {
		fmt.Printf("\n######## %s (%s elapsed)\n", s.name, time.Since(began).Round(time.Second))
		if err := s.fn(r, tmp); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.Elapsed = time.Since(began).Round(time.Second).String()
	r.computeGoals()
	t, err := template.New("doc").Funcs(funcs).Parse(docTemplate)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, r); err != nil {
		return err
	}
	if err := os.WriteFile(o.Out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nbenchreport: wrote %s after %s\n", o.Out, r.Elapsed)
	return nil
}

// sh runs a command from the repository root with extra environment,
// echoing its output, and returns stdout and stderr together.
func sh(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	w := io.MultiWriter(os.Stdout, &buf)
	cmd.Stdout, cmd.Stderr = w, w
	fmt.Printf("$ %s\n", cmdline(env, name, args...))
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return buf.String(), err
}

// shFor is sh, recording the command line in the report under key: the
// document names, next to each figure, the command that printed it.
func shFor(r *Report, key string, env []string, name string, args ...string) (string, error) {
	if r.Cmd == nil {
		r.Cmd = map[string]string{}
	}
	r.Cmd[key] = cmdline(env, name, args...)
	return sh(env, name, args...)
}

// cmdline is a command as a shell takes it: the extra environment, the
// command, its arguments, single-quoted where the shell would read them
// otherwise.
func cmdline(env []string, name string, args ...string) string {
	words := append(append(append([]string{}, env...), name), args...)
	for i, w := range words {
		if i < len(env) {
			continue
		}
		if w == "" || strings.ContainsFunc(w, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_./=:,+-", c))
		}) {
			words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU, Kernel, Go, Date, MemGiB, LoadAtStart string
	Cores                                      int
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		for line := range strings.Lines(string(b)) {
			if _, err := fmt.Sscanf(line, "MemTotal: %f kB", &kb); err == nil {
				m.MemGiB = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAtStart = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("go", "env", "GOVERSION", "GOOS", "GOARCH").Output(); err == nil {
		f := strings.Fields(string(out))
		if len(f) == 3 {
			m.Go = f[0] + " " + f[1] + "/" + f[2]
		}
	}
	return m
}

func pkgDir(pkg string) string {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return "."
	}
	return strings.TrimSpace(string(out))
}

// micro runs the parsing and the sink benchmarks from compiled test
// binaries, each run executing every benchmark of its group once, so that
// ratios are taken between figures measured under the same load.
func micro(r *Report, tmp string) error {
	lm, snk := filepath.Join(tmp, "redo.test"), filepath.Join(tmp, "sink.test")
	if _, err := sh(nil, "go", "test", "-c", "-o", lm, "./logminer/redo"); err != nil {
		return err
	}
	if _, err := sh(nil, "go", "test", "-c", "-o", snk, "./sink/csv"); err != nil {
		return err
	}
	var parse, sink []Result
	for i := range r.Opts.Runs {
		fmt.Printf("-- interleaved run %d/%d\n", i+1, r.Opts.Runs)
		out, err := shIn(pkgDir("./logminer/redo"), lm, "-test.run", "^$", "-test.benchmem", "-test.benchtime", "1s",
			"-test.bench", ParseBenchRegexp)
		if err != nil {
			return err
		}
		parse = append(parse, ParseBench(out)...)
		out, err = shIn(pkgDir("./sink/csv"), snk, "-test.run", "^$", "-test.benchmem", "-test.benchtime", "1s",
			"-test.bench", SinkBenchRegexp)
		if err != nil {
			return err
		}
		sink = append(sink, ParseBench(out)...)
	}
	r.Parse = parseSection(Runs(parse))
	r.Sink = sinkSection(Runs(sink))
	return nil
}

func shIn(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var buf bytes.Buffer
	w := io.MultiWriter(os.Stdout, &buf)
	cmd.Stdout, cmd.Stderr = w, w
	fmt.Printf("$ (cd %s && %s %s)\n", dir, filepath.Base(name), strings.Join(args, " "))
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	return buf.String(), err
}

// disk measures the disk's sequential write speed where the sink benchmark
// writes (the temporary directory): diskMiB MiB in 1 MiB writes, then one
// fsync, three times; the median.
func disk(r *Report, _ string) error {
	var xs []float64
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i * 7)
	}
	for i := range 3 {
		f, err := os.CreateTemp("", "benchreport-disk")
		if err != nil {
			return err
		}
		start := time.Now()
		for range r.Opts.DiskMiB {
			if _, err := f.Write(block); err != nil {
				f.Close()
				os.Remove(f.Name())
				return err
			}
		}
		err = f.Sync()
		el := time.Since(start)
		f.Close()
		os.Remove(f.Name())
		if err != nil {
			return err
		}
		mbs := float64(r.Opts.DiskMiB<<20) / 1e6 / el.Seconds()
		fmt.Printf("disk run %d: %d MiB + fsync in %v: %.0f MB/s\n", i+1, r.Opts.DiskMiB, el.Round(time.Millisecond), mbs)
		xs = append(xs, mbs)
	}
	r.Sink.DiskMBs = Median(xs)
	r.Sink.DiskRuns = xs
	return nil
}

func reader(r *Report, _ string) error {
	out, err := shFor(r, "reader", nil, "go", "test", "-run", "^$", "-bench", "^BenchmarkReader$", "-benchtime", "5x", "-count", "3", "./logminer/")
	if err != nil {
		return err
	}
	r.ReaderChangesPerSec = MedianMetric(Runs(ParseBench(out)), "BenchmarkReader", "changes/s")
	return nil
}

func txRSS(r *Report, _ string) error {
	out, err := shFor(r, "txrss", []string{fmt.Sprintf("REDOFLOW_RSS_ROWS=%d", r.Opts.RSSRows)},
		"go", "test", "-count=1", "-run", "TestLargeTransactionRSS", "-v", "-timeout", "20m", "./logminer/")
	if err != nil {
		return err
	}
	r.TxRSS, err = ParseTxRSS(out)
	return err
}

func snapshotBench(r *Report, _ string) error {
	out, err := shFor(r, "snapshot", []string{fmt.Sprintf("SNAPSHOT_BENCH_ROWS=%d", r.Opts.SnapshotRows)},
		"go", "test", "-run", "^$", "-bench", "BenchmarkSnapshot", "-benchtime", "1x",
		"-count", fmt.Sprint(r.Opts.SnapshotCount), "-timeout", "30m", "./snapshot/")
	if err != nil {
		return err
	}
	runs := Runs(ParseBench(out))
	for _, s := range []int{1, 2, 4} {
		v := MedianMetric(runs, fmt.Sprintf("BenchmarkSnapshot/slots=%d", s), "rows/s")
		r.Snapshot = append(r.Snapshot, SnapshotRow{Slots: s, RowsPerSec: v})
	}
	if base := r.Snapshot[0].RowsPerSec; base > 0 {
		for i := range r.Snapshot {
			r.Snapshot[i].Speedup = r.Snapshot[i].RowsPerSec / base
		}
	}
	return nil
}

func endToEnd(r *Report, _ string) error {
	out, err := shFor(r, "e2e", []string{
		fmt.Sprintf("E2E_BENCH_CHANGES=%d", r.Opts.E2EChanges),
		fmt.Sprintf("E2E_LATENCY_SECONDS=%d", r.Opts.LatencySeconds),
		fmt.Sprintf("E2E_LATENCY_RATE=%d", r.Opts.LatencyRate),
	}, "go", "test", "-run", "^$", "-bench", "BenchmarkEndToEnd|BenchmarkLatency", "-benchtime", "1x",
		"-count", fmt.Sprint(r.Opts.E2ECount), "-timeout", "40m", "./internal/e2e/")
	if err != nil {
		return err
	}
	runs := Runs(ParseBench(out))
	if err := checkStreamed(r, out); err != nil {
		return err
	}
	addE2E(r, runs, r.Opts.E2EChanges, r.Cmd["e2e"])
	r.Latency = LatencyRow{
		P50: MedianMetric(runs, "BenchmarkLatency", "p50-ms"),
		P99: MedianMetric(runs, "BenchmarkLatency", "p99-ms"),
		Max: MedianMetric(runs, "BenchmarkLatency", "max-ms"),
	}
	if r.Opts.E2ELongChanges == 0 {
		return nil
	}
	// Longer runs, so that several 1 s checkpoints happen during each.
	out, err = shFor(r, "e2e-long", []string{fmt.Sprintf("E2E_BENCH_CHANGES=%d", r.Opts.E2ELongChanges)},
		"go", "test", "-run", "^$", "-bench", "BenchmarkEndToEnd", "-benchtime", "1x",
		"-count", fmt.Sprint(r.Opts.E2ECount), "-timeout", "40m", "./internal/e2e/")
	if err != nil {
		return err
	}
	if err := checkStreamed(r, out); err != nil {
		return err
	}
	addE2E(r, Runs(ParseBench(out)), r.Opts.E2ELongChanges, r.Cmd["e2e-long"])
	return nil
}

// checkStreamed adds the runs' "streamed:" lines to the report and fails
// unless every run (every result line of the end-to-end and latency
// benchmarks) streamed from LogMiner alone: specific-offset, no snapshot
// row, as many changes read from the redo as the workload committed. The
// benchmarks fail such a run themselves; this keeps a figure from a
// benchmark that stopped checking out of the document.
func checkStreamed(r *Report, out string) error {
	ss := ParseStreamed(out)
	results := 0
	for _, res := range ParseBench(out) {
		if strings.HasPrefix(res.Name, "BenchmarkEndToEnd") || strings.HasPrefix(res.Name, "BenchmarkLatency") {
			results++
		}
	}
	if len(ss) < results {
		return fmt.Errorf("%d end-to-end results but %d \"streamed:\" lines: every run must say what it read", results, len(ss))
	}
	for _, s := range ss {
		if s.Mode != "specific-offset" || s.SnapshotRows != 0 || s.RedoChanges != s.Workload {
			return fmt.Errorf("%s did not stream every change from the redo: %+v", s.Bench, s)
		}
	}
	r.Streamed = append(r.Streamed, ss...)
	return nil
}

func addE2E(r *Report, runs []map[string]Result, changes int, command string) {
	for _, c := range []string{"10s", "1s"} {
		name := "BenchmarkEndToEnd/checkpoint=" + c
		e := E2ERow{Checkpoint: c, Changes: changes, Command: command,
			ChangesPerSec:    MedianMetric(runs, name, "changes/s"),
			JobCPUPerMillion: MedianMetric(runs, name, "job-cpu-s/Mchanges"),
			SimCPUPerMillion: MedianMetric(runs, name, "sim-cpu-s/Mchanges"),
			RedoPerRun:       MedianMetric(runs, name, "redo-changes/run")}
		e.JobCores = e.JobCPUPerMillion * e.ChangesPerSec / 1e6
		e.SimCores = e.SimCPUPerMillion * e.ChangesPerSec / 1e6
		r.E2E = append(r.E2E, e)
	}
}

func failover(r *Report, _ string) error {
	out, err := shFor(r, "failover", nil, "go", "test", "-run", "^$", "-bench", "Failover", "-benchtime",
		fmt.Sprintf("%dx", r.Opts.FailoverRuns), "-timeout", "30m", "./cmd/coordinator/")
	if err != nil {
		return err
	}
	term, kill, err := ParseFailover(out)
	if err != nil {
		return err
	}
	if len(term) == 0 {
		return fmt.Errorf("no failover runs in the output")
	}
	r.Failover = FailoverSection{Term: durRow(term), Kill: durRow(kill)}
	return nil
}

func durRow(d []time.Duration) DurRow {
	lo, med, hi := MinMedMax(d)
	var all []string
	for _, x := range d {
		all = append(all, fmt.Sprintf("%.2f", x.Seconds()))
	}
	return DurRow{Min: lo, Median: med, Max: hi, All: strings.Join(all, ", "), N: len(d)}
}

func footprint(r *Report, _ string) error {
	var fps []Footprint
	for i := range r.Opts.FootprintRuns {
		fmt.Printf("-- footprint run %d/%d\n", i+1, r.Opts.FootprintRuns)
		out, err := shFor(r, "footprint", []string{fmt.Sprintf("SETTLE=%d", r.Opts.Settle)}, "scripts/measure-footprint.sh")
		if err != nil {
			return err
		}
		fp, err := ParseFootprint(out)
		if err != nil {
			return err
		}
		fps = append(fps, fp)
	}
	r.Footprint = footprintSection(fps)
	return nil
}
