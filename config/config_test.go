package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/config"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The seed's .env works unchanged.
func TestSeedEnv(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"HA_MODE": "zookeeper", "HA_ZOOKEEPER_QUORUM": "zookeeper:2181", "HA_ZOOKEEPER_PATH_ROOT": "/flink",
		"HA_CLUSTER_ID": "/realtime-pipeline", "HA_STORAGE_DIR": "file:///opt/flink/ha",
		"DATABASE_HOST": "host.docker.internal", "DATABASE_PORT": "1521", "DATABASE_USERNAME": "system",
		"DATABASE_PASSWORD": "s3cret-pw", "DATABASE_SID": "helowin", "DATABASE_SCHEMA": "finance_user",
		"DATABASE_TABLES": "trans_info", "OUTPUT_PATH": "./output/cdc", "PARALLELISM_DEFAULT": "4",
		"CHECKPOINT_INTERVAL": "300000", "CHECKPOINT_DIR": "file:///opt/flink/checkpoints",
		"SAVEPOINT_DIR": "file:///opt/flink/savepoints", "REST_PORT": "8081", "TASK_MANAGER_NUMBER_OF_TASK_SLOTS": "4",
		"JOB_MANAGER_HEAP_SIZE": "1024m", "STATE_BACKEND": "hashmap",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HA.Mode != "zookeeper" || c.HA.Quorum[0] != "zookeeper:2181" || c.HA.ClusterID != "/realtime-pipeline" ||
		c.HAStorageDir != "/opt/flink/ha" || c.CheckpointDir != "/opt/flink/checkpoints" ||
		c.Tables[0] != "FINANCE_USER.TRANS_INFO" || c.CheckpointInterval != 300*time.Second ||
		c.Database.Port != 1521 || c.Slots != 4 || c.RestPort != 8081 {
		t.Fatalf("loaded %+v", c)
	}
	if c.Database.Password != "s3cret-pw" {
		t.Fatal("password not loaded")
	}
	if s := fmt.Sprintf("%v %s %+v %#v", c.Database.Password, c.Database.Password, c.Database, c); strings.Contains(s, "s3cret") {
		t.Fatalf("the password is printed: %s", s)
	}
}

