// Package config reads redoflow's settings from the environment variables
// of the Flink deployment it replaces (the seed's .env), so existing .env
// files work unchanged, plus redoflow's own REDOFLOW_* settings. Command
// flags override them. Every error names the variable and its value.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

	HA   HA
	Node Node

	RollSize   int64
	RollAge    time.Duration
	DeadLetter string // "dead-letter" or "fail"
	JobID      string

	Scan   Scan
	Reader Reader
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
	// RetryMax is how often a dropped connection is retried in a row
	// [REDOFLOW_RETRY_MAX].
	RetryMax int
	// DeadLetterPath is the dead-letter file [REDOFLOW_DEAD_LETTER_PATH];
	// empty: OUTPUT_PATH/_dead_letter.jsonl.
	DeadLetterPath string
}

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
// Config (coordinator, worker, ha/zookeeper), which wrap it through Invalid.
var ErrInvalid = errors.New("invalid configuration")

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

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

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
		RollSize:           128 << 20,
		RollAge:            60 * time.Second,
		DeadLetter:         "dead-letter",
		JobID:              "redoflow",
		Scan:               Scan{StartupMode: StartupInitial, ChunkSize: 8096, FetchSize: 1024},
	}
}

// FromEnv reads the environment over the defaults.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads settings through lookup (os.LookupEnv in production).
func Load(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok && v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int, min, max int) {
		v, ok := lookup(name)
		if !ok || v == "" {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min || n > max {
			errs = append(errs, &Error{name, v, fmt.Sprintf("want a whole number from %d to %d", min, max)})
			return
		}
		*dst = n
	}
	path := func(name string, dst *string) {
		v, ok := lookup(name)
		if !ok || v == "" {
			return
		}
		p, err := localPath(v)
		if err != nil {
			errs = append(errs, &Error{name, v, err.Error()})
			return
		}
		*dst = p
	}

	str("DATABASE_HOST", &c.Database.Host)
	num("DATABASE_PORT", &c.Database.Port, 1, 65535)
	str("DATABASE_USERNAME", &c.Database.Username)
	if v, ok := lookup("DATABASE_PASSWORD"); ok {
		c.Database.Password = Secret(v)
	}
	str("DATABASE_SID", &c.Database.SID)
	if v, ok := lookup("DATABASE_SCHEMA"); ok && v != "" {
		c.Database.Schema = oracleName(v)
	}
	if v, ok := lookup("DATABASE_TABLES"); ok {
		tables, err := parseTables(v, c.Database.Schema)
		if err != nil {
			errs = append(errs, &Error{"DATABASE_TABLES", v, err.Error()})
		}
		c.Tables = tables
	}
	path("OUTPUT_PATH", &c.OutputPath)
	path("CHECKPOINT_DIR", &c.CheckpointDir)
	path("SAVEPOINT_DIR", &c.SavepointDir)
	path("HA_STORAGE_DIR", &c.HAStorageDir)
	if v, ok := lookup("CHECKPOINT_INTERVAL"); ok && v != "" {
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms < 100 || ms > 24*3600*1000 {
			errs = append(errs, &Error{"CHECKPOINT_INTERVAL", v, "want milliseconds, a whole number from 100 to 86400000"})
		} else {
			c.CheckpointInterval = time.Duration(ms) * time.Millisecond
		}
	}
	num("PARALLELISM_DEFAULT", &c.Parallelism, 1, 1024)
	num("TASK_MANAGER_NUMBER_OF_TASK_SLOTS", &c.Slots, 1, 1024)
	num("REST_PORT", &c.RestPort, 1, 65535)
	num("METRICS_PORT", &c.MetricsPort, 1, 65535)

	if v, ok := lookup("HA_MODE"); ok && v != "" {
		switch strings.ToLower(v) {
		case "none":
			c.HA.Mode = "NONE"
		case "zookeeper":
			c.HA.Mode = "zookeeper"
		default:
			errs = append(errs, &Error{"HA_MODE", v, "want NONE or zookeeper"})
		}
	}
	if v, ok := lookup("HA_ZOOKEEPER_QUORUM"); ok && v != "" {
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
	str("HA_ZOOKEEPER_PATH_ROOT", &c.HA.PathRoot)
	str("HA_CLUSTER_ID", &c.HA.ClusterID)
	if v, ok := lookup("HA_ZOOKEEPER_SESSION_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if ms, merr := strconv.ParseInt(strings.TrimSpace(v), 10, 64); merr == nil {
			d, err = time.Duration(ms)*time.Millisecond, nil
		}
		if err != nil || d < time.Second || d > 5*time.Minute {
			errs = append(errs, &Error{"HA_ZOOKEEPER_SESSION_TIMEOUT", v, "want milliseconds or a duration such as 6s, from 1s to 5m"})
		} else {
			c.HA.SessionTimeout = d
		}
	}
	str("REDOFLOW_NODE_ID", &c.Node.ID)
	str("REDOFLOW_ADVERTISED_HOST", &c.Node.AdvertisedHost)
	num("REDOFLOW_WORKER_PORT", &c.Node.WorkerPort, 1, 65535)
	if c.HA.Mode == "zookeeper" && len(c.HA.Quorum) == 0 {
		v, _ := lookup("HA_ZOOKEEPER_QUORUM")
		errs = append(errs, &Error{"HA_ZOOKEEPER_QUORUM", v, "HA_MODE=zookeeper needs at least one host:port"})
	}

	if v, ok := lookup("REDOFLOW_ROLL_SIZE_MB"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, &Error{"REDOFLOW_ROLL_SIZE_MB", v, "want a whole number of MiB, at least 1"})
		} else {
			c.RollSize = n << 20
		}
	}
	if v, ok := lookup("REDOFLOW_ROLL_AGE"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, &Error{"REDOFLOW_ROLL_AGE", v, "want a positive duration such as 60s"})
		} else {
			c.RollAge = d
		}
	}
	if v, ok := lookup("REDOFLOW_DEAD_LETTER"); ok && v != "" {
		if v != "dead-letter" && v != "fail" {
			errs = append(errs, &Error{"REDOFLOW_DEAD_LETTER", v, "want dead-letter or fail"})
		} else {
			c.DeadLetter = v
		}
	}
	str("REDOFLOW_JOB_ID", &c.JobID)

	if v, ok := lookup("SCAN_STARTUP_MODE"); ok && v != "" {
		switch m := strings.ToLower(strings.TrimSpace(v)); m {
		case StartupInitial, StartupLatestOffset, StartupSpecificOffset, StartupSnapshot:
			c.Scan.StartupMode = m
		default:
			errs = append(errs, &Error{"SCAN_STARTUP_MODE", v, "want initial, latest-offset, specific-offset or snapshot"})
		}
	}
	if v, ok := lookup("SCAN_STARTUP_SPECIFIC_OFFSET_SCN"); ok && v != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, &Error{"SCAN_STARTUP_SPECIFIC_OFFSET_SCN", v, "want a positive SCN"})
		} else {
			c.Scan.SpecificOffsetSCN = n
		}
	}
	if c.Scan.StartupMode == StartupSpecificOffset && c.Scan.SpecificOffsetSCN == 0 {
		v, _ := lookup("SCAN_STARTUP_SPECIFIC_OFFSET_SCN")
		errs = append(errs, &Error{"SCAN_STARTUP_SPECIFIC_OFFSET_SCN", v, "SCAN_STARTUP_MODE=specific-offset needs the SCN to start from"})
	}
	str("REDOFLOW_LOG_FLUSH_TABLE", &c.Reader.LogFlushTable)
	str("REDOFLOW_SPILL_DIR", &c.Reader.SpillDir)
	str("REDOFLOW_DEAD_LETTER_PATH", &c.Reader.DeadLetterPath)
	u64 := func(name string, dst *uint64) {
		if v, ok := lookup(name); ok && v != "" {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil || n == 0 {
				errs = append(errs, &Error{name, v, "want a positive whole number"})
				return
			}
			*dst = n
		}
	}
	var spill uint64
	u64("REDOFLOW_SPILL_THRESHOLD", &spill)
	c.Reader.SpillThreshold = int64(min(spill, 1<<62))
	u64("REDOFLOW_SCN_WINDOW_MIN", &c.Reader.WindowMin)
	u64("REDOFLOW_SCN_WINDOW_DEFAULT", &c.Reader.WindowDefault)
	u64("REDOFLOW_SCN_WINDOW_MAX", &c.Reader.WindowMax)
	dur := func(name string, dst *time.Duration) {
		if v, ok := lookup(name); ok && v != "" {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d <= 0 {
				errs = append(errs, &Error{name, v, "want a positive duration such as 200ms or 2s"})
				return
			}
			*dst = d
		}
	}
	dur("REDOFLOW_POLL_MIN", &c.Reader.PollMin)
	dur("REDOFLOW_POLL_MAX", &c.Reader.PollMax)
	num("REDOFLOW_RETRY_MAX", &c.Reader.RetryMax, 0, 1000)
	num("SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE", &c.Scan.ChunkSize, 1, 1<<30)
	num("SCAN_SNAPSHOT_FETCH_SIZE", &c.Scan.FetchSize, 1, 1<<20)
	return c, errors.Join(errs...)
}

// Validate checks what a running job needs: tables to capture and output
// and checkpoint directories it can write.
func (c Config) Validate() error {
	var errs []error
	if len(c.Tables) == 0 {
		errs = append(errs, &Error{"DATABASE_TABLES", "", "name at least one table, as TABLE or SCHEMA.TABLE, comma-separated"})
	}
	for _, d := range []struct{ name, dir string }{{"OUTPUT_PATH", c.OutputPath}, {"CHECKPOINT_DIR", c.CheckpointDir}, {"SAVEPOINT_DIR", c.SavepointDir}} {
		if err := writableDir(d.dir); err != nil {
			errs = append(errs, &Error{d.name, d.dir, err.Error()})
		}
	}
	return errors.Join(errs...)
}

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

// parseTables reads "T1,SCHEMA.T2" into SCHEMA.TABLE names.
func parseTables(v, schema string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		s, name, ok := strings.Cut(t, ".")
		if !ok {
			s, name = schema, t
		}
		if s == "" || name == "" || strings.Contains(name, ".") {
			return nil, fmt.Errorf("%q is not TABLE or SCHEMA.TABLE", t)
		}
		out = append(out, oracleName(s)+"."+oracleName(name))
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
