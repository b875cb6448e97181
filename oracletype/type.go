package oracletype

import (
	"errors"
	"fmt"
)

// Kind is the family of an Oracle data type: it decides how a value of the
// type is decoded from the redo, read from a query, and written as text.
type Kind uint8

// The kinds redoflow captures. Invalid is the zero value, never the kind of
// a type Parse accepts.
const (
	Invalid      Kind = iota
	Number            // NUMBER, FLOAT
	Float32           // BINARY_FLOAT
	Float64           // BINARY_DOUBLE
	Date              // DATE
	Timestamp         // TIMESTAMP(p)
	TimestampTZ       // TIMESTAMP(p) WITH TIME ZONE
	TimestampLTZ      // TIMESTAMP(p) WITH LOCAL TIME ZONE
	Text              // VARCHAR2, NVARCHAR2, CHAR, NCHAR, CLOB, NCLOB, LONG
	Binary            // RAW, BLOB, LONG RAW
	Interval          // INTERVAL YEAR(p) TO MONTH, INTERVAL DAY(p) TO SECOND(s)
)

var kindNames = [...]string{"Invalid", "Number", "Float32", "Float64", "Date", "Timestamp",
	"TimestampTZ", "TimestampLTZ", "Text", "Binary", "Interval"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Type is a resolved Oracle data type. Resolve it once per column with
// Parse and use it for every value of the column.
type Type struct {
	Name string // as given, e.g. "TIMESTAMP(6) WITH TIME ZONE"
	Kind Kind
}

// ErrUnsupported is matched (errors.Is) by the error of Parse and
// ParseColumn for a data type redoflow does not capture.
var ErrUnsupported = errors.New("unsupported Oracle data type")

// UnsupportedError reports a data type redoflow does not capture, and the
// column that has it when known. The stream and the snapshot fail a table
// with the same error.
type UnsupportedError struct {
	Table    string // SCHEMA.TABLE, or "" when not known
	Column   string
	DataType string // as given
}

func (e *UnsupportedError) Error() string {
	if e.Table == "" && e.Column == "" {
		return fmt.Sprintf("data type %s, which redoflow does not capture", e.DataType)
	}
	return fmt.Sprintf("%s column %s has data type %s, which redoflow does not capture", e.Table, e.Column, e.DataType)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// ParseColumn is Parse for the column of a table: its error names them.
func ParseColumn(table, column, dataType string) (Type, error) {
	t, err := Parse(dataType)
	if err != nil {
		return t, &UnsupportedError{Table: table, Column: column, DataType: dataType}
	}
	return t, nil
}

// Parse resolves a data type as ALL_TAB_COLUMNS.DATA_TYPE spells it (see
// the package documentation for the names it accepts), in any letter case,
// with any white space between words and with or without the arguments in
// parentheses. An error is an *UnsupportedError.
func Parse(dataType string) (Type, error) {
	t := Type{Name: dataType}
	// The spellings ALL_TAB_COLUMNS uses most, without normalizing.
	switch dataType {
	case "NUMBER", "FLOAT":
		t.Kind = Number
	case "VARCHAR2", "NVARCHAR2", "CHAR", "NCHAR", "CLOB", "NCLOB":
		t.Kind = Text
	case "DATE":
		t.Kind = Date
	case "TIMESTAMP(6)":
		t.Kind = Timestamp
	case "TIMESTAMP(6) WITH TIME ZONE":
		t.Kind = TimestampTZ
	case "RAW", "BLOB":
		t.Kind = Binary
	default:
		var buf [64]byte
		name, ok := normalize(buf[:0], dataType)
		if ok {
			t.Kind = names[string(name)] // no allocation: a map index by string(bytes)
		}
	}
	if t.Kind == Invalid {
		return t, &UnsupportedError{DataType: dataType}
	}
	return t, nil
}

// names maps a normalized data type name to its kind: the names
// ALL_TAB_COLUMNS reports, and the ANSI names Oracle converts to them.
var names = map[string]Kind{
	// What ALL_TAB_COLUMNS.DATA_TYPE reports.
	"NUMBER":                         Number,
	"FLOAT":                          Number,
	"BINARY_FLOAT":                   Float32,
	"BINARY_DOUBLE":                  Float64,
	"DATE":                           Date,
	"TIMESTAMP":                      Timestamp,
	"TIMESTAMP WITH TIME ZONE":       TimestampTZ,
	"TIMESTAMP WITH LOCAL TIME ZONE": TimestampLTZ,
	"VARCHAR2":                       Text,
	"NVARCHAR2":                      Text,
	"CHAR":                           Text,
	"NCHAR":                          Text,
	"CLOB":                           Text,
	"NCLOB":                          Text,
	"LONG":                           Text,
	"RAW":                            Binary,
	"BLOB":                           Binary,
	"LONG RAW":                       Binary,
	"INTERVAL YEAR TO MONTH":         Interval,
	"INTERVAL DAY TO SECOND":         Interval,

	// ANSI names, which Oracle stores as the type on the right.
	"VARCHAR":                    Text,   // VARCHAR2
	"CHARACTER":                  Text,   // CHAR
	"CHARACTER VARYING":          Text,   // VARCHAR2
	"CHAR VARYING":               Text,   // VARCHAR2
	"NATIONAL CHARACTER":         Text,   // NCHAR
	"NATIONAL CHAR":              Text,   // NCHAR
	"NATIONAL CHARACTER VARYING": Text,   // NVARCHAR2
	"NATIONAL CHAR VARYING":      Text,   // NVARCHAR2
	"NCHAR VARYING":              Text,   // NVARCHAR2
	"NUMERIC":                    Number, // NUMBER(p,s)
	"DECIMAL":                    Number, // NUMBER(p,s)
	"DEC":                        Number, // NUMBER(p,s)
	"INTEGER":                    Number, // NUMBER(38)
	"INT":                        Number, // NUMBER(38)
	"SMALLINT":                   Number, // NUMBER(38)
	"DOUBLE PRECISION":           Number, // FLOAT(126)
	"REAL":                       Number, // FLOAT(63)
}

// normalize appends to b the data type name s in upper case, with its
// parenthesized arguments removed and each run of white space made one
// space: "timestamp (6)  with time zone" is "TIMESTAMP WITH TIME ZONE". It
// reports false for an unbalanced parenthesis or a name longer than b's
// capacity.
func normalize(b []byte, s string) ([]byte, bool) {
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			j := i + 1
			for j < len(s) && s[j] != ')' && s[j] != '(' {
				j++
			}
			if j == len(s) || s[j] != ')' {
				return b, false
			}
			i = j
			space = true
			continue
		case c == ')':
			return b, false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			space = true
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		if space && len(b) > 0 {
			if len(b) == cap(b) {
				return b, false
			}
			b = append(b, ' ')
		}
		space = false
		if len(b) == cap(b) {
			return b, false
		}
		b = append(b, c)
	}
	return b, true
}
