package main

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// The benchmarks of each interleaved group.
const (
	ParseBenchRegexp = "ParserReuse|ParseRedoOnly|ParseRedoDecode|CSVEquivalentLine|CSVSameBytes"
	SinkBenchRegexp  = "SinkWrite|BufferedFileWrite"
)

const (
	csvLine  = "BenchmarkCSVEquivalentLine"
	csvSame  = "BenchmarkCSVSameBytes"
	parse    = "BenchmarkParserReuse"
	literal  = "BenchmarkParseRedoDecodeLiteral"
	sinkW    = "BenchmarkSinkWrite"
	bufFileW = "BenchmarkBufferedFileWrite"
)

// Report is everything the template renders.
type Report struct {
	Opts      options
	Machine   Machine
	Elapsed   string
	Parse     ParseSection
	Sink      SinkSection
	Snapshot  []SnapshotRow
	E2E       []E2ERow
	Latency   LatencyRow
	Failover  FailoverSection
	Footprint FootprintSection
	TxRSS     TxRSS
	Goals     []Goal
	// Cmd is the command line of each step that ran one ("reader",
	// "txrss", "snapshot", "e2e", "e2e-long", "failover", "footprint").
	Cmd map[string]string
	// Streamed is what each end-to-end and latency run read, as it logged it.
	Streamed []Streamed

	ReaderChangesPerSec float64
}

type BenchRow struct {
	Label                      string
	MBs, NsOp, Allocs, RowsSec float64
	VsLine, VsSame             float64 // median of the per-run ratios of MB/s
}

type ParseSection struct {
	Rows []BenchRow
	Runs int
	// The two readings of the parsing goal.
	ParserVsLine, LiteralVsSame float64
}

var parseRows = []struct{ name, label string }{
	{csvLine, "`encoding/csv`, equivalent line (baseline)"},
	{csvSame, "`encoding/csv`, the same SQL_REDO bytes"},
	{parse, "`Parser.Parse` (reused memory, as csv's ReuseRecord)"},
	{"BenchmarkParseRedoOnly", "`redo.Parse` (fresh Statement each call)"},
	{"BenchmarkParseRedoDecode", "`Parser.Parse` + `Type.Decode` of all 13 values (the reader's path)"},
	{literal, "`redo.Parse` + `DecodeLiteral` by type name"},
}

// benchRow takes the medians of one benchmark; every benchmark here does one
// row (statement, CSV record, CSV row written) per op, so rows/s is 1e9/ns
// where the benchmark does not report it.
func benchRow(runs []map[string]Result, name, label string) BenchRow {
	r := BenchRow{Label: label,
		MBs:     MedianMetric(runs, name, "MB/s"),
		NsOp:    MedianMetric(runs, name, "ns/op"),
		Allocs:  MedianMetric(runs, name, "allocs/op"),
		RowsSec: MedianMetric(runs, name, "rows/s"),
	}
	if r.RowsSec == 0 && r.NsOp > 0 {
		r.RowsSec = 1e9 / r.NsOp
	}
	return r
}

func parseSection(runs []map[string]Result) ParseSection {
	s := ParseSection{Runs: len(runs)}
	for _, p := range parseRows {
		row := benchRow(runs, p.name, p.label)
		row.VsLine = MedianRatio(runs, p.name, csvLine, "MB/s")
		row.VsSame = MedianRatio(runs, p.name, csvSame, "MB/s")
		s.Rows = append(s.Rows, row)
	}
	s.ParserVsLine = MedianRatio(runs, parse, csvLine, "MB/s")
	s.LiteralVsSame = MedianRatio(runs, literal, csvSame, "MB/s")
	return s
}

type SinkSection struct {
	Sink, Plain BenchRow
	Ratio       float64 // sink MB/s over plain MB/s, median of per-run ratios
	Runs        int
	DiskMBs     float64
	DiskRuns    []float64
}

func sinkSection(runs []map[string]Result) SinkSection {
	return SinkSection{
		Sink:  benchRow(runs, sinkW, "sink: encode + write to the in-progress file"),
		Plain: benchRow(runs, bufFileW, "the same bytes, `bufio.Writer` on an `os.File`"),
		Ratio: MedianRatio(runs, sinkW, bufFileW, "MB/s"),
		Runs:  len(runs),
	}
}

