package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/internal/dirlock"
)

// TestRunBadConfiguration: a bad setting exits 2 with a message naming the
// variable and its value, before anything connects.
func TestRunBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	// A database is named (nothing listens there): a setting the job refuses only once
	// built would otherwise pass for a failure to connect.
	good := map[string]string{
		"DATABASE_TABLES": "TRANS_INFO", "OUTPUT_PATH": filepath.Join(dir, "out"),
		"CHECKPOINT_DIR": filepath.Join(dir, "chk"), "SAVEPOINT_DIR": filepath.Join(dir, "sp"),
		"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "1", "DATABASE_SID": "ORCLPDB1", "DATABASE_USERNAME": "cdc",
		"REDOFLOW_RETRY_MAX": "0",
	}
	for name, tt := range map[string]struct {
		set  map[string]string
		want string
	}{
		"tables missing":       {map[string]string{"DATABASE_TABLES": ""}, "DATABASE_TABLES"},
		"interval not numeric": {map[string]string{"CHECKPOINT_INTERVAL": "ten seconds"}, `CHECKPOINT_INTERVAL="ten seconds"`},
		"output unusable":      {map[string]string{"OUTPUT_PATH": filepath.Join(file, "cdc")}, "OUTPUT_PATH=" + `"` + filepath.Join(file, "cdc")},
		"no database":          {map[string]string{"DATABASE_HOST": ""}, "DATABASE_HOST"},
		// issue 14, input checks: each exited 1, or was accepted.
		"roll size overflow": {map[string]string{"REDOFLOW_ROLL_SIZE_MB": "99999999999999"}, `REDOFLOW_ROLL_SIZE_MB="99999999999999"`},
		"roll age":           {map[string]string{"REDOFLOW_ROLL_AGE": "1ns"}, `REDOFLOW_ROLL_AGE="1ns"`},
		"job id":             {map[string]string{"REDOFLOW_JOB_ID": "a/b"}, `REDOFLOW_JOB_ID="a/b"`},
		"window min":         {map[string]string{"REDOFLOW_SCN_WINDOW_MIN": "5000000"}, "REDOFLOW_SCN_WINDOW_MIN (5000000)"},
		"window max":         {map[string]string{"REDOFLOW_SCN_WINDOW_MAX": "500"}, "REDOFLOW_SCN_WINDOW_MAX (500)"},
		"poll min":           {map[string]string{"REDOFLOW_POLL_MIN": "5s"}, "REDOFLOW_POLL_MIN (5s)"},
		"spill dir":          {map[string]string{"REDOFLOW_SPILL_DIR": filepath.Join(file, "spill")}, `REDOFLOW_SPILL_DIR="` + filepath.Join(file, "spill")},
		"schema":             {map[string]string{"DATABASE_SCHEMA": "a.b"}, `DATABASE_SCHEMA="a.b"`},
		"ha mode empty":      {map[string]string{"HA_MODE": ""}, `HA_MODE=""`},
		"dead letter path":   {map[string]string{"REDOFLOW_DEAD_LETTER_PATH": dir}, `REDOFLOW_DEAD_LETTER_PATH="` + dir},
		"advertised host":    {map[string]string{"REDOFLOW_ADVERTISED_HOST": "bad host!"}, `REDOFLOW_ADVERTISED_HOST="bad host!"`},
		"node id":            {map[string]string{"REDOFLOW_NODE_ID": "a/b"}, `REDOFLOW_NODE_ID="a/b"`},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range good {
				t.Setenv(k, v)
			}
			for k, v := range tt.set {
				t.Setenv(k, v)
			}
			var out, errs bytes.Buffer
			code := realMain(context.Background(), []string{"run"}, &out, &errs)
			if code != exitUsage || !strings.Contains(errs.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d naming %s", code, errs.String(), exitUsage, tt.want)
			}
		})
	}
}

