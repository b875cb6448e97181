package checkpoint_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/checkpoint"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sample(id int64) checkpoint.Metadata {
	return checkpoint.Metadata{
		JobID:  "trans-info",
		ID:     id,
		Time:   time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC),
		Source: json.RawMessage(`{"restart_scn":1000,"commit_scn":1042}`),
		Sinks:  map[string]json.RawMessage{"task-0": json.RawMessage(`{"parts":[]}`)},
	}
}

// TestEncodeGolden pins the _metadata file format.
func TestEncodeGolden(t *testing.T) {
	b, err := checkpoint.Encode(sample(7))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "metadata.golden")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded metadata differs from %s:\n%s", golden, b)
	}
	m, err := checkpoint.Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	var src bytes.Buffer
	if err := json.Compact(&src, m.Source); err != nil {
		t.Fatal(err)
	}
	if m.ID != 7 || m.JobID != "trans-info" || src.String() != `{"restart_scn":1000,"commit_scn":1042}` {
		t.Fatalf("decoded %+v", m)
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	good, err := checkpoint.Encode(sample(1))
	if err != nil {
		t.Fatal(err)
	}
	flip := bytes.Clone(good)
	flip[len(flip)-5] ^= 0x20
	for name, b := range map[string][]byte{
		"torn":      good[:len(good)-10],
		"bit flip":  flip,
		"empty":     nil,
		"no header": good[bytes.IndexByte(good, '\n')+1:],
		"appended":  append(bytes.Clone(good), "x"...),
	} {
		if _, err := checkpoint.Decode(b); !errors.Is(err, checkpoint.ErrCorrupt) {
			t.Errorf("%s: Decode error %v, want ErrCorrupt", name, err)
		}
	}
}

func newStore(t *testing.T, retain int) *checkpoint.Store {
	t.Helper()
	cfg := checkpoint.DefaultConfig()
	cfg.Dir, cfg.JobID, cfg.Retain = t.TempDir(), "trans-info", retain
	s, err := checkpoint.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreLatestAndRetention(t *testing.T) {
	s := newStore(t, 3)
	if _, _, err := s.Latest(); !errors.Is(err, checkpoint.ErrNoCheckpoint) {
		t.Fatalf("Latest on empty store: %v", err)
	}
	for id := int64(1); id <= 5; id++ {
		if _, err := s.Save(sample(id)); err != nil {
			t.Fatal(err)
		}
	}
	m, path, err := s.Latest()
	if err != nil || m.ID != 5 || filepath.Base(path) != "chk-5" {
		t.Fatalf("Latest = %d %s %v, want 5", m.ID, path, err)
	}
	ents, _ := os.ReadDir(s.Dir())
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "chk-3,chk-4,chk-5" {
		t.Fatalf("kept %v, want the newest 3", names)
	}
}

// A crash while writing checkpoint 6 leaves a torn file; Latest falls back
// to checkpoint 5.
func TestStoreSkipsTornCheckpoint(t *testing.T) {
	s := newStore(t, 3)
	if _, err := s.Save(sample(5)); err != nil {
		t.Fatal(err)
	}
	good, _ := checkpoint.Encode(sample(6))
	torn := filepath.Join(s.Dir(), "chk-6")
	if err := os.MkdirAll(torn, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(torn, "_metadata"), good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// A leftover tmp file from an interrupted write is not a checkpoint.
	if err := os.MkdirAll(filepath.Join(s.Dir(), "chk-7"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "chk-7", "_metadata.tmp"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	m, _, err := s.Latest()
	if err != nil || m.ID != 5 {
		t.Fatalf("Latest = %d, %v; want 5", m.ID, err)
	}
}

func TestSavepointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path, err := checkpoint.SaveSavepoint(dir, sample(9))
	if err != nil {
		t.Fatal(err)
	}
	m, err := checkpoint.Load(path)
	if err != nil || !m.Savepoint || m.ID != 9 {
		t.Fatalf("Load(%s) = %+v, %v", path, m, err)
	}
}

func TestConfigValidateNamesTheSetting(t *testing.T) {
	cfg := checkpoint.DefaultConfig()
	cfg.JobID = "j"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "CHECKPOINT_DIR") {
		t.Errorf("empty dir: %v", err)
	}
	cfg.Dir, cfg.JobID = "/tmp", "../x"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"../x"`) {
		t.Errorf("bad job id: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := checkpoint.Encode(sample(3))
	f.Add(good)
	f.Add([]byte("redoflow-checkpoint v1 len=2 crc32c=00000000\n{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := checkpoint.Decode(b)
		if err != nil {
			if !errors.Is(err, checkpoint.ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			return
		}
		// What decodes must encode and decode to the same metadata.
		again, err := checkpoint.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := checkpoint.Decode(again); err != nil {
			t.Fatalf("re-encoded metadata does not decode: %v", err)
		}
	})
}

// TestStoreLatestNoneReadable: without a readable checkpoint Latest says
// why: none in the directory, or how many there are, none readable, and
// why the newest is not.
func TestStoreLatestNoneReadable(t *testing.T) {
	s := newStore(t, 3)
	if _, _, err := s.Latest(); !errors.Is(err, checkpoint.ErrNoCheckpoint) || !strings.Contains(err.Error(), s.Dir()) {
		t.Fatalf("empty store: %v", err)
	}
	for id := int64(1); id <= 2; id++ {
		if _, err := s.Save(sample(id)); err != nil {
			t.Fatal(err)
		}
		meta := filepath.Join(s.Dir(), "chk-"+strconv.FormatInt(id, 10), "_metadata")
		b, _ := os.ReadFile(meta)
		b[len(b)-2] ^= 0x20
		if err := os.WriteFile(meta, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := s.Latest()
	var ue *checkpoint.UnreadableError
	if !errors.As(err, &ue) || !errors.Is(err, checkpoint.ErrNoCheckpoint) || !errors.Is(err, checkpoint.ErrCorrupt) ||
		len(ue.IDs) != 2 || ue.IDs[1] != 2 || !strings.Contains(err.Error(), "none of the 2 checkpoints") {
		t.Fatalf("all damaged: %v", err)
	}
}
