package oraclesim

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is an Oracle column data type family.
type Kind uint8

// The column kinds the simulator stores.
const (
	KindNumber Kind = iota + 1
	KindFloat
	KindBinaryFloat
	KindBinaryDouble
	KindVarchar2
	KindNVarchar2
	KindChar
	KindNChar
	KindDate
	KindTimestamp
	KindTimestampTZ
	KindTimestampLTZ
	KindRaw
	KindClob
	KindNClob
	KindBlob
	KindIntervalYM
	KindIntervalDS
	KindLong    // LONG: character data up to 2 GB, one per table
	KindLongRaw // LONG RAW: binary data up to 2 GB, one per table
)

// Type is a column type: its kind plus the length, precision, scale or
// fractional-second precision that applies to it.
//
// Values are held as: NUMBER/FLOAT a canonical decimal string ("0.5");
// BINARY_FLOAT float32; BINARY_DOUBLE float64; character kinds string; DATE,
// TIMESTAMP and WITH LOCAL TIME ZONE time.Time in UTC (wall clock);
// WITH TIME ZONE time.Time in a fixed zone; RAW/BLOB []byte; LONG string;
// LONG RAW []byte; INTERVAL their Oracle text; NULL nil.
type Type struct {
	Kind      Kind
	Length    int // VARCHAR2/CHAR/RAW length (bytes, or characters for N types)
	Precision int // NUMBER precision (0 = unspecified), FLOAT binary precision
	Scale     int // NUMBER scale (valid when Precision > 0 or ScaleSet)
	ScaleSet  bool
	FSP       int // fractional second precision of TIMESTAMP/INTERVAL DAY TO SECOND
	LeadPrec  int // INTERVAL YEAR(n)/DAY(n) leading precision
}

// IsLOB reports whether values of the type are LOBs.
func (t Type) IsLOB() bool { return t.Kind == KindClob || t.Kind == KindNClob || t.Kind == KindBlob }

// IsLong reports whether the type is LONG or LONG RAW, which, like LOBs,
// supplemental logging cannot log, and of which a table has at most one.
func (t Type) IsLong() bool { return t.Kind == KindLong || t.Kind == KindLongRaw }

// IsNational reports whether the type holds national character data.
func (t Type) IsNational() bool {
	return t.Kind == KindNVarchar2 || t.Kind == KindNChar || t.Kind == KindNClob
}

// DataType is the type as ALL_TAB_COLUMNS.DATA_TYPE spells it ("NUMBER",
// "TIMESTAMP(6) WITH TIME ZONE", "INTERVAL DAY(2) TO SECOND(6)").
func (t Type) DataType() string {
	switch t.Kind {
	case KindNumber:
		return "NUMBER"
	case KindFloat:
		return "FLOAT"
	case KindBinaryFloat:
		return "BINARY_FLOAT"
	case KindBinaryDouble:
		return "BINARY_DOUBLE"
	case KindVarchar2:
		return "VARCHAR2"
	case KindNVarchar2:
		return "NVARCHAR2"
	case KindChar:
		return "CHAR"
	case KindNChar:
		return "NCHAR"
	case KindDate:
		return "DATE"
	case KindTimestamp:
		return fmt.Sprintf("TIMESTAMP(%d)", t.FSP)
	case KindTimestampTZ:
		return fmt.Sprintf("TIMESTAMP(%d) WITH TIME ZONE", t.FSP)
	case KindTimestampLTZ:
		return fmt.Sprintf("TIMESTAMP(%d) WITH LOCAL TIME ZONE", t.FSP)
	case KindRaw:
		return "RAW"
	case KindClob:
		return "CLOB"
	case KindNClob:
		return "NCLOB"
	case KindBlob:
		return "BLOB"
	case KindIntervalYM:
		return fmt.Sprintf("INTERVAL YEAR(%d) TO MONTH", t.LeadPrec)
	case KindIntervalDS:
		return fmt.Sprintf("INTERVAL DAY(%d) TO SECOND(%d)", t.LeadPrec, t.FSP)
	case KindLong:
		return "LONG"
	case KindLongRaw:
		return "LONG RAW"
	}
	return "UNDEFINED"
}

// TypeName is the driver's ColumnTypeDatabaseTypeName: DataType without
// precisions ("TIMESTAMP WITH TIME ZONE", "INTERVAL DAY TO SECOND").
func (t Type) TypeName() string {
	switch t.Kind {
	case KindTimestamp:
		return "TIMESTAMP"
	case KindTimestampTZ:
		return "TIMESTAMP WITH TIME ZONE"
	case KindTimestampLTZ:
		return "TIMESTAMP WITH LOCAL TIME ZONE"
	case KindIntervalYM:
		return "INTERVAL YEAR TO MONTH"
	case KindIntervalDS:
		return "INTERVAL DAY TO SECOND"
	}
	return t.DataType()
}

