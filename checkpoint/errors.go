package checkpoint

import "errors"

// ErrNoCheckpoint is returned by Latest when no completed checkpoint exists.
var ErrNoCheckpoint = errors.New("checkpoint: no completed checkpoint")

// ErrCorrupt is matched by errors for metadata that fails its header,
// length or CRC check.
var ErrCorrupt = errors.New("checkpoint: corrupt metadata")
