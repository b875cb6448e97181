package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestSimClearsTheTruthDir: a sim with --truth removes the truth an
// earlier run left in the directory, by name, before it records a new
// one: a run cut short leaves no old _changes/ or dumps to be taken for
// its own. Files it does not write stay.
func TestSimClearsTheTruthDir(t *testing.T) {
	dir := t.TempDir()
	stale := []string{"_final_scn", "_final_scn.tmp", "_keys.json", "_keys.json.tmp", "_start_scn", "_start_scn.tmp",
		"FINANCE_USER.TRANS_INFO.csv", "FINANCE_USER.TRANS_LOG.csv",
		"_changes/FINANCE_USER.TRANS_INFO.csv", "_changes/FINANCE_USER.TRANS_LOG.csv", "_changes.tmp/FINANCE_USER.TRANS_INFO.csv"}
	kept := []string{"notes.txt", "S.OTHER.csv", "_changes.old/FINANCE_USER.TRANS_INFO.csv"}
	for _, f := range append(stale, kept...) {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sf := simFlags{changes: 10, seed: 1, threads: 1, concurrency: 4, truth: dir}
	db, _, changes, err := sf.newDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer changes.Close()
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "_changes")); !os.IsNotExist(err) {
		t.Errorf("_changes/ is still there: %v", err)
	}
	for _, f := range kept {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != "old\n" {
			t.Errorf("%s: %q, %v", f, b, err)
		}
	}
}