// TestRefusedWhileAnotherJobHoldsTheDirectories: run and demo take their
// directories' locks before anything else; held by another job, they exit 1
// naming the directory and the holder, and leave the directories alone.
func TestRefusedWhileAnotherJobHoldsTheDirectories(t *testing.T) {
	dir := t.TempDir()
	out, chk := filepath.Join(dir, "out"), filepath.Join(dir, "chk")
	t.Setenv("DATABASE_TABLES", "TRANS_INFO")
	t.Setenv("OUTPUT_PATH", out)
	t.Setenv("CHECKPOINT_DIR", chk)
	t.Setenv("SAVEPOINT_DIR", filepath.Join(dir, "sp"))
	t.Setenv("REDOFLOW_JOB_ID", "demo")
	if err := os.MkdirAll(filepath.Join(out, "FINANCE_USER.TRANS_INFO"), 0o755); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(out, "FINANCE_USER.TRANS_INFO", "part-0-0.csv")
	if err := os.WriteFile(kept, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"OUTPUT_PATH", "CHECKPOINT_DIR"} {
		held := out
		if what == "CHECKPOINT_DIR" {
			held = filepath.Join(chk, "demo")
			if err := os.MkdirAll(held, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		l, err := dirlock.Exclusive(held, what, "other")
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"run"}, {"demo", "--output", out, "--checkpoints", chk}} {
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), args, &stdout, &stderr)
			want := fmt.Sprintf("%s=%q is in use by another redoflow job (held by pid %d on host ", what, held, os.Getpid())
			if code != exitFailure || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "job other") {
				t.Errorf("%s while %s is held: exit %d, stderr %q; want %d and %q", args[0], what, code, stderr.String(), exitFailure, want)
			}
			if _, err := os.Stat(kept); err != nil {
				t.Fatalf("%s while %s is held removed the output: %v", args[0], what, err)
			}
		}
		l.Release()
	}
}

// runEnv sets the environment of a standalone job against the database at addr.
func runEnv(t *testing.T, addr string, set map[string]string) {
	t.Helper()
	dir := t.TempDir()
	host, port, _ := strings.Cut(addr, ":")
	for k, v := range map[string]string{
		"DATABASE_HOST": host, "DATABASE_PORT": port, "DATABASE_SID": "REDOFLOW", "DATABASE_USERNAME": "system",
		"DATABASE_PASSWORD": "helowin", "DATABASE_SCHEMA": "FINANCE_USER", "DATABASE_TABLES": "TRANS_INFO",
		"OUTPUT_PATH": filepath.Join(dir, "out"), "CHECKPOINT_DIR": filepath.Join(dir, "chk"), "SAVEPOINT_DIR": filepath.Join(dir, "sp"),
	} {
		t.Setenv(k, v)
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
}

// TestRunRestartsAsTheStrategyAllows: a retryable failure (the database refuses
// connections) runs the standalone job again as RESTART_STRATEGY allows; once it allows
// no more, the job FAILED and the command exits 1 saying so.
func TestRunRestartsAsTheStrategyAllows(t *testing.T) {
	runEnv(t, "127.0.0.1:"+freeTCPPort(t), map[string]string{"REDOFLOW_RETRY_MAX": "0", "RESTART_STRATEGY": "fixed-delay",
		"RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS": "2", "RESTART_STRATEGY_FIXED_DELAY_DELAY": "10 ms"})
	code, _, stderr := run(t, "run")
	if code != exitFailure || !strings.Contains(stderr, "job FAILED: the restart strategy fixed-delay(attempts=2, delay=10ms) allows no more restarts") {
		t.Fatalf("exit %d; want %d and the strategy's verdict", code, exitFailure)
	}
	if n := strings.Count(stderr, `msg="job starting"`); n != 3 {
		t.Errorf("the job started %d times, want 3 (2 restarts)", n)
	}
}

// TestRunFatalErrorIsNotRestarted: a fatal error (a table that is not there) fails the
// standalone job at once, whatever the strategy (the default restarts without limit).
func TestRunFatalErrorIsNotRestarted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runEnv(t, startSim(t, ctx), map[string]string{"DATABASE_TABLES": "NO_SUCH_TABLE"})
	code, _, stderr := run(t, "run")
	if code != exitFailure || !strings.Contains(stderr, "job FAILED and not restarted: the error is fatal") || !strings.Contains(stderr, "NO_SUCH_TABLE") {
		t.Fatalf("exit %d; want %d and a fatal error naming the table", code, exitFailure)
	}
	if n := strings.Count(stderr, `msg="job starting"`); n != 1 {
		t.Errorf("the job started %d times, want 1", n)
	}
}