type SnapshotRow struct {
	Slots               int
	RowsPerSec, Speedup float64
}

type E2ERow struct {
	Checkpoint string
	Changes    int    // committed changes per run
	Command    string // the command that measured the row
	// Medians over the runs: changes/s, CPU seconds per million changes of
	// the job and of the simulator while the job ran, changes read from
	// the redo per run.
	ChangesPerSec, JobCPUPerMillion, SimCPUPerMillion, RedoPerRun float64
	// Cores each process kept busy on average: CPU per change times the
	// rate, from the medians.
	JobCores, SimCores float64
}

// StreamedTotals sum up the runs' Streamed lines: the runs, the startup
// modes seen, the snapshot rows and the changes read from the redo against
// those the workloads committed.
type StreamedTotals struct {
	Runs                                int
	Modes                               string
	SnapshotRows, RedoChanges, Workload int64
}

// StreamedTotals sums up r.Streamed for the document.
func (r *Report) StreamedTotals() (s StreamedTotals) {
	var modes []string
	for _, x := range r.Streamed {
		s.Runs++
		s.SnapshotRows += x.SnapshotRows
		s.RedoChanges += x.RedoChanges
		s.Workload += x.Workload
		if !slices.Contains(modes, x.Mode) {
			modes = append(modes, x.Mode)
		}
	}
	s.Modes = strings.Join(modes, ", ")
	return s
}

type LatencyRow struct{ P50, P99, Max float64 }

type DurRow struct {
	Min, Median, Max float64
	All              string
	N                int
}

type FailoverSection struct{ Term, Kill DurRow }

type BinaryRow struct {
	Name     string
	Size, Gz int64
	SizeMB   float64
	GzMB     float64
}

type FootprintSection struct {
	Binaries        []BinaryRow
	TotalMB, GzMB   float64
	ReadyMS         float64 // median over runs
	ReadyAll        string
	RSS             []RSSRow
	Runs            int
	IdleCoordinator float64 // the standby coordinator's RSS, median over runs
	BusyWorker      float64 // the largest worker RSS, median over runs
}

type RSSRow struct {
	Process string
	Median  float64
	All     string
}

func footprintSection(fps []Footprint) FootprintSection {
	s := FootprintSection{Runs: len(fps)}
	if len(fps) == 0 {
		return s
	}
	var names []string
	for n := range fps[0].Binaries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b := fps[0].Binaries[n]
		s.Binaries = append(s.Binaries, BinaryRow{Name: n, Size: b[0], Gz: b[1], SizeMB: float64(b[0]) / 1e6, GzMB: float64(b[1]) / 1e6})
		s.TotalMB += float64(b[0]) / 1e6
		s.GzMB += float64(b[1]) / 1e6
	}
	var ready, standby, worker []float64
	var readyAll []string
	for _, fp := range fps {
		ready = append(ready, fp.ReadyMS)
		readyAll = append(readyAll, fmt.Sprintf("%.0f", fp.ReadyMS))
		standby = append(standby, fp.RSSMiB["coordinator (standby)"])
		var w float64
		for k, v := range fp.RSSMiB {
			if strings.HasPrefix(k, "worker") {
				w = max(w, v)
			}
		}
		worker = append(worker, w)
	}
	s.ReadyMS, s.ReadyAll = Median(ready), strings.Join(readyAll, ", ")
	s.IdleCoordinator, s.BusyWorker = Median(standby), Median(worker)
	var procs []string
	for p := range fps[0].RSSMiB {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	for _, p := range procs {
		var xs []float64
		var all []string
		for _, fp := range fps {
			xs = append(xs, fp.RSSMiB[p])
			all = append(all, fmt.Sprintf("%.1f", fp.RSSMiB[p]))
		}
		s.RSS = append(s.RSS, RSSRow{Process: p, Median: Median(xs), All: strings.Join(all, " / ")})
	}
	return s
}

// Goal is one acceptance goal of the benchmark issue and what was measured.
type Goal struct {
	Goal, Measured string
	Met            bool
	From           string // the command that measured it (markdown)
}