// String is the type in DDL form ("NUMBER(18,2)", "VARCHAR2(32)").
func (t Type) String() string {
	switch t.Kind {
	case KindNumber:
		if t.Precision > 0 {
			return fmt.Sprintf("NUMBER(%d,%d)", t.Precision, t.Scale)
		}
		return "NUMBER"
	case KindFloat:
		return fmt.Sprintf("FLOAT(%d)", t.Precision)
	case KindVarchar2, KindNVarchar2, KindChar, KindNChar, KindRaw:
		return fmt.Sprintf("%s(%d)", t.DataType(), t.Length)
	}
	return t.DataType()
}

// dataLength is ALL_TAB_COLUMNS.DATA_LENGTH.
func (t Type) dataLength() int {
	switch t.Kind {
	case KindNumber, KindFloat:
		return 22
	case KindBinaryFloat:
		return 4
	case KindBinaryDouble:
		return 8
	case KindDate:
		return 7
	case KindTimestamp, KindTimestampLTZ, KindIntervalDS:
		return 11
	case KindTimestampTZ:
		return 13
	case KindIntervalYM:
		return 5
	case KindClob, KindNClob, KindBlob:
		return 4000
	case KindNVarchar2, KindNChar:
		return 2 * t.Length
	case KindLong, KindLongRaw:
		return 0
	}
	return t.Length
}

// ParseType parses a column type as written in DDL: NUMBER, NUMBER(p),
// NUMBER(p,s), FLOAT[(p)], BINARY_FLOAT, BINARY_DOUBLE, VARCHAR2(n [BYTE|CHAR]),
// NVARCHAR2(n), CHAR[(n)], NCHAR[(n)], DATE, TIMESTAMP[(p)] [WITH [LOCAL] TIME
// ZONE], RAW(n), CLOB, NCLOB, BLOB, LONG, LONG RAW, INTERVAL YEAR[(p)] TO
// MONTH, INTERVAL DAY[(p)] TO SECOND[(s)], and the ANSI types Oracle
// converts to them (ansiTypes).
func ParseType(s string) (Type, error) {
	u := strings.Join(strings.Fields(strings.ToUpper(s)), " ")
	u = ansiType(u)
	base, args, rest := u, []int(nil), ""
	if i := strings.IndexByte(u, '('); i >= 0 {
		j := strings.IndexByte(u[i:], ')')
		if j < 0 {
			return Type{}, fmt.Errorf("oraclesim: bad type %q", s)
		}
		base = strings.TrimSpace(u[:i])
		for _, a := range strings.Split(u[i+1:i+j], ",") {
			a = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(a), " BYTE"), " CHAR"))
			n, err := strconv.Atoi(a)
			if err != nil {
				return Type{}, fmt.Errorf("oraclesim: bad type %q", s)
			}
			args = append(args, n)
		}
		rest = strings.TrimSpace(u[i+j+1:])
	}
	arg := func(i, def int) int {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	var t Type
	switch {
	case base == "NUMBER" || base == "INTEGER":
		t.Kind = KindNumber
		if base != "NUMBER" {
			t.Precision, t.Scale, t.ScaleSet = 38, 0, true
		} else if len(args) > 0 {
			t.Precision, t.Scale, t.ScaleSet = args[0], arg(1, 0), true
			if t.Precision < 1 || t.Precision > 38 {
				return Type{}, oraErr(1727, "numeric precision specifier is out of range (1 to 38)")
			}
		}
	case base == "FLOAT":
		t.Kind, t.Precision = KindFloat, arg(0, 126)
	case base == "BINARY_FLOAT":
		t.Kind = KindBinaryFloat
	case base == "BINARY_DOUBLE":
		t.Kind = KindBinaryDouble
	case base == "VARCHAR2" || base == "VARCHAR":
		t.Kind, t.Length = KindVarchar2, arg(0, 0)
	case base == "NVARCHAR2":
		t.Kind, t.Length = KindNVarchar2, arg(0, 0)
	case base == "CHAR":
		t.Kind, t.Length = KindChar, arg(0, 1)
	case base == "NCHAR":
		t.Kind, t.Length = KindNChar, arg(0, 1)
	case base == "DATE":
		t.Kind = KindDate
	case strings.HasPrefix(u, "TIMESTAMP"):
		t.FSP = arg(0, 6)
		tail := rest
		if len(args) == 0 {
			tail = strings.TrimSpace(strings.TrimPrefix(u, "TIMESTAMP"))
		}
		switch tail {
		case "":
			t.Kind = KindTimestamp
		case "WITH TIME ZONE":
			t.Kind = KindTimestampTZ
		case "WITH LOCAL TIME ZONE":
			t.Kind = KindTimestampLTZ
		default:
			return Type{}, fmt.Errorf("oraclesim: bad type %q", s)
		}
	case base == "RAW":
		t.Kind, t.Length = KindRaw, arg(0, 0)
	case u == "CLOB":
		t.Kind = KindClob
	case u == "NCLOB":
		t.Kind = KindNClob
	case u == "BLOB":
		t.Kind = KindBlob
	case u == "LONG":
		t.Kind = KindLong
	case u == "LONG RAW":
		t.Kind = KindLongRaw
	case strings.HasPrefix(u, "INTERVAL YEAR"):
		t.Kind, t.LeadPrec = KindIntervalYM, arg(0, 2)
	case strings.HasPrefix(u, "INTERVAL DAY"):
		t.Kind, t.LeadPrec, t.FSP = KindIntervalDS, 2, 6
		// INTERVAL DAY(p) TO SECOND(s): the arguments are split around "TO".
		if k := strings.Index(u, " TO SECOND"); k >= 0 {
			if a, err := parenInt(u[:k]); err == nil {
				t.LeadPrec = a
			}
			if a, err := parenInt(u[k:]); err == nil {
				t.FSP = a
			}
		}
	default:
		return Type{}, fmt.Errorf("oraclesim: unsupported type %q", s)
	}
	if (t.Kind == KindVarchar2 || t.Kind == KindNVarchar2 || t.Kind == KindRaw) && t.Length <= 0 {
		return Type{}, fmt.Errorf("oraclesim: type %q needs a length", s)
	}
	if t.FSP < 0 || t.FSP > 9 {
		return Type{}, oraErr(30088, "datetime/interval precision is out of range")
	}
	return t, nil
}

