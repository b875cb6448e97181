package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/redoflow/redoflow/internal/fsx"
)

// Config configures a Store.
type Config struct {
	Dir    string       // CHECKPOINT_DIR
	JobID  string       // checkpoints live in Dir/<JobID>/
	Retain int          // completed checkpoints kept (default 3)
	Logger *slog.Logger // nil: discard
}

// DefaultConfig returns the defaults: keep the newest 3 checkpoints.
func DefaultConfig() Config { return Config{Retain: 3} }

// Validate reports a configuration that cannot work, naming the setting.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("checkpoint: CHECKPOINT_DIR is empty: name a directory every process can reach")
	case c.JobID == "" || strings.ContainsAny(c.JobID, `/\`) || c.JobID == "." || c.JobID == "..":
		return fmt.Errorf("checkpoint: job id %q is not a valid directory name", c.JobID)
	case c.Retain < 1:
		return fmt.Errorf("checkpoint: retain %d: keep at least 1 checkpoint", c.Retain)
	}
	return nil
}

// Store reads and writes a job's checkpoints.
type Store struct {
	cfg Config
	dir string
	log *slog.Logger
}

// NewStore checks cfg and creates the job's checkpoint directory.
func NewStore(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Dir, cfg.JobID)
	if err := mkdirSync(dir); err != nil {
		return nil, fmt.Errorf("checkpoint: CHECKPOINT_DIR %q: %w", cfg.Dir, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{cfg: cfg, dir: dir, log: log}, nil
}

// Dir is the job's checkpoint directory.
func (s *Store) Dir() string { return s.dir }

// Save writes m as checkpoint m.ID crash-safely, then prunes old ones. When
// Save returns nil the checkpoint is durable and complete.
func (s *Store) Save(m Metadata) (string, error) {
	m.JobID = s.cfg.JobID
	path := filepath.Join(s.dir, "chk-"+strconv.FormatInt(m.ID, 10))
	if err := writeMetadata(path, m); err != nil {
		return "", err
	}
	s.prune()
	return path, nil
}

// Latest returns the newest checkpoint whose metadata checks out. Corrupt
// or torn ones (a crash during Save) are logged and skipped. Without one it
// returns an error matching ErrNoCheckpoint: an *UnreadableError when there
// were checkpoints, none of them readable.
func (s *Store) Latest() (Metadata, string, error) {
	ids, err := s.list()
	if err != nil {
		return Metadata{}, "", err
	}
	var newest error
	for i := len(ids) - 1; i >= 0; i-- {
		path := filepath.Join(s.dir, "chk-"+strconv.FormatInt(ids[i], 10))
		m, err := Load(path)
		if err != nil {
			s.log.Warn("skipping unreadable checkpoint", "path", path, "err", err)
			if newest == nil {
				newest = err
			}
			continue
		}
		return m, path, nil
	}
	if len(ids) > 0 {
		return Metadata{}, "", &UnreadableError{Dir: s.dir, IDs: ids, Err: newest}
	}
	return Metadata{}, "", fmt.Errorf("%w in %s", ErrNoCheckpoint, s.dir)
}

// SaveSavepoint writes m as a savepoint under dir/savepoint-<job>-<id>.
func SaveSavepoint(dir string, m Metadata) (string, error) {
	m.Savepoint = true
	path := filepath.Join(dir, fmt.Sprintf("savepoint-%s-%d", m.JobID, m.ID))
	if err := mkdirSync(dir); err != nil {
		return "", fmt.Errorf("checkpoint: SAVEPOINT_DIR %q: %w", dir, err)
	}
	if err := writeMetadata(path, m); err != nil {
		return "", err
	}
	return path, nil
}

// Load reads the metadata of a checkpoint or savepoint directory.
func Load(path string) (Metadata, error) {
	b, err := os.ReadFile(filepath.Join(path, "_metadata"))
	if err != nil {
		return Metadata{}, fmt.Errorf("checkpoint: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (s *Store) list() ([]int64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ids []int64
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), "chk-")
		if !ok || !e.IsDir() {
			continue
		}
		if id, err := strconv.ParseInt(n, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// prune removes all but the newest Retain checkpoints. A failure only costs
// disk space, so it is logged, not returned.
func (s *Store) prune() {
	ids, err := s.list()
	if err != nil {
		s.log.Warn("listing checkpoints for pruning", "err", err)
		return
	}
	for len(ids) > s.cfg.Retain {
		path := filepath.Join(s.dir, "chk-"+strconv.FormatInt(ids[0], 10))
		if err := os.RemoveAll(path); err != nil {
			s.log.Warn("pruning checkpoint", "path", path, "err", err)
		}
		ids = ids[1:]
	}
}

// writeMetadata writes dir/_metadata: tmp file, fsync, rename, fsync dir.
func writeMetadata(dir string, m Metadata) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	if err := mkdirSync(dir); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := fsx.WriteFile(filepath.Join(dir, "_metadata"), b); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", dir, err)
	}
	return nil
}

// mkdirSync creates dir and fsyncs its parent so the entry survives a crash.
func mkdirSync(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fsx.SyncDir(filepath.Dir(dir))
}