func (r *Report) computeGoals() {
	// The goal is judged on the longest runs with 1 s checkpoints: in a run
	// shorter than a few seconds a 1 s checkpoint hardly happens.
	var e2e1s float64
	var longest int
	var all, e2eFrom []string
	for _, e := range r.E2E {
		if e.Checkpoint == "1s" {
			all = append(all, fmt.Sprintf("%s changes/s over %s changes (streamed from LogMiner; job %.1f, simulator %.1f CPU-s per million changes)",
				group(fmt.Sprintf("%.0f", e.ChangesPerSec)), group(fmt.Sprint(e.Changes)), e.JobCPUPerMillion, e.SimCPUPerMillion))
			e2eFrom = append(e2eFrom, code(e.Command))
			if e.Changes >= longest {
				e2e1s, longest = e.ChangesPerSec, e.Changes
			}
		}
	}
	parseFrom := fmt.Sprintf("the parsing loop below (%d interleaved runs of `-test.bench '%s'`)", r.Parse.Runs, ParseBenchRegexp)
	r.Goals = []Goal{
		{"parsing (`redo.Parse` + `DecodeLiteral`) ≥ 1× `encoding/csv` bytes/s on the same bytes",
			fmt.Sprintf("%.2f×", r.Parse.LiteralVsSame), r.Parse.LiteralVsSame >= 1, parseFrom},
		{"parsing alone (`Parser.Parse`) ≥ 1× `encoding/csv` bytes/s on the equivalent CSV line",
			fmt.Sprintf("%.2f×", r.Parse.ParserVsLine), r.Parse.ParserVsLine >= 1, parseFrom},
		{"end to end ≥ 200k changes/s on 2 cores with 1 s checkpoints",
			fmt.Sprintf("%s on %d cores (judged on the longest runs)", strings.Join(all, "; "), r.Machine.Cores), e2e1s >= 200_000, strings.Join(e2eFrom, ", ")},
		{"idle coordinator < 30 MiB RSS",
			fmt.Sprintf("%.1f MiB (standby)", r.Footprint.IdleCoordinator), r.Footprint.IdleCoordinator > 0 && r.Footprint.IdleCoordinator < 30, code(r.Cmd["footprint"])},
		{"start to REST ready < 200 ms",
			fmt.Sprintf("%.0f ms", r.Footprint.ReadyMS), r.Footprint.ReadyMS > 0 && r.Footprint.ReadyMS < 200, code(r.Cmd["footprint"])},
		{"failover after kill -9 of the leader ≤ 10 s",
			fmt.Sprintf("max %.2f s (median %.2f s)", r.Failover.Kill.Max, r.Failover.Kill.Median), r.Failover.Kill.N > 0 && r.Failover.Kill.Max <= 10, code(r.Cmd["failover"])},
		{"failover after SIGTERM of the leader ≤ 2 s",
			fmt.Sprintf("max %.2f s (median %.2f s)", r.Failover.Term.Max, r.Failover.Term.Median), r.Failover.Term.N > 0 && r.Failover.Term.Max <= 2, code(r.Cmd["failover"])},
	}
}

var funcs = template.FuncMap{
	"f0":     func(v float64) string { return group(fmt.Sprintf("%.0f", v)) },
	"f1":     func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"float":  func(n int) float64 { return float64(n) },
	"int64f": func(n int64) float64 { return float64(n) },
	"code":   code,
	// cell makes text safe in a markdown table cell: a | ends the cell
	// even inside backquotes unless escaped.
	"cell": func(s string) string { return strings.ReplaceAll(s, "|", `\|`) },
	"f2":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"met": func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	},
	"floats": func(xs []float64) string {
		var s []string
		for _, x := range xs {
			s = append(s, fmt.Sprintf("%.0f", x))
		}
		return strings.Join(s, ", ")
	},
}

// code quotes a command for markdown; "" when none ran.
func code(cmd string) string {
	if cmd == "" {
		return ""
	}
	return "`" + cmd + "`"
}

// group puts thin separators in long integers: 1234567 -> 1 234 567.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ParseBenchRegexp and SinkBenchRegexp give the template the -bench
// patterns the document quotes.
func (*Report) ParseBenchRegexp() string { return ParseBenchRegexp }
func (*Report) SinkBenchRegexp() string  { return SinkBenchRegexp }