func TestReaderSettings(t *testing.T) {
	c, err := config.Load(env(map[string]string{"REDOFLOW_LOG_FLUSH_TABLE": "CDC.FLUSH", "REDOFLOW_SPILL_THRESHOLD": "1048576",
		"REDOFLOW_SCN_WINDOW_MAX": "500000", "REDOFLOW_POLL_MIN": "50ms", "REDOFLOW_RETRY_MAX": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Reader
	if r.LogFlushTable != "CDC.FLUSH" || r.SpillThreshold != 1<<20 || r.WindowMax != 500000 || r.PollMin != 50*time.Millisecond || r.RetryMax != 3 {
		t.Fatalf("reader settings %+v", r)
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.CheckpointInterval != 10*time.Second || c.HA.Mode != "NONE" || c.OutputPath != "output/cdc" && c.OutputPath != "./output/cdc" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestBadValuesNameVariableAndValue(t *testing.T) {
	for name, tt := range map[string]struct {
		vars map[string]string
		want string
	}{
		"interval":  {map[string]string{"CHECKPOINT_INTERVAL": "10s"}, `CHECKPOINT_INTERVAL="10s"`},
		"port":      {map[string]string{"REST_PORT": "99999"}, `REST_PORT="99999"`},
		"ha mode":   {map[string]string{"HA_MODE": "etcd"}, `HA_MODE="etcd"`},
		"quorum":    {map[string]string{"HA_MODE": "zookeeper"}, `HA_ZOOKEEPER_QUORUM=""`},
		"tables":    {map[string]string{"DATABASE_TABLES": "A.B.C"}, `DATABASE_TABLES="A.B.C"`},
		"empty tbl": {map[string]string{"DATABASE_TABLES": " , "}, `DATABASE_TABLES=" , "`},
		"url":       {map[string]string{"OUTPUT_PATH": "s3://bucket/x"}, `OUTPUT_PATH="s3://bucket/x"`},
		"mode":      {map[string]string{"SCAN_STARTUP_MODE": "earliest"}, `SCAN_STARTUP_MODE="earliest"`},
		"no scn":    {map[string]string{"SCAN_STARTUP_MODE": "specific-offset"}, `SCAN_STARTUP_SPECIFIC_OFFSET_SCN=""`},
		"chunk":     {map[string]string{"SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE": "0"}, `SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE="0"`},
		"spill":     {map[string]string{"REDOFLOW_SPILL_THRESHOLD": "64MB"}, `REDOFLOW_SPILL_THRESHOLD="64MB"`},
		"poll":      {map[string]string{"REDOFLOW_POLL_MAX": "2"}, `REDOFLOW_POLL_MAX="2"`},
		// issue 14, input checks: each was accepted, or refused under another name.
		"roll size overflow": {map[string]string{"REDOFLOW_ROLL_SIZE_MB": "99999999999999"}, `REDOFLOW_ROLL_SIZE_MB="99999999999999"`},
		"roll age 1ns":       {map[string]string{"REDOFLOW_ROLL_AGE": "1ns"}, `REDOFLOW_ROLL_AGE="1ns"`},
		"job id path":        {map[string]string{"REDOFLOW_JOB_ID": "a/b"}, `REDOFLOW_JOB_ID="a/b"`},
		"job id dots":        {map[string]string{"REDOFLOW_JOB_ID": ".."}, `REDOFLOW_JOB_ID=".."`},
		"schema dotted":      {map[string]string{"DATABASE_SCHEMA": "a.b", "DATABASE_TABLES": "T"}, `DATABASE_SCHEMA="a.b"`},
		"table quote":        {map[string]string{"DATABASE_TABLES": `S."A""B"`}, `DATABASE_TABLES=`},
		"ha mode empty":      {map[string]string{"HA_MODE": ""}, `HA_MODE=""`},
		"host":               {map[string]string{"DATABASE_HOST": "bad host!"}, `DATABASE_HOST="bad host!"`},
		"sid":                {map[string]string{"DATABASE_SID": "ORCL)(X=1"}, `DATABASE_SID="ORCL)(X=1"`},
		"flush table":        {map[string]string{"REDOFLOW_LOG_FLUSH_TABLE": `CDC."F"";DROP"`}, `REDOFLOW_LOG_FLUSH_TABLE=`},
		"session overflow":   {map[string]string{"HA_ZOOKEEPER_SESSION_TIMEOUT": "18446744073710552"}, `HA_ZOOKEEPER_SESSION_TIMEOUT="18446744073710552"`},
		"scn above int64":    {map[string]string{"SCAN_STARTUP_SPECIFIC_OFFSET_SCN": "9223372036854775808"}, `SCAN_STARTUP_SPECIFIC_OFFSET_SCN="9223372036854775808"`},
		"window overflow":    {map[string]string{"REDOFLOW_SCN_WINDOW_MAX": "18446744073709551615"}, `REDOFLOW_SCN_WINDOW_MAX="18446744073709551615"`},
		"poll busy loop":     {map[string]string{"REDOFLOW_POLL_MIN": "1ns"}, `REDOFLOW_POLL_MIN="1ns"`},
		"query timeout zero": {map[string]string{"REDOFLOW_QUERY_TIMEOUT": "0s"}, `REDOFLOW_QUERY_TIMEOUT="0s"`},
		"query timeout neg":  {map[string]string{"REDOFLOW_QUERY_TIMEOUT": "-5s"}, `REDOFLOW_QUERY_TIMEOUT="-5s"`},
		"spill dir url":      {map[string]string{"REDOFLOW_SPILL_DIR": "s3://b/spill"}, `REDOFLOW_SPILL_DIR="s3://b/spill"`},
	} {
		_, err := config.Load(env(tt.vars))
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	c := config.Default()
	dir := t.TempDir()
	c.OutputPath, c.CheckpointDir, c.SavepointDir = filepath.Join(dir, "o"), filepath.Join(dir, "c"), filepath.Join(dir, "s")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "DATABASE_TABLES") {
		t.Fatalf("missing tables: %v", err)
	}
	c.Tables = []string{"S.T"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		c.OutputPath = ro
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "OUTPUT_PATH") {
			t.Fatalf("unwritable output: %v", err)
		}
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	c.OutputPath = filepath.Join(blocker, "sub")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "OUTPUT_PATH") {
		t.Fatalf("output under a file: %v", err)
	}
}

func TestClusterSettings(t *testing.T) {
	env := map[string]string{"HA_ZOOKEEPER_SESSION_TIMEOUT": "4000", "REDOFLOW_NODE_ID": "w1", "REDOFLOW_ADVERTISED_HOST": "10.0.0.5", "REDOFLOW_WORKER_PORT": "6200"}
	c, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.HA.SessionTimeout != 4*time.Second || c.Node.ID != "w1" || c.Node.AdvertisedHost != "10.0.0.5" || c.Node.WorkerPort != 6200 {
		t.Fatalf("got %+v %+v", c.HA, c.Node)
	}
	env["HA_ZOOKEEPER_SESSION_TIMEOUT"] = "6s"
	if c, err = config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil || c.HA.SessionTimeout != 6*time.Second {
		t.Fatalf("6s: %v %v", c.HA.SessionTimeout, err)
	}
	for _, bad := range []string{"500", "abc", "10m"} {
		env["HA_ZOOKEEPER_SESSION_TIMEOUT"] = bad
		_, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err == nil || !strings.Contains(err.Error(), "HA_ZOOKEEPER_SESSION_TIMEOUT") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestErrInvalidIsTheClass(t *testing.T) {
	_, err := config.Load(env(map[string]string{"REST_PORT": "99999", "HA_MODE": "etcd"}))
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("Load = %v, want an error matching ErrInvalid", err)
	}
	err = config.Invalid("worker", "TASK_MANAGER_NUMBER_OF_TASK_SLOTS is %d: use at least 1", 0)
	if want := "worker: invalid configuration: TASK_MANAGER_NUMBER_OF_TASK_SLOTS is 0: use at least 1"; err.Error() != want || !errors.Is(err, config.ErrInvalid) {
		t.Errorf("Invalid = %q (matches ErrInvalid: %v), want %q matching it", err, errors.Is(err, config.ErrInvalid), want)
	}
	if errors.Is(errors.New("invalid configuration"), config.ErrInvalid) {
		t.Error("an unrelated error matches ErrInvalid")
	}
}

// The overflow the issue found: REDOFLOW_ROLL_SIZE_MB=99999999999999 became a roll size
// of -5822864442258358272 bytes. The largest accepted value still fits.
func TestRollSizeFits(t *testing.T) {
	c, err := config.Load(env(map[string]string{"REDOFLOW_ROLL_SIZE_MB": "1048576", "REDOFLOW_ROLL_AGE": "100ms"}))
	if err != nil || c.RollSize != 1<<40 || c.RollAge != 100*time.Millisecond {
		t.Fatalf("Load = %d %v %v, want 1 TiB and 100ms", c.RollSize, c.RollAge, err)
	}
	if _, err := config.Load(env(map[string]string{"REDOFLOW_ROLL_SIZE_MB": "1048577"})); err == nil {
		t.Fatal("1048577 MiB accepted")
	}
}

// REDOFLOW_RETRY_MAX=0 means no retry: it was taken for "not set" and became 10.
func TestRetryMaxZeroIsKept(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil || c.Reader.RetryMax != -1 {
		t.Fatalf("default RetryMax = %d (%v), want -1 (the reader's default)", c.Reader.RetryMax, err)
	}
	c, err = config.Load(env(map[string]string{"REDOFLOW_RETRY_MAX": "0"}))
	if err != nil || c.Reader.RetryMax != 0 {
		t.Fatalf("REDOFLOW_RETRY_MAX=0: RetryMax = %d (%v), want 0", c.Reader.RetryMax, err)
	}
}

// Good names of every kind still pass.
func TestNamesAccepted(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"DATABASE_HOST": "host.docker.internal", "DATABASE_SID": "ORCLPDB1.localdomain", "DATABASE_SCHEMA": `"Finance"`,
		"DATABASE_TABLES": `TRANS_INFO,OTHER."Mixed Case"`, "REDOFLOW_JOB_ID": "finance-cdc_2.0",
		"REDOFLOW_LOG_FLUSH_TABLE": "CDC.REDOFLOW_FLUSH", "REDOFLOW_QUERY_TIMEOUT": "30s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.Schema != "Finance" || c.Tables[0] != "Finance.TRANS_INFO" || c.Tables[1] != "OTHER.Mixed Case" || c.Reader.QueryTimeout != 30*time.Second {
		t.Fatalf("loaded %+v %v %+v", c.Database, c.Tables, c.Reader)
	}
	for _, h := range []string{"10.0.0.5", "fd00::5", "db-1", "db_1.example.com."} {
		if _, err := config.Load(env(map[string]string{"DATABASE_HOST": h})); err != nil {
			t.Errorf("DATABASE_HOST=%q: %v", h, err)
		}
	}
}

// The names a process gives itself and the files it appends to are checked by Validate,
// after the flags, which may set them too.
func TestValidateNodeAndFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := config.Default()
	base.Tables = []string{"S.T"}
	base.OutputPath, base.CheckpointDir, base.SavepointDir = filepath.Join(dir, "o"), filepath.Join(dir, "c"), filepath.Join(dir, "s")
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		set  func(*config.Config)
		want string
	}{
		"node id":          {func(c *config.Config) { c.Node.ID = "a/b" }, `REDOFLOW_NODE_ID="a/b"`},
		"advertised host":  {func(c *config.Config) { c.Node.AdvertisedHost = "bad host!" }, `REDOFLOW_ADVERTISED_HOST="bad host!"`},
		"dead letter dir":  {func(c *config.Config) { c.Reader.DeadLetterPath = dir }, `REDOFLOW_DEAD_LETTER_PATH="` + dir + `"`},
		"dead letter file": {func(c *config.Config) { c.Reader.DeadLetterPath = filepath.Join(file, "dl.jsonl") }, `REDOFLOW_DEAD_LETTER_PATH="` + filepath.Join(file, "dl.jsonl")},
		"default dead letter": {func(c *config.Config) {
			os.MkdirAll(filepath.Join(c.OutputPath, "_dead_letter.jsonl"), 0o755)
		}, `OUTPUT_PATH="` + filepath.Join(dir, "o", "_dead_letter.jsonl")},
		"spill dir": {func(c *config.Config) { c.Reader.SpillDir = filepath.Join(file, "spill") }, `REDOFLOW_SPILL_DIR="` + filepath.Join(file, "spill")},
	} {
		c := base
		tt.set(&c)
		if err := c.Validate(); err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error naming %s", name, err, tt.want)
		}
		os.RemoveAll(filepath.Join(dir, "o", "_dead_letter.jsonl"))
	}
	// Fine: a dead-letter file that exists, one that does not yet (not created), an
	// IPv6 host, a host:port id.
	ok := base
	ok.Reader.DeadLetterPath = filepath.Join(dir, "dl", "x.jsonl")
	ok.Node.ID, ok.Node.AdvertisedHost = "[fd00::5]:6121", "fd00::5"
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ok.Reader.DeadLetterPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Validate created the dead-letter file: %v", err)
	}
}

func TestAsInvalid(t *testing.T) {
	inner := errors.New("logminer: invalid reader configuration: REDOFLOW_POLL_MAX is 1s, below REDOFLOW_POLL_MIN (5s)")
	err := config.AsInvalid(inner)
	if !errors.Is(err, config.ErrInvalid) || !errors.Is(err, inner) || err.Error() != inner.Error() {
		t.Errorf("AsInvalid = %v (ErrInvalid %v, inner %v)", err, errors.Is(err, config.ErrInvalid), errors.Is(err, inner))
	}
	if config.AsInvalid(nil) != nil {
		t.Error("AsInvalid(nil) != nil")
	}
}
