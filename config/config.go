// Package config reads redoflow's settings from the environment variables
// of the Flink deployment it replaces (the seed's .env), so existing .env
// files work unchanged, plus redoflow's own REDOFLOW_* settings. Command
// flags override them. Every error names the variable and its value.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/restart"
)

// Config is a job's configuration.
type Config struct {
	Database Database
	Tables   []string // SCHEMA.TABLE, upper case as Oracle stores them

	OutputPath    string
	CheckpointDir string
	SavepointDir  string
	HAStorageDir  string

	CheckpointInterval time.Duration
	Parallelism        int
	Slots              int // TASK_MANAGER_NUMBER_OF_TASK_SLOTS
	RestPort           int
	MetricsPort        int

	HA      HA
	Node    Node
	Cluster Cluster

	RollSize   int64
	RollAge    time.Duration
	DeadLetter string // "dead-letter" or "fail"
	JobID      string

	Scan   Scan
	Reader Reader

	// Restart is the restart strategy of a failed task, as Flink's
	// (RESTART_STRATEGY and restart-strategy.* options; see restart.go).
	Restart restart.Config
}

// Reader tunes the LogMiner reader; a zero field keeps the reader's default
// (see logminer.DefaultReaderConfig), which also checks how they combine.
type Reader struct {
	// LogFlushTable is a one-row table the reader updates before each
	// window so that LGWR writes the redo up to the window's end: set it on
	// a real Oracle [REDOFLOW_LOG_FLUSH_TABLE].
	LogFlushTable string
	// SpillThreshold is the memory of buffered transactions above which
	// they spill to SpillDir [REDOFLOW_SPILL_THRESHOLD, bytes;
	// REDOFLOW_SPILL_DIR].
	SpillThreshold int64
	SpillDir       string
	// WindowMin, WindowDefault, WindowMax bound the SCNs mined per query
	// [REDOFLOW_SCN_WINDOW_MIN, _DEFAULT, _MAX].
	WindowMin, WindowDefault, WindowMax uint64
	// PollMin, PollMax bound the sleep between windows once caught up
	// [REDOFLOW_POLL_MIN, REDOFLOW_POLL_MAX].
	PollMin, PollMax time.Duration
	// RetryMax is how often a dropped connection is retried in a row, by the
	// stream and by each snapshot read [REDOFLOW_RETRY_MAX]; -1 (the
	// default) keeps the reader's default, 0 retries none.
	RetryMax int
	// DeadLetterPath is the dead-letter file [REDOFLOW_DEAD_LETTER_PATH];
	// empty: OUTPUT_PATH/_dead_letter.jsonl.
	DeadLetterPath string
	// QueryTimeout is the longest a database call may wait with no answer
	// from the database [REDOFLOW_QUERY_TIMEOUT]: a warning is logged at
	// half of it, and at its end the connection is closed and the job
	// reconnects. Zero keeps the default (DefaultQueryTimeout).
	QueryTimeout time.Duration
}

// DefaultQueryTimeout is REDOFLOW_QUERY_TIMEOUT's default: long enough for a mining
// query that scans a large log before its first row, short enough that a silent network
// is told within a minute.
const DefaultQueryTimeout = 2 * time.Minute

// Scan is how a new job starts, as Flink CDC names it.
type Scan struct {
	// StartupMode is initial (snapshot, then stream), latest-offset,
	// specific-offset or snapshot (snapshot only) [SCAN_STARTUP_MODE].
	StartupMode string
	// SpecificOffsetSCN is where specific-offset starts: transactions
	// committed after it are captured [SCAN_STARTUP_SPECIFIC_OFFSET_SCN].
	SpecificOffsetSCN uint64
	// ChunkSize is the snapshot's rows per chunk
	// [SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE].
	ChunkSize int
	// FetchSize is the rows fetched per round trip by snapshot queries
	// [SCAN_SNAPSHOT_FETCH_SIZE].
	FetchSize int
}

// The startup modes.
const (
	StartupInitial        = "initial"
	StartupLatestOffset   = "latest-offset"
	StartupSpecificOffset = "specific-offset"
	StartupSnapshot       = "snapshot"
)

