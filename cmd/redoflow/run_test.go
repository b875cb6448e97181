package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunBadConfiguration: a bad setting exits 2 with a message naming the
// variable and its value, before anything connects.
func TestRunBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	good := map[string]string{
		"DATABASE_TABLES": "TRANS_INFO", "OUTPUT_PATH": filepath.Join(dir, "out"),
		"CHECKPOINT_DIR": filepath.Join(dir, "chk"), "SAVEPOINT_DIR": filepath.Join(dir, "sp"),
	}
	for name, tt := range map[string]struct {
		set  map[string]string
		want string
	}{
		"tables missing":       {map[string]string{"DATABASE_TABLES": ""}, "DATABASE_TABLES"},
		"interval not numeric": {map[string]string{"CHECKPOINT_INTERVAL": "ten seconds"}, `CHECKPOINT_INTERVAL="ten seconds"`},
		"output unusable":      {map[string]string{"OUTPUT_PATH": filepath.Join(file, "cdc")}, "OUTPUT_PATH=" + `"` + filepath.Join(file, "cdc")},
		"no database":          {map[string]string{"DATABASE_HOST": ""}, "DATABASE_HOST"},
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
