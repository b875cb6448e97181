package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/sink/csv"
)

// CSVSink adapts the CSV sink to Sink.
type CSVSink struct{ S *csv.Sink }

// Restore implements Sink.
func (c CSVSink) Restore(_ context.Context, state []byte) error {
	if len(state) == 0 || string(state) == "null" {
		// A fresh start: earlier output stays, numbering goes on after it,
		// and uncommitted leftovers are swept when a table is first written.
		return nil
	}
	var st csv.State
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("csv sink state: %w", err)
	}
	return c.S.Restore(st)
}

// Write implements Sink.
func (c CSVSink) Write(_ context.Context, ev *change.Event) error { return c.S.Write(ev) }

// Finish implements Finisher: the final checkpoint publishes every file.
func (c CSVSink) Finish(context.Context) error { return c.S.FinishAll() }

// PreCommit implements Sink.
func (c CSVSink) PreCommit(context.Context) ([]byte, error) {
	st, err := c.S.PreCommit()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Commit implements Sink.
func (c CSVSink) Commit(_ context.Context, state []byte) error {
	var st csv.State
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("csv sink state: %w", err)
	}
	return c.S.Commit(st)
}
