package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"
)

// Metadata is what a completed checkpoint records.
type Metadata struct {
	JobID string    `json:"job_id"`
	ID    int64     `json:"id"` // checkpoint number, increasing per job
	Time  time.Time `json:"time"`
	// Savepoint is true for metadata written as a savepoint.
	Savepoint bool `json:"savepoint,omitempty"`
	// Source is the source's position, as the source encodes it.
	Source json.RawMessage `json:"source"`
	// Sinks holds each task's sink state by task id.
	Sinks map[string]json.RawMessage `json:"sinks,omitempty"`
	// Extra holds other components' state by name (snapshot chunks ...).
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

const magic = "redoflow-checkpoint"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode renders m as the _metadata file: the header line
// "redoflow-checkpoint v1 len=<n> crc32c=<8 hex>" and the JSON payload.
func Encode(m Metadata) ([]byte, error) {
	payload, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encode metadata: %w", err)
	}
	payload = append(payload, '\n')
	header := fmt.Sprintf("%s v1 len=%d crc32c=%08x\n", magic, len(payload), crc32.Checksum(payload, castagnoli))
	return append([]byte(header), payload...), nil
}

// Decode reads a _metadata file, checking its header, length and CRC.
func Decode(b []byte) (Metadata, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 || nl > 128 {
		return Metadata{}, fmt.Errorf("%w: no header line", ErrCorrupt)
	}
	fields := bytes.Fields(b[:nl])
	if len(fields) != 4 || string(fields[0]) != magic || string(fields[1]) != "v1" ||
		!bytes.HasPrefix(fields[2], []byte("len=")) || !bytes.HasPrefix(fields[3], []byte("crc32c=")) {
		return Metadata{}, fmt.Errorf("%w: bad header %q", ErrCorrupt, b[:nl])
	}
	n, err := strconv.Atoi(string(fields[2][4:]))
	payload := b[nl+1:]
	if err != nil || n != len(payload) {
		return Metadata{}, fmt.Errorf("%w: payload is %d bytes, header says %s", ErrCorrupt, len(payload), fields[2][4:])
	}
	crc, err := strconv.ParseUint(string(fields[3][7:]), 16, 32)
	if err != nil || uint32(crc) != crc32.Checksum(payload, castagnoli) {
		return Metadata{}, fmt.Errorf("%w: CRC mismatch", ErrCorrupt)
	}
	var m Metadata
	if err := json.Unmarshal(payload, &m); err != nil {
		return Metadata{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return m, nil
}
