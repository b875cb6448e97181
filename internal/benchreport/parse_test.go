package main

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"
)

// Two interleaved runs of the parsing group, as the test binary prints them.
const cannedParse = `goos: linux
goarch: amd64
pkg: github.com/redoflow/redoflow/logminer/redo
cpu: AMD EPYC
BenchmarkParseRedoDecode-2          	  1000000	      1135 ns/op	 510.00 MB/s	    880000 rows/s	        13.00 cols/row	     152 B/op	       4 allocs/op
BenchmarkParseRedoDecodeLiteral-2   	  1000000	      1330 ns/op	 435.00 MB/s	    750000 rows/s	        13.00 cols/row	     152 B/op	       4 allocs/op
BenchmarkParserReuse-2              	  2706012	       442.0 ns/op	1300.00 MB/s	     640 B/op	       1 allocs/op
BenchmarkCSVSameBytes-2             	  4000000	       278.0 ns/op	2000.00 MB/s	   3600000 rows/s	     112 B/op	       1 allocs/op
BenchmarkCSVEquivalentLine-2        	  6000000	       186.0 ns/op	1000.00 MB/s	   5400000 rows/s	     112 B/op	       1 allocs/op
PASS
goos: linux
BenchmarkParseRedoDecode-2          	  1000000	      1200 ns/op	 480.00 MB/s	    830000 rows/s	        13.00 cols/row	     152 B/op	       4 allocs/op
BenchmarkParseRedoDecodeLiteral-2   	  1000000	      1400 ns/op	 400.00 MB/s	    700000 rows/s	        13.00 cols/row	     152 B/op	       4 allocs/op
BenchmarkParserReuse-2              	  2706012	       470.0 ns/op	 900.00 MB/s	     640 B/op	       1 allocs/op
BenchmarkCSVSameBytes-2             	  4000000	       300.0 ns/op	1000.00 MB/s	   3300000 rows/s	     112 B/op	       1 allocs/op
BenchmarkCSVEquivalentLine-2        	  6000000	       200.0 ns/op	 500.00 MB/s	   5000000 rows/s	     112 B/op	       1 allocs/op
--- BENCH: BenchmarkSomething-2
    x_test.go:1: not a result line 12 34
ok  	github.com/redoflow/redoflow/logminer/redo	12.1s
`

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestParseBenchAndRuns(t *testing.T) {
	rs := ParseBench(cannedParse)
	if len(rs) != 10 {
		t.Fatalf("%d results, want 10: %+v", len(rs), rs)
	}
	if rs[0].Name != "BenchmarkParseRedoDecode" || rs[0].N != 1000000 || rs[0].Metrics["rows/s"] != 880000 || rs[0].Metrics["allocs/op"] != 4 {
		t.Fatalf("first result %+v", rs[0])
	}
	runs := Runs(rs)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	// Medians of two runs are means: (1300+900)/2.
	if got := MedianMetric(runs, "BenchmarkParserReuse", "MB/s"); !near(got, 1100) {
		t.Errorf("median parser MB/s %v, want 1100", got)
	}
	// Ratios are per run, then the median: 1300/1000=1.3 and 900/500=1.8 give 1.55,
	// not the ratio of medians 1100/750.
	if got := MedianRatio(runs, "BenchmarkParserReuse", "BenchmarkCSVEquivalentLine", "MB/s"); !near(got, 1.55) {
		t.Errorf("parser/csv line ratio %v, want 1.55", got)
	}
	s := parseSection(runs)
	if !near(s.LiteralVsSame, (435.0/2000+400.0/1000)/2) || !near(s.ParserVsLine, 1.55) || s.Runs != 2 {
		t.Errorf("parse section %+v", s)
	}
}