// Database is how to reach Oracle.
type Database struct {
	Host     string
	Port     int
	Username string
	Password Secret
	SID      string // service name or SID
	Schema   string
}

// HA is the high-availability setup.
type HA struct {
	Mode      string   // "NONE" or "zookeeper"
	Quorum    []string // host:port
	PathRoot  string
	ClusterID string
	// SessionTimeout is the ZooKeeper session timeout [HA_ZOOKEEPER_SESSION_TIMEOUT,
	// milliseconds as Flink's high-availability.zookeeper.client.session-timeout, or a
	// duration such as 6s]. A crashed leader is replaced after it.
	SessionTimeout time.Duration
}

// Node is how a cluster process names and exposes itself.
type Node struct {
	// ID names the process in the cluster [REDOFLOW_NODE_ID]; empty: host:port.
	ID string
	// AdvertisedHost is the host other processes reach this one at
	// [REDOFLOW_ADVERTISED_HOST]; empty: the host name.
	AdvertisedHost string
	// WorkerPort is the port of a worker's command API [REDOFLOW_WORKER_PORT].
	WorkerPort int
}

// Secret is a string that never prints.
type Secret string

func (Secret) String() string   { return "******" }
func (Secret) GoString() string { return "******" }

// ErrInvalid is the class of every configuration error: errors.Is matches it with an
// *Error and with the errors of the Validate methods of the packages configured from a
// Config (coordinator, worker, ha/zookeeper), which wrap it through Invalid. A
// configuration error is fatal (it matches failure.ErrFatal): a task restarted with the
// same settings fails the same way.
var ErrInvalid error = invalidClass{}

// invalidClass is ErrInvalid's type: a sentinel that matches failure.ErrFatal.
type invalidClass struct{}

func (invalidClass) Error() string        { return "invalid configuration" }
func (invalidClass) Is(target error) bool { return target == failure.ErrFatal }

// Invalid returns an error that wraps ErrInvalid, reading "<who>: invalid configuration:
// <the formatted message>".
func Invalid(who, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", who, ErrInvalid, fmt.Sprintf(format, args...))
}

