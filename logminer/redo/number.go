package redo

import "github.com/redoflow/redoflow/oracletype"

// decodeNumber returns the canonical decimal text of a NUMBER literal.
func decodeNumber(t Type, raw string) (string, error) {
	s, err := oracletype.CanonicalDecimal(raw)
	if err != nil {
		return "", decodeErr(t.Name, raw, "not a decimal number")
	}
	return s, nil
}
