package change

import "context"

// Position is a source's resume position, encoded by the source (JSON) and
// stored opaquely in checkpoints. A nil Position means "from the start the
// source's configuration names".
type Position []byte

// Handler receives what a source reads, in commit order.
//
// Change is called for each change of a committed transaction, in order
// (Seq 0, 1, ...). Boundary is called after the last change of each
// transaction, and also when the source has mined further without finding
// a transaction (so idle streams still advance): pos is where to resume so
// that everything handed over so far is neither lost nor repeated. Between
// a Boundary and the next Change the handler may take a checkpoint.
//
// The *Event passed to Change, and its Row, are only valid during the call:
// a handler that keeps them copies them. Either method may block (back
// pressure) and returns an error to stop the source.
type Handler interface {
	Change(ctx context.Context, ev *Event) error
	Boundary(ctx context.Context, pos Position) error
}
