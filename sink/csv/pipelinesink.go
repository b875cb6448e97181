package csv

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redoflow/redoflow/change"
)

// PipelineSink is a Sink with the method set of pipeline.Sink and
// pipeline.Finisher: states travel as the JSON of State. It satisfies them
// structurally; this package does not import pipeline.
type PipelineSink struct{ S *Sink }

// Restore implements pipeline.Sink.
func (c PipelineSink) Restore(_ context.Context, state []byte) error {
	if len(state) == 0 || string(state) == "null" {
		// A fresh start: refused over committed output, which it would
		// write again; uncommitted leftovers are swept when a table is
		// first written.
		return c.S.StartFresh()
	}
	var st State
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("csv sink state: %w", err)
	}
	return c.S.Restore(st)
}

// Write implements pipeline.Sink.
func (c PipelineSink) Write(_ context.Context, ev *change.Event) error { return c.S.Write(ev) }

// Finish implements pipeline.Finisher: the final checkpoint publishes every file.
func (c PipelineSink) Finish(context.Context) error { return c.S.FinishAll() }

// PreCommit implements pipeline.Sink.
func (c PipelineSink) PreCommit(context.Context) ([]byte, error) {
	st, err := c.S.PreCommit()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Commit implements pipeline.Sink.
func (c PipelineSink) Commit(_ context.Context, state []byte) error {
	var st State
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("csv sink state: %w", err)
	}
	return c.S.Commit(st)
}