// ansiTypes maps the ANSI data types Oracle accepts in DDL to the Oracle
// type it stores them as and ALL_TAB_COLUMNS reports (Oracle's table "ANSI
// Data Types Converted to Oracle Data Types"). INTEGER is handled in
// ParseType, since NUMBER(38) is how it is stored but not how it is written.
var ansiTypes = []struct{ ansi, oracle string }{
	// Longest first: CHARACTER VARYING before CHARACTER.
	{"NATIONAL CHARACTER VARYING", "NVARCHAR2"},
	{"NATIONAL CHAR VARYING", "NVARCHAR2"},
	{"NCHAR VARYING", "NVARCHAR2"},
	{"NATIONAL CHARACTER", "NCHAR"},
	{"NATIONAL CHAR", "NCHAR"},
	{"CHARACTER VARYING", "VARCHAR2"},
	{"CHAR VARYING", "VARCHAR2"},
	{"CHARACTER", "CHAR"},
	{"DOUBLE PRECISION", "FLOAT(126)"},
	{"REAL", "FLOAT(63)"},
	{"SMALLINT", "INTEGER"},
	{"INT", "INTEGER"},
	{"NUMERIC", "NUMBER"},
	{"DECIMAL", "NUMBER"},
	{"DEC", "NUMBER"},
}

// ansiType rewrites an ANSI type name at the start of u (upper case, single
// spaces) to the Oracle type it is stored as, keeping its arguments.
// NUMERIC, DECIMAL and DEC without a precision are NUMBER(38,0): fixed
// point with scale 0.
func ansiType(u string) string {
	for _, a := range ansiTypes {
		rest, ok := strings.CutPrefix(u, a.ansi)
		if !ok || rest != "" && rest[0] != '(' && rest[0] != ' ' {
			continue
		}
		rest = strings.TrimSpace(rest)
		if a.oracle == "NUMBER" && rest == "" {
			return "NUMBER(38,0)"
		}
		if strings.HasPrefix(a.oracle, "FLOAT(") && rest != "" {
			return u // DOUBLE PRECISION and REAL take no arguments
		}
		return a.oracle + rest
	}
	return u
}

func parenInt(s string) (int, error) {
	i := strings.IndexByte(s, '(')
	j := strings.IndexByte(s, ')')
	if i < 0 || j < i {
		return 0, fmt.Errorf("no argument")
	}
	return strconv.Atoi(strings.TrimSpace(s[i+1 : j]))
}