// Error is a bad setting. It matches ErrInvalid.
type Error struct {
	Var, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// Is reports whether target is ErrInvalid or failure.ErrFatal.
func (e *Error) Is(target error) bool { return target == ErrInvalid || target == failure.ErrFatal }

// Default returns the defaults: those of the seed's deployment where it has
// one, with CHECKPOINT_INTERVAL 10 s.
func Default() Config {
	return Config{
		Database:           Database{Port: 1521, Schema: "FINANCE_USER"},
		OutputPath:         "./output/cdc",
		CheckpointDir:      "./data/checkpoints",
		SavepointDir:       "./data/savepoints",
		HAStorageDir:       "./data/ha",
		CheckpointInterval: 10 * time.Second,
		Parallelism:        4,
		Slots:              4,
		RestPort:           8081,
		MetricsPort:        9249,
		HA:                 HA{Mode: "NONE", PathRoot: "/redoflow", ClusterID: "/default", SessionTimeout: 6 * time.Second},
		Node:               Node{WorkerPort: 6121},
		Cluster:            Cluster{InternalPort: 6123},
		RollSize:           128 << 20,
		RollAge:            60 * time.Second,
		DeadLetter:         "dead-letter",
		JobID:              "redoflow",
		Scan:               Scan{StartupMode: StartupInitial, ChunkSize: 8096, FetchSize: 1024},
		Reader:             Reader{RetryMax: -1, QueryTimeout: DefaultQueryTimeout},
		Restart:            restart.DefaultConfig(),
	}
}

// FromEnv reads the environment over the defaults.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads settings through lookup (os.LookupEnv in production). An empty variable is
// the same as an unset one, except HA_MODE (see loadHA).
func Load(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	l := &loader{lookup: lookup}
	l.database(&c)
	l.paths(&c)
	l.ha(&c)
	l.sink(&c)
	l.scan(&c)
	l.reader(&c)
	l.errs = append(l.errs, loadRestart(lookup, &c.Restart)...)
	l.cluster(&c.Cluster)
	return c, errors.Join(l.errs...)
}

// loader reads variables and collects their errors.
type loader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// get returns the variable's value and whether it is set and not empty.
func (l *loader) get(name string) (string, bool) {
	v, ok := l.lookup(name)
	return v, ok && v != ""
}

func (l *loader) fail(name, value, format string, args ...any) {
	l.errs = append(l.errs, &Error{name, value, fmt.Sprintf(format, args...)})
}

func (l *loader) str(name string, dst *string) {
	if v, ok := l.get(name); ok {
		*dst = v
	}
}

// num reads a whole number from min to max.
func (l *loader) num(name string, dst *int, min, max int) {
	v, ok := l.get(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		l.fail(name, v, "want a whole number from %d to %d", min, max)
		return
	}
	*dst = n
}

// u64 reads a whole number from 1 to max.
func (l *loader) u64(name string, dst *uint64, max uint64) {
	v, ok := l.get(name)
	if !ok {
		return
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil || n == 0 || n > max {
		l.fail(name, v, "want a whole number from 1 to %d", max)
		return
	}
	*dst = n
}

// dur reads a duration from min to max.
func (l *loader) dur(name string, dst *time.Duration, min, max time.Duration, example string) {
	v, ok := l.get(name)
	if !ok {
		return
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < min || d > max {
		l.fail(name, v, "want a duration from %v to %v, such as %s", min, max, example)
		return
	}
	*dst = d
}

// path reads a local path or file:// URL.
func (l *loader) path(name string, dst *string) {
	v, ok := l.get(name)
	if !ok {
		return
	}
	p, err := localPath(v)
	if err != nil {
		l.fail(name, v, "%v", err)
		return
	}
	*dst = p
}

// check reads a value that check accepts.
func (l *loader) check(name string, dst *string, check func(string) error) {
	v, ok := l.get(name)
	if !ok {
		return
	}
	if err := check(v); err != nil {
		l.fail(name, v, "%v", err)
		return
	}
	*dst = v
}

func (l *loader) database(c *Config) {
	l.check("DATABASE_HOST", &c.Database.Host, checkHost)
	l.num("DATABASE_PORT", &c.Database.Port, 1, 65535)
	l.str("DATABASE_USERNAME", &c.Database.Username)
	if v, ok := l.lookup("DATABASE_PASSWORD"); ok {
		c.Database.Password = Secret(v)
	}
	l.check("DATABASE_SID", &c.Database.SID, checkService)
	if v, ok := l.get("DATABASE_SCHEMA"); ok {
		if err := checkOracleName(oracleName(v)); err != nil {
			l.fail("DATABASE_SCHEMA", v, "%v: name the owner of the tables, e.g. FINANCE_USER", err)
		} else {
			c.Database.Schema = oracleName(v)
		}
	}
	if v, ok := l.lookup("DATABASE_TABLES"); ok {
		tables, err := parseTables(v, c.Database.Schema)
		if err != nil {
			l.fail("DATABASE_TABLES", v, "%v", err)
		}
		c.Tables = tables
	}
}

func (l *loader) paths(c *Config) {
	l.path("OUTPUT_PATH", &c.OutputPath)
	l.path("CHECKPOINT_DIR", &c.CheckpointDir)
	l.path("SAVEPOINT_DIR", &c.SavepointDir)
	l.path("HA_STORAGE_DIR", &c.HAStorageDir)
	if v, ok := l.get("CHECKPOINT_INTERVAL"); ok {
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms < 100 || ms > 24*3600*1000 {
			l.fail("CHECKPOINT_INTERVAL", v, "want milliseconds, a whole number from 100 to 86400000")
		} else {
			c.CheckpointInterval = time.Duration(ms) * time.Millisecond
		}
	}
	l.num("PARALLELISM_DEFAULT", &c.Parallelism, 1, 1024)
	l.num("TASK_MANAGER_NUMBER_OF_TASK_SLOTS", &c.Slots, 1, 1024)
	l.num("REST_PORT", &c.RestPort, 1, 65535)
	l.num("METRICS_PORT", &c.MetricsPort, 1, 65535)
}

// ha reads HA_*, REDOFLOW_NODE_ID, REDOFLOW_ADVERTISED_HOST and REDOFLOW_WORKER_PORT.
// HA_MODE set but empty is refused rather than taken for NONE: docker compose's
// ${HA_MODE:-zookeeper} turns the same empty value into zookeeper, and a coordinator
// that runs its own job where a cluster was meant would write the output twice.
func (l *loader) ha(c *Config) {
	if v, set := l.lookup("HA_MODE"); set {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "none":
			c.HA.Mode = "NONE"
		case "zookeeper":
			c.HA.Mode = "zookeeper"
		case "":
			l.fail("HA_MODE", v, "set but empty: want NONE or zookeeper (unset means NONE, Flink's default)")
		default:
			l.fail("HA_MODE", v, "want NONE or zookeeper")
		}
	}
	if v, ok := l.get("HA_ZOOKEEPER_QUORUM"); ok {
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimSpace(h)
			if h == "" {
				continue
			}
			if !strings.Contains(h, ":") {
				h += ":2181"
			}
			c.HA.Quorum = append(c.HA.Quorum, h)
		}
	}
	l.str("HA_ZOOKEEPER_PATH_ROOT", &c.HA.PathRoot)
	l.str("HA_CLUSTER_ID", &c.HA.ClusterID)
	if v, ok := l.get("HA_ZOOKEEPER_SESSION_TIMEOUT"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if ms, merr := strconv.ParseInt(strings.TrimSpace(v), 10, 64); merr == nil {
			// Bounded before the multiplication, which would overflow.
			d, err = time.Duration(min(max(ms, 0), 1<<40))*time.Millisecond, nil
		}
		if err != nil || d < time.Second || d > 5*time.Minute {
			l.fail("HA_ZOOKEEPER_SESSION_TIMEOUT", v, "want milliseconds or a duration such as 6s, from 1s to 5m")
		} else {
			c.HA.SessionTimeout = d
		}
	}
	l.str("REDOFLOW_NODE_ID", &c.Node.ID)
	l.str("REDOFLOW_ADVERTISED_HOST", &c.Node.AdvertisedHost)
	l.num("REDOFLOW_WORKER_PORT", &c.Node.WorkerPort, 1, 65535)
	if c.HA.Mode == "zookeeper" && len(c.HA.Quorum) == 0 {
		v, _ := l.lookup("HA_ZOOKEEPER_QUORUM")
		l.fail("HA_ZOOKEEPER_QUORUM", v, "HA_MODE=zookeeper needs at least one host:port")
	}
}

// maxRollSizeMB bounds REDOFLOW_ROLL_SIZE_MB (1 TiB): its bytes must fit an int64.
const maxRollSizeMB = 1 << 20

func (l *loader) sink(c *Config) {
	var mb int
	l.num("REDOFLOW_ROLL_SIZE_MB", &mb, 1, maxRollSizeMB)
	if mb > 0 {
		c.RollSize = int64(mb) << 20
	}
	// Shorter ages make a file per change; 100ms, as CHECKPOINT_INTERVAL's floor, still
	// serves tests that roll files quickly.
	l.dur("REDOFLOW_ROLL_AGE", &c.RollAge, 100*time.Millisecond, 365*24*time.Hour, "60s")
	if v, ok := l.get("REDOFLOW_DEAD_LETTER"); ok {
		if v != "dead-letter" && v != "fail" {
			l.fail("REDOFLOW_DEAD_LETTER", v, "want dead-letter or fail")
		} else {
			c.DeadLetter = v
		}
	}
	l.path("REDOFLOW_DEAD_LETTER_PATH", &c.Reader.DeadLetterPath)
	l.check("REDOFLOW_JOB_ID", &c.JobID, checkJobID)
}

func (l *loader) scan(c *Config) {
	if v, ok := l.get("SCAN_STARTUP_MODE"); ok {
		switch m := strings.ToLower(strings.TrimSpace(v)); m {
		case StartupInitial, StartupLatestOffset, StartupSpecificOffset, StartupSnapshot:
			c.Scan.StartupMode = m
		default:
			l.fail("SCAN_STARTUP_MODE", v, "want initial, latest-offset, specific-offset or snapshot")
		}
	}
	// SCNs travel as NUMBER binds of int64.
	l.u64("SCAN_STARTUP_SPECIFIC_OFFSET_SCN", &c.Scan.SpecificOffsetSCN, math.MaxInt64)
	if c.Scan.StartupMode == StartupSpecificOffset && c.Scan.SpecificOffsetSCN == 0 {
		v, _ := l.lookup("SCAN_STARTUP_SPECIFIC_OFFSET_SCN")
		l.fail("SCAN_STARTUP_SPECIFIC_OFFSET_SCN", v, "SCAN_STARTUP_MODE=specific-offset needs the SCN to start from")
	}
	l.num("SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE", &c.Scan.ChunkSize, 1, 1<<30)
	l.num("SCAN_SNAPSHOT_FETCH_SIZE", &c.Scan.FetchSize, 1, 1<<20)
}

// maxWindow bounds the REDOFLOW_SCN_WINDOW_* settings: a window is added to SCNs, and
// doubled, without overflowing.
const maxWindow = 1 << 40

func (l *loader) reader(c *Config) {
	l.check("REDOFLOW_LOG_FLUSH_TABLE", &c.Reader.LogFlushTable, checkFlushTable)
	l.path("REDOFLOW_SPILL_DIR", &c.Reader.SpillDir)
	var spill uint64
	l.u64("REDOFLOW_SPILL_THRESHOLD", &spill, math.MaxUint64)
	c.Reader.SpillThreshold = int64(min(spill, 1<<62))
	l.u64("REDOFLOW_SCN_WINDOW_MIN", &c.Reader.WindowMin, maxWindow)
	l.u64("REDOFLOW_SCN_WINDOW_DEFAULT", &c.Reader.WindowDefault, maxWindow)
	l.u64("REDOFLOW_SCN_WINDOW_MAX", &c.Reader.WindowMax, maxWindow)
	// Below a millisecond the reader would poll the database in a busy loop.
	l.dur("REDOFLOW_POLL_MIN", &c.Reader.PollMin, time.Millisecond, time.Hour, "200ms")
	l.dur("REDOFLOW_POLL_MAX", &c.Reader.PollMax, time.Millisecond, time.Hour, "2s")
	l.num("REDOFLOW_RETRY_MAX", &c.Reader.RetryMax, 0, 1000)
	l.dur("REDOFLOW_QUERY_TIMEOUT", &c.Reader.QueryTimeout, time.Second, 24*time.Hour, "2m")
}

// Validate checks what a running job needs: tables to capture, output,
// checkpoint, savepoint and spill directories it can write (created when
// missing), a dead-letter file it can append to, and the names this process
// gives itself in the cluster. It runs after the flags, which may set them.
func (c Config) Validate() error {
	var errs []error
	if len(c.Tables) == 0 {
		errs = append(errs, &Error{"DATABASE_TABLES", "", "name at least one table, as TABLE or SCHEMA.TABLE, comma-separated"})
	}
	dirs := []struct{ name, dir string }{{"OUTPUT_PATH", c.OutputPath}, {"CHECKPOINT_DIR", c.CheckpointDir}, {"SAVEPOINT_DIR", c.SavepointDir}}
	if c.Reader.SpillDir != "" {
		dirs = append(dirs, struct{ name, dir string }{"REDOFLOW_SPILL_DIR", c.Reader.SpillDir})
	}
	for _, d := range dirs {
		if err := writableDir(d.dir); err != nil {
			errs = append(errs, &Error{d.name, d.dir, err.Error()})
		}
	}
	if c.DeadLetter == "dead-letter" {
		name, path := "REDOFLOW_DEAD_LETTER_PATH", c.Reader.DeadLetterPath
		if path == "" {
			name, path = "OUTPUT_PATH", filepath.Join(c.OutputPath, "_dead_letter.jsonl")
		}
		if err := appendableFile(path); err != nil {
			errs = append(errs, &Error{name, path, err.Error()})
		}
	}
	// Flags set these too (--rest-port, --slots, ...), past Load's checks.
	for _, n := range []struct {
		name     string
		v, lo, h int
	}{{"REST_PORT", c.RestPort, 1, 65535}, {"METRICS_PORT", c.MetricsPort, 1, 65535},
		{"REDOFLOW_WORKER_PORT", c.Node.WorkerPort, 1, 65535}, {"TASK_MANAGER_NUMBER_OF_TASK_SLOTS", c.Slots, 1, 1024}} {
		if n.v < n.lo || n.v > n.h {
			errs = append(errs, &Error{n.name, strconv.Itoa(n.v), fmt.Sprintf("want a whole number from %d to %d", n.lo, n.h)})
		}
	}
	if c.Node.ID != "" {
		if err := checkNodeID(c.Node.ID); err != nil {
			errs = append(errs, &Error{"REDOFLOW_NODE_ID", c.Node.ID, err.Error()})
		}
	}
	if c.Node.AdvertisedHost != "" {
		if err := checkHost(c.Node.AdvertisedHost); err != nil {
			errs = append(errs, &Error{"REDOFLOW_ADVERTISED_HOST", c.Node.AdvertisedHost, err.Error()})
		}
	}
	return errors.Join(errs...)
}

// AsInvalid marks err, the refusal of a setting by the package it configures, as a
// configuration error (errors.Is(err, ErrInvalid)) with its message unchanged; nil
// stays nil.
func AsInvalid(err error) error {
	if err == nil || errors.Is(err, ErrInvalid) {
		return err
	}
	return invalidError{err}
}

type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{e.err, ErrInvalid} }

