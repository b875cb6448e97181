package redo

import (
	"strconv"
	"strings"
)

// Kind is the family of an Oracle data type, which decides how its literal
// is decoded.
type Kind uint8

// The kinds DecodeLiteral knows.
const (
	KindInvalid      Kind = iota
	KindNumber            // NUMBER, FLOAT, INTEGER, DECIMAL ...
	KindFloat32           // BINARY_FLOAT
	KindFloat64           // BINARY_DOUBLE
	KindDate              // DATE
	KindTimestamp         // TIMESTAMP(p)
	KindTimestampTZ       // TIMESTAMP(p) WITH TIME ZONE
	KindTimestampLTZ      // TIMESTAMP(p) WITH LOCAL TIME ZONE
	KindText              // VARCHAR2, NVARCHAR2, CHAR, NCHAR, CLOB, NCLOB, LONG
	KindBinary            // RAW, BLOB, LONG RAW
	KindInterval          // INTERVAL YEAR TO MONTH, INTERVAL DAY TO SECOND
)

// Type is a resolved Oracle data type. Resolve it once per column with
// ParseType and decode many values with it.
type Type struct {
	Name string // as given, e.g. "TIMESTAMP(6) WITH TIME ZONE"
	Kind Kind
}

// ParseType resolves a DATA_TYPE as ALL_TAB_COLUMNS spells it.
func ParseType(oracleType string) (Type, error) {
	t := Type{Name: oracleType}
	// Fast path for the spellings ALL_TAB_COLUMNS uses.
	switch oracleType {
	case "NUMBER", "FLOAT":
		t.Kind = KindNumber
		return t, nil
	case "VARCHAR2", "NVARCHAR2", "CHAR", "NCHAR", "CLOB", "NCLOB":
		t.Kind = KindText
		return t, nil
	case "DATE":
		t.Kind = KindDate
		return t, nil
	}
	u := strings.ToUpper(strings.TrimSpace(oracleType))
	base := u
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "NUMBER", "FLOAT", "INTEGER", "INT", "SMALLINT", "DECIMAL", "DEC", "NUMERIC", "REAL", "DOUBLE":
		t.Kind = KindNumber
	case "BINARY_FLOAT":
		t.Kind = KindFloat32
	case "BINARY_DOUBLE":
		t.Kind = KindFloat64
	case "DATE":
		t.Kind = KindDate
	case "TIMESTAMP":
		switch {
		case strings.HasSuffix(u, "WITH LOCAL TIME ZONE"):
			t.Kind = KindTimestampLTZ
		case strings.HasSuffix(u, "WITH TIME ZONE"):
			t.Kind = KindTimestampTZ
		default:
			t.Kind = KindTimestamp
		}
	case "VARCHAR2", "VARCHAR", "NVARCHAR2", "CHAR", "NCHAR", "CLOB", "NCLOB", "CHARACTER":
		t.Kind = KindText
	case "LONG":
		if strings.Contains(u, "RAW") {
			t.Kind = KindBinary
		} else {
			t.Kind = KindText
		}
	case "RAW", "BLOB":
		t.Kind = KindBinary
	case "INTERVAL":
		t.Kind = KindInterval
	default:
		return t, decodeErr(oracleType, "", "unsupported Oracle data type")
	}
	return t, nil
}

// DecodeLiteral turns a raw literal, as Parse returns it, into the
// canonical text redoflow writes to CSV for a column of oracleType (the
// DATA_TYPE of ALL_TAB_COLUMNS). The forms are listed in the package
// documentation. An error matches ErrDecode and names the type and literal.
func DecodeLiteral(raw string, oracleType string) (string, error) {
	t, err := ParseType(oracleType)
	if err != nil {
		return "", err
	}
	return t.Decode(raw)
}

// Decode is DecodeLiteral for a resolved type. Whether raw is the text of
// a quoted literal or an expression is guessed from its shape; the reader
// knows it (Parser.Quoted) and calls DecodeValue instead.
func (t Type) Decode(raw string) (string, error) {
	return t.DecodeValue(raw, !isExpression(raw))
}

// DecodeValue decodes raw, which is the text of a quoted literal when
// literal is true (taken as it is, however it reads) and otherwise an
// expression such as TO_DATE(...), UNISTR(...) || ..., or a bare number.
func (t Type) DecodeValue(raw string, literal bool) (string, error) {
	switch t.Kind {
	case KindText:
		if literal {
			return raw, nil
		}
		return concat(t, raw, textTerm)
	case KindBinary:
		if literal {
			return lowerHex(t, raw, raw)
		}
		return concat(t, raw, binaryTerm)
	case KindDate, KindTimestamp, KindTimestampTZ, KindTimestampLTZ:
		return decodeDatetime(t, raw, literal)
	case KindInterval:
		return decodeInterval(t, raw, literal)
	}
	switch t.Kind {
	case KindNumber:
		return decodeNumber(t, raw)
	case KindFloat32, KindFloat64:
		return decodeFloat(t, raw)
	}
	return "", decodeErr(t.Name, raw, "unsupported Oracle data type")
}

// decodeFloat reads BINARY_FLOAT and BINARY_DOUBLE, which LogMiner writes in
// scientific notation ('3.1400001E+000') and as 'Inf', '-Inf', 'Nan'.
func decodeFloat(t Type, raw string) (string, error) {
	bits := 64
	if t.Kind == KindFloat32 {
		bits = 32
	}
	f, err := strconv.ParseFloat(raw, bits)
	if err != nil {
		// Out-of-range values are not something Oracle can hold.
		return "", decodeErr(t.Name, raw, "not a floating-point number")
	}
	return strconv.FormatFloat(f, 'g', -1, bits), nil
}

// decodeInterval returns Oracle's interval text: the argument of
// TO_YMINTERVAL / TO_DSINTERVAL, or the literal itself.
func decodeInterval(t Type, raw string, literal bool) (string, error) {
	if name, args, ok := splitCall(raw); ok && !literal {
		if (strings.EqualFold(name, "TO_YMINTERVAL") || strings.EqualFold(name, "TO_DSINTERVAL")) && len(args) == 1 {
			return args[0], nil
		}
		return "", decodeErr(t.Name, raw, "expected TO_YMINTERVAL or TO_DSINTERVAL")
	}
	if !literal {
		return "", decodeErr(t.Name, raw, "expected TO_YMINTERVAL or TO_DSINTERVAL")
	}
	if raw == "" || strings.ContainsAny(raw, "'()") {
		return "", decodeErr(t.Name, raw, "not an interval")
	}
	return raw, nil
}