// MustType is ParseType for constants in code and tests; it panics on error.
func MustType(s string) Type {
	t, err := ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

// coerce converts a Go or bind value to the stored form for column type t.
// col names the column in errors.
func coerce(t Type, col string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case *string:
		if x == nil {
			return nil, nil
		}
		v = *x
	case fmt.Stringer:
		if _, isTime := v.(time.Time); !isTime {
			v = x.String()
		}
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		s, err := decimalOf(v)
		if err != nil {
			return nil, err
		}
		if t.Kind == KindFloat {
			return roundSignificant(s, (t.Precision*30103+99999)/100000), nil
		}
		return fitNumber(s, t, col)
	case KindBinaryFloat:
		f, err := floatOf(v, 32)
		if err != nil {
			return nil, err
		}
		if f == 0 {
			f = 0 // -0 is stored as 0
		}
		return float32(f), nil
	case KindBinaryDouble:
		f, err := floatOf(v, 64)
		if err != nil {
			return nil, err
		}
		if f == 0 {
			f = 0
		}
		return f, nil
	case KindVarchar2, KindNVarchar2, KindChar, KindNChar, KindClob, KindNClob, KindLong:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			d, err := decimalOf(v)
			if err != nil {
				return nil, fmt.Errorf("oraclesim: column %s: cannot store %T as %s", col, v, t.DataType())
			}
			s = d
		}
		if !utf8.ValidString(s) {
			return nil, oraErr(29275, "partial multibyte character")
		}
		if s == "" && !t.IsLOB() {
			return nil, nil // Oracle: the empty string is NULL
		}
		n := len(s)
		if t.IsNational() || t.Kind == KindNChar {
			n = utf8.RuneCountInString(s)
		}
		if !t.IsLOB() && t.Kind != KindLong {
			if t.Kind == KindChar || t.Kind == KindNChar {
				if n < t.Length {
					s += strings.Repeat(" ", t.Length-n)
					n = t.Length
				}
			}
			if n > t.Length {
				return nil, oraErr(12899, "value too large for column %s (actual: %d, maximum: %d)", col, n, t.Length)
			}
		}
		return s, nil
	case KindDate, KindTimestamp, KindTimestampLTZ, KindTimestampTZ:
		tm, err := timeOf(v)
		if err != nil {
			return nil, err
		}
		if y := tm.Year(); y < 1 || y > 9999 {
			return nil, oraErr(1841, "(full) year must be between -4713 and +9999, and not be 0")
		}
		switch t.Kind {
		case KindDate:
			tm = time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
		case KindTimestamp:
			tm = time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), truncNanos(tm.Nanosecond(), t.FSP), time.UTC)
		case KindTimestampLTZ:
			tm = tm.UTC()
			tm = tm.Add(time.Duration(truncNanos(tm.Nanosecond(), t.FSP) - tm.Nanosecond()))
		case KindTimestampTZ:
			_, off := tm.Zone()
			tm = tm.In(fixedZone(off))
			tm = tm.Add(time.Duration(truncNanos(tm.Nanosecond(), t.FSP) - tm.Nanosecond()))
		}
		return tm, nil
	case KindRaw, KindBlob, KindLongRaw:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = append([]byte(nil), x...)
		case string:
			d, err := hex.DecodeString(x)
			if err != nil {
				return nil, oraErr(1465, "invalid hex number")
			}
			b = d
		default:
			return nil, fmt.Errorf("oraclesim: column %s: cannot store %T as %s", col, v, t.DataType())
		}
		if len(b) == 0 && t.Kind != KindBlob {
			return nil, nil // a zero-length RAW or LONG RAW is NULL
		}
		if t.Kind == KindRaw && len(b) > t.Length {
			return nil, oraErr(12899, "value too large for column %s (actual: %d, maximum: %d)", col, len(b), t.Length)
		}
		return b, nil
	case KindIntervalYM, KindIntervalDS:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("oraclesim: column %s: interval values are given as text, got %T", col, v)
		}
		return normalizeInterval(t, s)
	}
	return nil, fmt.Errorf("oraclesim: column %s: unsupported type", col)
}

var zoneCache = map[int]*time.Location{}

// fixedZone returns a zone named by its offset, so that time.Format and
// canonical rendering agree ("+05:30").
func fixedZone(off int) *time.Location {
	if off == 0 {
		return utcOffsetZone
	}
	zoneMu.Lock()
	defer zoneMu.Unlock()
	if z, ok := zoneCache[off]; ok {
		return z
	}
	z := time.FixedZone(offsetText(off), off)
	zoneCache[off] = z
	return z
}

var utcOffsetZone = time.FixedZone("+00:00", 0)

func offsetText(off int) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