// localPath accepts a path or a file:// URL (as the seed writes them).
func localPath(v string) (string, error) {
	if rest, ok := strings.CutPrefix(v, "file://"); ok {
		v = rest
	} else if strings.Contains(v, "://") {
		return "", errors.New("only local paths and file:// URLs are supported")
	}
	if v == "" {
		return "", errors.New("empty path")
	}
	return filepath.Clean(v), nil
}

// writableDir creates dir if needed and checks a file can be written in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the directory: %v", err)
	}
	f, err := os.CreateTemp(dir, ".redoflow-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write in the directory: %v", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// appendableFile checks that path can be appended to: an existing regular file opened
// for appending, or a new file in a directory it can write (created if needed). It
// creates no file.
func appendableFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return writableDir(filepath.Dir(path))
	case err != nil:
		return fmt.Errorf("cannot use the file: %v", err)
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("cannot append to the file: %v", err)
	}
	return f.Close()
}

// parseTables reads "T1,SCHEMA.T2" into SCHEMA.TABLE names.
func parseTables(v, schema string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		s, name, ok := strings.Cut(t, ".")
		if s == "" || name == "" && ok || strings.Contains(name, ".") {
			return nil, fmt.Errorf("%q is not TABLE or SCHEMA.TABLE", t)
		}
		if ok {
			s, name = oracleName(s), oracleName(name)
		} else {
			// schema is DATABASE_SCHEMA as Oracle stores it already: quoting it
			// again would upper-case a quoted mixed-case name.
			s, name = schema, oracleName(t)
		}
		if err := checkOracleName(s); err != nil {
			return nil, fmt.Errorf("%q: schema %v", t, err)
		}
		if err := checkOracleName(name); err != nil {
			return nil, fmt.Errorf("%q: table %v", t, err)
		}
		out = append(out, s+"."+name)
	}
	if len(out) == 0 {
		return nil, errors.New("name at least one table, as TABLE or SCHEMA.TABLE, comma-separated")
	}
	return out, nil
}

// oracleName is the name as Oracle stores it: quoted names as written,
// others in upper case.
func oracleName(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return strings.ToUpper(s)
}
