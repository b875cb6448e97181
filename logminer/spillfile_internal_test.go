package logminer

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestSpillLeftoversRemoved: on start a reader removes the spill files no
// live process holds (left by a killed reader), and keeps those a running
// reader holds, and every other file.
func TestSpillLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, "redoflow-txn-123.spill")
	if err := os.WriteFile(left, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := createSpill(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	other := filepath.Join(dir, "redoflow-other.spill")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removeSpillLeftovers(dir, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover spill file: %v, want removed", err)
	}
	for _, keep := range []string{live.Name(), other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s: %v, want kept", keep, err)
		}
	}
}