func truncNanos(ns, fsp int) int {
	p := 1
	for i := fsp; i < 9; i++ {
		p *= 10
	}
	return ns / p * p
}

func floatOf(v any, bits int) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		switch strings.TrimSpace(x) {
		case "Nan", "NaN", "nan":
			return math.NaN(), nil
		case "Inf", "+Inf", "inf":
			return math.Inf(1), nil
		case "-Inf", "-inf":
			return math.Inf(-1), nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(x), bits)
		if err != nil {
			return 0, oraErr(1722, "invalid number")
		}
		return f, nil
	}
	return 0, fmt.Errorf("oraclesim: cannot store %T as a binary float", v)
}

func timeOf(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 -07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
			if tm, err := time.Parse(layout, x); err == nil {
				return tm, nil
			}
		}
		return time.Time{}, oraErr(1861, "literal does not match format string")
	}
	return time.Time{}, fmt.Errorf("oraclesim: cannot store %T as a date", v)
}

// canonical renders a stored value in the canonical text form of redoflow's
// CSV output (the forms redo.DecodeLiteral produces). NULL is "".
func canonical(t Type, v any) string {
	if v == nil {
		return ""
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		return v.(string)
	case KindBinaryFloat:
		return canonicalFloat(float64(v.(float32)), 32)
	case KindBinaryDouble:
		return canonicalFloat(v.(float64), 64)
	case KindDate:
		return v.(time.Time).Format("2006-01-02T15:04:05")
	case KindTimestamp, KindTimestampLTZ:
		return string(appendCanonicalTime(nil, v.(time.Time), false))
	case KindTimestampTZ:
		return string(appendCanonicalTime(nil, v.(time.Time), true))
	case KindRaw, KindBlob, KindLongRaw:
		return hex.EncodeToString(v.([]byte))
	}
	return v.(string)
}

func canonicalFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

func appendCanonicalTime(b []byte, tm time.Time, zone bool) []byte {
	b = tm.AppendFormat(b, "2006-01-02T15:04:05")
	if ns := tm.Nanosecond(); ns > 0 {
		b = append(b, '.')
		b = appendFrac(b, ns, 9, true)
	}
	if zone {
		_, off := tm.Zone()
		b = append(b, offsetText(off)...)
	}
	return b
}

// appendFrac appends the first digits of a nanosecond fraction; trim drops
// trailing zeros.
func appendFrac(b []byte, ns, digits int, trim bool) []byte {
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + ns%10)
		ns /= 10
	}
	s := d[:digits]
	if trim {
		for len(s) > 0 && s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
	}
	return append(b, s...)
}

// normalizeInterval validates an interval literal and returns Oracle's text
// for it: "+01-02" for YEAR TO MONTH, "+01 02:03:04.560000" for DAY TO SECOND.
func normalizeInterval(t Type, s string) (any, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	bad := oraErr(1867, "the interval is invalid")
	sign := "+"
	if neg {
		sign = "-"
	}
	if t.Kind == KindIntervalYM {
		y, m, ok := strings.Cut(s, "-")
		yi, e1 := strconv.Atoi(y)
		mi, e2 := strconv.Atoi(m)
		if !ok || e1 != nil || e2 != nil || mi > 11 || yi < 0 || mi < 0 || len(strconv.Itoa(yi)) > t.LeadPrec {
			return nil, bad
		}
		return fmt.Sprintf("%s%0*d-%02d", sign, t.LeadPrec, yi, mi), nil
	}
	d, hms, ok := strings.Cut(s, " ")
	if !ok {
		return nil, bad
	}
	di, err := strconv.Atoi(d)
	if err != nil || di < 0 || len(strconv.Itoa(di)) > t.LeadPrec {
		return nil, bad
	}
	secFrac := ""
	parts := strings.Split(hms, ":")
	if len(parts) != 3 {
		return nil, bad
	}
	if sec, frac, ok := strings.Cut(parts[2], "."); ok {
		parts[2], secFrac = sec, frac
	}
	var hmsI [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (i == 0 && n > 23) || (i > 0 && n > 59) {
			return nil, bad
		}
		hmsI[i] = n
	}
	for _, c := range secFrac {
		if c < '0' || c > '9' {
			return nil, bad
		}
	}
	if len(secFrac) > t.FSP {
		secFrac = secFrac[:t.FSP]
	}
	secFrac += strings.Repeat("0", t.FSP-len(secFrac))
	out := fmt.Sprintf("%s%0*d %02d:%02d:%02d", sign, t.LeadPrec, di, hmsI[0], hmsI[1], hmsI[2])
	if t.FSP > 0 {
		out += "." + secFrac
	}
	return out, nil
}
