package oracletype

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// ValueText returns the canonical text of v, a non-NULL value of type t as
// a database/sql driver returns it from a query (go-ora's shapes: NUMBER
// and FLOAT as a decimal string, BINARY_FLOAT float32 or float64,
// BINARY_DOUBLE float64, datetimes time.Time, character data string,
// binary data []byte, intervals Oracle's text). It is the text the redo
// decoder gives for the same value.
func (t Type) ValueText(v any) (string, error) {
	switch t.Kind {
	case Number:
		s, err := CanonicalDecimal(numberText(v))
		if err != nil {
			return "", fmt.Errorf("%s value %v: %w", t.Name, v, err)
		}
		return s, nil
	case Float32, Float64:
		bits := 64
		if t.Kind == Float32 {
			bits = 32
		}
		switch f := v.(type) {
		case float32:
			return strconv.FormatFloat(float64(f), 'g', -1, bits), nil
		case float64:
			return strconv.FormatFloat(f, 'g', -1, bits), nil
		}
	case Date, Timestamp, TimestampTZ, TimestampLTZ:
		if tm, ok := v.(time.Time); ok {
			return string(AppendDateTime(nil, tm, t.Kind != Date, t.Kind == TimestampTZ)), nil
		}
	case Text, Interval:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case Binary:
		if b, ok := v.([]byte); ok {
			return hex.EncodeToString(b), nil
		}
	}
	return "", fmt.Errorf("%s: unexpected driver value %T", t.Name, v)
}

func numberText(v any) string {
	switch n := v.(type) {
	case string:
		return n
	case []byte:
		return string(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case uint64:
		return strconv.FormatUint(n, 10)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
