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