func TestSubBenchmarksAndCount(t *testing.T) {
	out := `BenchmarkSnapshot/slots=1-2         	       1	5000000000 ns/op	    400000 rows/s
BenchmarkSnapshot/slots=2-2         	       1	3000000000 ns/op	    700000 rows/s
BenchmarkSnapshot/slots=4-2         	       1	3100000000 ns/op	    650000 rows/s
BenchmarkSnapshot/slots=1-2         	       1	5000000000 ns/op	    300000 rows/s
BenchmarkSnapshot/slots=2-2         	       1	3000000000 ns/op	    600000 rows/s
BenchmarkSnapshot/slots=4-2         	       1	3100000000 ns/op	    640000 rows/s
BenchmarkSnapshot/slots=1-2         	       1	5000000000 ns/op	    350000 rows/s
BenchmarkSnapshot/slots=2-2         	       1	3000000000 ns/op	    900000 rows/s
BenchmarkSnapshot/slots=4-2         	       1	3100000000 ns/op	    660000 rows/s
`
	runs := Runs(ParseBench(out))
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for name, want := range map[string]float64{"BenchmarkSnapshot/slots=1": 350000, "BenchmarkSnapshot/slots=2": 700000, "BenchmarkSnapshot/slots=4": 650000} {
		if got := MedianMetric(runs, name, "rows/s"); got != want {
			t.Errorf("%s median %v, want %v", name, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseFailover(t *testing.T) {
	out := "failover run 1/1: SIGTERM 100ms, SIGKILL 30s\n" +
		"failover run 1/3: SIGTERM 812ms, SIGKILL 7.1s\nnoise\nfailover run 2/3: SIGTERM 1.204s, SIGKILL 6.9s\n" +
		"failover run 3/3: SIGTERM 640ms, SIGKILL 8.25s\n"
	term, kill, err := ParseFailover(out)
	if err != nil || len(term) != 3 || len(kill) != 3 {
		t.Fatalf("%v %v %v", term, kill, err)
	}
	lo, med, hi := MinMedMax(kill)
	if !near(lo, 6.9) || !near(med, 7.1) || !near(hi, 8.25) {
		t.Errorf("kill min/median/max %v %v %v", lo, med, hi)
	}
	if term[1] != 1204*time.Millisecond {
		t.Errorf("term %v", term)
	}
}

func TestParseFootprint(t *testing.T) {
	out := `== binaries (CGO_ENABLED=0 -trimpath -tags timetzdata -ldflags '-s -w')
coordinator    27600000 bytes     7900000 bytes gzip -9
redoflow       22700000 bytes     6100000 bytes gzip -9
worker         27400000 bytes     7800000 bytes gzip -9
== coordinator: start to REST answering
64 ms
== after 30s running the job at 200 changes/s
coordinator (leader)     14.2 MiB RSS
coordinator (standby)    13.4 MiB RSS
worker 1                 21.2 MiB RSS
worker 2                 13.5 MiB RSS
worker 3                 13.6 MiB RSS
zookeeper (JVM)          60.0 MiB RSS
`
	fp, err := ParseFootprint(out)
	if err != nil {
		t.Fatal(err)
	}
	if fp.ReadyMS != 64 || fp.Binaries["worker"] != [2]int64{27400000, 7800000} || fp.RSSMiB["coordinator (standby)"] != 13.4 || len(fp.RSSMiB) != 6 {
		t.Fatalf("%+v", fp)
	}
	s := footprintSection([]Footprint{fp, fp})
	if s.IdleCoordinator != 13.4 || s.BusyWorker != 21.2 || s.ReadyMS != 64 || !near(s.TotalMB, 77.7) {
		t.Errorf("%+v", s)
	}
	if _, err := ParseFootprint(strings.Replace(out, "64 ms", "", 1)); err == nil {
		t.Error("output without the start time parsed without error")
	}
}

func TestParseTxRSS(t *testing.T) {
	out := "    rss_test.go:154: 1000000-row transaction over go-ora: 5.7s (174231 changes/s); RSS before 13 MiB, peak RSS while reading 268 MiB\n"
	r, err := ParseTxRSS(out)
	if err != nil || r.Rows != 1e6 || r.PeakMiB != 268 || r.ChangesPerSec != 174231 || r.BeforeMiB != 13 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestGoals(t *testing.T) {
	r := &Report{Machine: Machine{Cores: 2}}
	r.Parse.LiteralVsSame, r.Parse.ParserVsLine = 0.4, 1.3
	r.E2E = []E2ERow{{Checkpoint: "10s", ChangesPerSec: 300000, Changes: 200000}, {Checkpoint: "1s", ChangesPerSec: 250000, Changes: 200000},
		{Checkpoint: "10s", ChangesPerSec: 160000, Changes: 1000000}, {Checkpoint: "1s", ChangesPerSec: 150000, Changes: 1000000}}
	r.Footprint.IdleCoordinator, r.Footprint.ReadyMS = 13, 70
	r.Failover.Kill = DurRow{N: 2, Max: 9.5}
	r.Failover.Term = DurRow{N: 2, Max: 2.5}
	r.computeGoals()
	want := []bool{false, true, false, true, true, true, false}
	for i, g := range r.Goals {
		if g.Met != want[i] {
			t.Errorf("goal %q measured %s: met %v, want %v", g.Goal, g.Measured, g.Met, want[i])
		}
	}
}

// cannedE2E is the end-to-end command's output, as go test prints it:
// each run's result line, then its "streamed:" log line.
const cannedE2E = `goos: linux
pkg: github.com/redoflow/redoflow/internal/e2e
BenchmarkEndToEnd/checkpoint=10s-2         	       1	1627418863 ns/op	     44744 changes/s	        12.25 job-cpu-s/Mchanges	     20000 redo-changes/run	         8.000 sim-cpu-s/Mchanges
--- BENCH: BenchmarkEndToEnd/checkpoint=10s-2
    bench_test.go:92: streamed: mode specific-offset, 0 snapshot rows, 20000 changes read from the redo, 20000 committed by the workload
BenchmarkEndToEnd/checkpoint=1s-2          	       1	 713234493 ns/op	     40000 changes/s	        12.00 job-cpu-s/Mchanges	     20000 redo-changes/run	         7.000 sim-cpu-s/Mchanges
--- BENCH: BenchmarkEndToEnd/checkpoint=1s-2
    bench_test.go:92: streamed: mode specific-offset, 0 snapshot rows, 20000 changes read from the redo, 20000 committed by the workload
BenchmarkEndToEnd/checkpoint=10s-2         	       1	 755433246 ns/op	     42881 changes/s	        13.13 job-cpu-s/Mchanges	     20000 redo-changes/run	         8.000 sim-cpu-s/Mchanges
--- BENCH: BenchmarkEndToEnd/checkpoint=10s-2
    bench_test.go:92: streamed: mode specific-offset, 0 snapshot rows, 20000 changes read from the redo, 20000 committed by the workload
BenchmarkEndToEnd/checkpoint=1s-2          	       1	 618525847 ns/op	     50000 changes/s	        13.00 job-cpu-s/Mchanges	     20000 redo-changes/run	         9.000 sim-cpu-s/Mchanges
--- BENCH: BenchmarkEndToEnd/checkpoint=1s-2
    bench_test.go:92: streamed: mode specific-offset, 0 snapshot rows, 20000 changes read from the redo, 20000 committed by the workload
BenchmarkLatency-2   	       1	9286639279 ns/op	      1282 max-ms	       735.5 p50-ms	      1262 p99-ms	     50069 rows/run
--- BENCH: BenchmarkLatency-2
    bench_test.go:92: streamed: mode specific-offset, 0 snapshot rows, 80000 changes read from the redo, 80000 committed by the workload
PASS
`

func TestEndToEndStreamed(t *testing.T) {
	ss := ParseStreamed(cannedE2E)
	if len(ss) != 5 {
		t.Fatalf("%d streamed lines, want 5: %+v", len(ss), ss)
	}
	if ss[1] != (Streamed{Bench: "BenchmarkEndToEnd/checkpoint=1s", Mode: "specific-offset", RedoChanges: 20000, Workload: 20000}) ||
		ss[4].Bench != "BenchmarkLatency" || ss[4].RedoChanges != 80000 {
		t.Fatalf("%+v", ss)
	}
	r := &Report{}
	if err := checkStreamed(r, cannedE2E); err != nil {
		t.Fatal(err)
	}
	addE2E(r, Runs(ParseBench(cannedE2E)), 20000, "E2E_BENCH_CHANGES=20000 go test")
	if len(r.E2E) != 2 {
		t.Fatalf("%+v", r.E2E)
	}
	// Medians of two runs: (40000+50000)/2 changes/s, (12+13)/2 and (7+9)/2 CPU-s per million.
	e := r.E2E[1]
	if e.Checkpoint != "1s" || e.ChangesPerSec != 45000 || e.JobCPUPerMillion != 12.5 || e.SimCPUPerMillion != 8 ||
		e.RedoPerRun != 20000 || !near(e.JobCores, 0.5625) || !near(e.SimCores, 0.36) || e.Command != "E2E_BENCH_CHANGES=20000 go test" {
		t.Errorf("1s row %+v", e)
	}
	tot := r.StreamedTotals()
	if tot.Runs != 5 || tot.Modes != "specific-offset" || tot.SnapshotRows != 0 || tot.RedoChanges != 160000 || tot.Workload != 160000 {
		t.Errorf("totals %+v", tot)
	}
	// A run that snapshotted, one that missed changes, and results without
	// their streamed lines keep the figures out of the document.
	for name, out := range map[string]string{
		"initial mode": strings.Replace(cannedE2E, "mode specific-offset, 0 snapshot rows, 20000 changes read from the redo",
			"mode initial, 8000 snapshot rows, 0 changes read from the redo", 1),
		"changes missed": strings.Replace(cannedE2E, "80000 changes read", "79999 changes read", 1),
		"no lines":       regexpStreamed.ReplaceAllString(cannedE2E, ""),
	} {
		if err := checkStreamed(&Report{}, out); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

var regexpStreamed = regexp.MustCompile(`(?m)^.*streamed:.*$`)

func TestCmdline(t *testing.T) {
	got := cmdline([]string{"E2E_BENCH_CHANGES=50000"}, "go", "test", "-run", "^$", "-bench", "BenchmarkEndToEnd|BenchmarkLatency", "-count", "3", "./internal/e2e/", "it's")
	want := `E2E_BENCH_CHANGES=50000 go test -run '^$' -bench 'BenchmarkEndToEnd|BenchmarkLatency' -count 3 ./internal/e2e/ 'it'\''s'`
	if got != want {
		t.Errorf("cmdline\n got %s\nwant %s", got, want)
	}
}

// TestTemplateRenders: the document renders from a report and carries its
// figures, each with the command that printed it (a template error would
// otherwise show only after a full run).
func TestTemplateRenders(t *testing.T) {
	r := &Report{Machine: Machine{Cores: 2, CPU: "AMD EPYC"}, Opts: options{Quick: true, E2ELongChanges: 1000000}}
	long := cmdline([]string{"E2E_BENCH_CHANGES=1000000"}, "go", "test", "-run", "^$", "-bench", "BenchmarkEndToEnd", "-benchtime", "1x", "./internal/e2e/")
	r.Cmd = map[string]string{
		"e2e":      cmdline([]string{"E2E_BENCH_CHANGES=200000"}, "go", "test", "-run", "^$", "-bench", "BenchmarkEndToEnd|BenchmarkLatency", "./internal/e2e/"),
		"e2e-long": long,
		"reader":   "go test -run '^$' -bench '^BenchmarkReader$' ./logminer/",
		"failover": "go test -run '^$' -bench Failover -benchtime 10x ./cmd/coordinator/",
	}
	if err := checkStreamed(r, cannedE2E); err != nil {
		t.Fatal(err)
	}
	r.E2E = []E2ERow{{Checkpoint: "1s", Changes: 1000000, ChangesPerSec: 123456, JobCPUPerMillion: 16.25, SimCPUPerMillion: 9.5,
		RedoPerRun: 1000000, JobCores: 2.01, SimCores: 1.17, Command: long}}
	r.Latency = LatencyRow{P50: 770, P99: 1384}
	r.Footprint = footprintSection(nil)
	r.computeGoals()
	tmpl, err := template.New("doc").Funcs(funcs).Parse(docTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := tmpl.Execute(&buf, r); err != nil {
		t.Fatal(err)
	}
	doc := strings.ReplaceAll(buf.String(), "\n", " ")
	for _, want := range []string{"Reduced run", "123,456 changes/s over 1,000,000 changes", "p50 770 ms, p99 1,384 ms", "AMD EPYC, 2 cores",
		// the end-to-end row: rate, redo changes, both CPU figures, cores, its command
		"| 1,000,000 | 1s | 123,456 | 1,000,000 | 16.2 | 9.5 | 2.01 + 1.17 | `" + long + "` |",
		"SCAN_STARTUP_MODE=specific-offset", "mode specific-offset, 0 snapshot rows, 160,000 changes read from the redo for 160,000 committed",
		"Commands: `E2E_BENCH_CHANGES=200000 go test -run '^$' -bench 'BenchmarkEndToEnd|BenchmarkLatency' ./internal/e2e/`",
		// commands in table cells keep their | escaped
		"`-test.bench 'ParserReuse\\|ParseRedoOnly",
		"| `go test -run '^$' -bench Failover -benchtime 10x ./cmd/coordinator/` |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the document lacks %q", want)
		}
	}
	if strings.Contains(doc, "<no value>") {
		t.Error("the document has a missing value")
	}
}
