package rest

import "errors"

var (
	// ErrNotFound answers 404: no such job or savepoint trigger.
	ErrNotFound = errors.New("not found")
	// ErrConflict answers 409: the job is not in a state that allows the request.
	ErrConflict = errors.New("conflict")
)
