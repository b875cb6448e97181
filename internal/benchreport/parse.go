package main

import (
	"bufio"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is one line of `go test -bench` output: the benchmark's name
// without the -GOMAXPROCS suffix, its iteration count and every metric by
// unit (ns/op, MB/s, allocs/op, changes/s, ...).
type Result struct {
	Name    string
	N       int64
	Metrics map[string]float64
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench reads the benchmark lines of go test output, in order, and
// ignores every other line.
func ParseBench(out string) []Result {
	var rs []Result
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		r := Result{Name: procsSuffix.ReplaceAllString(f[0], ""), N: n, Metrics: map[string]float64{}}
		ok := true
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			r.Metrics[f[i+1]] = v
		}
		if ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// Median of xs (the mean of the middle two for an even count); NaN-free:
// 0 for no values.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Runs groups results into runs: a run starts again whenever a name that
// was already seen in the current run comes back, which is how interleaved
// executions of the same test binary (or -count) follow each other.
func Runs(rs []Result) []map[string]Result {
	var runs []map[string]Result
	var cur map[string]Result
	for _, r := range rs {
		if cur == nil {
			cur = map[string]Result{}
		} else if _, dup := cur[r.Name]; dup {
			runs = append(runs, cur)
			cur = map[string]Result{}
		}
		cur[r.Name] = r
	}
	if cur != nil {
		runs = append(runs, cur)
	}
	return runs
}

// MedianMetric is the median of one benchmark's metric over the runs that
// have it.
func MedianMetric(runs []map[string]Result, name, unit string) float64 {
	var xs []float64
	for _, run := range runs {
		if r, ok := run[name]; ok {
			if v, ok := r.Metrics[unit]; ok {
				xs = append(xs, v)
			}
		}
	}
	return Median(xs)
}

// MedianRatio is the median over runs of num's metric divided by den's
// metric within the same run: runs that lack either are left out.
func MedianRatio(runs []map[string]Result, num, den, unit string) float64 {
	var xs []float64
	for _, run := range runs {
		a, ok1 := run[num]
		b, ok2 := run[den]
		if !ok1 || !ok2 || b.Metrics[unit] == 0 {
			continue
		}
		xs = append(xs, a.Metrics[unit]/b.Metrics[unit])
	}
	return Median(xs)
}

var failoverLine = regexp.MustCompile(`failover run \d+/(\d+): SIGTERM (\S+), SIGKILL (\S+)`)

// ParseFailover reads the per-run lines BenchmarkFailover prints, keeping
// only the round of the largest b.N: go test first runs every benchmark
// with b.N = 1, whose lines ("failover run 1/1") also appear.
func ParseFailover(out string) (term, kill []time.Duration, err error) {
	ms := failoverLine.FindAllStringSubmatch(out, -1)
	total := ""
	for _, m := range ms {
		if len(m[1]) > len(total) || (len(m[1]) == len(total) && m[1] > total) {
			total = m[1]
		}
	}
	for _, m := range ms {
		if m[1] != total {
			continue
		}
		t, err1 := time.ParseDuration(m[2])
		k, err2 := time.ParseDuration(m[3])
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("failover line %q: %v %v", m[0], err1, err2)
		}
		term, kill = append(term, t), append(kill, k)
	}
	return term, kill, nil
}

// Footprint is what one run of scripts/measure-footprint.sh printed.
type Footprint struct {
	Binaries map[string][2]int64 // name -> size, gzip -9 size in bytes
	ReadyMS  float64
	RSSMiB   map[string]float64 // "coordinator (leader)", "worker 1", ...
}

var (
	binLine   = regexp.MustCompile(`^(\S+)\s+(\d+) bytes\s+(\d+) bytes gzip -9$`)
	readyLine = regexp.MustCompile(`^(\d+) ms$`)
	rssLine   = regexp.MustCompile(`^(.+?)\s+([\d.]+) MiB RSS$`)
)

// ParseFootprint reads the output of scripts/measure-footprint.sh.
func ParseFootprint(out string) (Footprint, error) {
	fp := Footprint{Binaries: map[string][2]int64{}, RSSMiB: map[string]float64{}, ReadyMS: -1}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if m := binLine.FindStringSubmatch(line); m != nil {
			a, _ := strconv.ParseInt(m[2], 10, 64)
			b, _ := strconv.ParseInt(m[3], 10, 64)
			fp.Binaries[m[1]] = [2]int64{a, b}
		} else if m := readyLine.FindStringSubmatch(line); m != nil {
			fp.ReadyMS, _ = strconv.ParseFloat(m[1], 64)
		} else if m := rssLine.FindStringSubmatch(line); m != nil {
			fp.RSSMiB[strings.TrimSpace(m[1])], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	if fp.ReadyMS < 0 || len(fp.Binaries) == 0 || len(fp.RSSMiB) == 0 {
		return fp, fmt.Errorf("footprint output incomplete: %d binaries, ready %v ms, %d RSS lines", len(fp.Binaries), fp.ReadyMS, len(fp.RSSMiB))
	}
	return fp, nil
}

var rssTxLine = regexp.MustCompile(`(\d+)-row transaction over go-ora: ([\d.]+)s \((\d+) changes/s\); RSS before (\d+) MiB, peak RSS while reading (\d+) MiB`)

// TxRSS is what TestLargeTransactionRSS logged.
type TxRSS struct {
	Rows, ChangesPerSec, BeforeMiB, PeakMiB float64
}

// ParseTxRSS reads TestLargeTransactionRSS's log line.
func ParseTxRSS(out string) (TxRSS, error) {
	m := rssTxLine.FindStringSubmatch(out)
	if m == nil {
		return TxRSS{}, fmt.Errorf("no peak RSS line in the output")
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	return TxRSS{Rows: f(m[1]), ChangesPerSec: f(m[3]), BeforeMiB: f(m[4]), PeakMiB: f(m[5])}, nil
}

// MinMedMax of durations, in seconds.
func MinMedMax(d []time.Duration) (lo, med, hi float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	xs := make([]float64, len(d))
	for i, x := range d {
		xs[i] = x.Seconds()
	}
	return slices.Min(xs), Median(xs), slices.Max(xs)
}

var (
	benchHeader  = regexp.MustCompile(`^--- (?:BENCH|FAIL): (\S+)`)
	streamedLine = regexp.MustCompile(`streamed: mode (\S+), (\d+) snapshot rows, (\d+) changes read from the redo, (\d+) committed by the workload`)
)

// Streamed is one end-to-end or latency run's check of what the job read,
// as the benchmark logs it after checking it.
type Streamed struct {
	Bench                               string // without the -GOMAXPROCS suffix
	Mode                                string // SCAN_STARTUP_MODE of the job
	SnapshotRows, RedoChanges, Workload int64
}

// ParseStreamed reads the "streamed:" lines the end-to-end benchmarks log,
// each under the "--- BENCH: name" line of its benchmark.
func ParseStreamed(out string) []Streamed {
	var ss []Streamed
	bench := ""
	for line := range strings.Lines(out) {
		if m := benchHeader.FindStringSubmatch(line); m != nil {
			bench = procsSuffix.ReplaceAllString(m[1], "")
			continue
		}
		if m := streamedLine.FindStringSubmatch(line); m != nil {
			n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
			ss = append(ss, Streamed{Bench: bench, Mode: m[1], SnapshotRows: n(m[2]), RedoChanges: n(m[3]), Workload: n(m[4])})
		}
	}
	return ss
}
