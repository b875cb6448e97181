// Package oracletype owns the canonical text forms redoflow writes for
// Oracle values, whether they came from the redo or from a query: exact
// decimals (CanonicalDecimal) and ISO 8601 datetimes (AppendDateTime). It
// imports only the standard library.
package oracletype
