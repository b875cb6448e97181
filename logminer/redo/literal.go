package redo

import (
	"strconv"
	"strings"

	"github.com/redoflow/redoflow/oracletype"
)

// Type is a resolved Oracle data type: the type model of package
// oracletype, which the snapshot reader shares, with the SQL_REDO decoding
// methods. Resolve it once per column with ParseType and decode many values
// with it.
type Type oracletype.Type

// ParseType resolves a DATA_TYPE as ALL_TAB_COLUMNS spells it, with
// oracletype.Parse. The error of a type redoflow does not capture matches
// both ErrDecode and oracletype.ErrUnsupported.
func ParseType(oracleType string) (Type, error) {
	t, err := oracletype.Parse(oracleType)
	if err != nil {
		return Type(t), &DecodeError{Type: oracleType, Reason: "unsupported Oracle data type", Err: err}
	}
	return Type(t), nil
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
	case oracletype.Text:
		if literal {
			return raw, nil
		}
		return concat(t, raw, textTerm)
	case oracletype.Binary:
		if literal {
			return lowerHex(t, raw, raw)
		}
		return concat(t, raw, binaryTerm)
	case oracletype.Date, oracletype.Timestamp, oracletype.TimestampTZ, oracletype.TimestampLTZ:
		return decodeDatetime(t, raw, literal)
	case oracletype.Interval:
		return decodeInterval(t, raw, literal)
	}
	switch t.Kind {
	case oracletype.Number:
		return decodeNumber(t, raw)
	case oracletype.Float32, oracletype.Float64:
		return decodeFloat(t, raw)
	}
	return "", decodeErr(t.Name, raw, "unsupported Oracle data type")
}

// decodeFloat reads BINARY_FLOAT and BINARY_DOUBLE, which LogMiner writes in
// scientific notation ('3.1400001E+000') and as 'Inf', '-Inf', 'Nan'.
func decodeFloat(t Type, raw string) (string, error) {
	bits := 64
	if t.Kind == oracletype.Float32 {
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
