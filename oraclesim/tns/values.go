package tns

import (
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/sijms/go-ora/v2/converters"
)

// Oracle external data types as they appear on the wire (describe and binds).
const (
	dtyVarchar2   = 1
	dtyNumber     = 2
	dtyLong       = 8
	dtyVarchar    = 9
	dtyDate       = 12
	dtyBFloat     = 21
	dtyBDouble    = 22
	dtyRaw        = 23
	dtyLongRaw    = 24
	dtyLongVarChr = 94
	dtyLongVarRaw = 95
	dtyChar       = 96
	dtyIBFloat    = 100
	dtyIBDouble   = 101
	dtyClob       = 112
	dtyBlob       = 113
	dtyTimestamp  = 180
	dtyTSTZ       = 181
	dtyTSLTZ      = 231
	dtyTimestamp2 = 187
	dtyTSTZ2      = 188
	dtyTSLTZ2     = 232
	dtyBoolean    = 252
)

// Character sets advertised to clients: AL32UTF8 for CHAR/VARCHAR2/CLOB and
// AL16UTF16 for the national types.
const (
	charsetAL32UTF8  = 873
	charsetAL16UTF16 = 2000
	formImplicit     = 1
	formNChar        = 2
)

// column is one described column of a query and how its values are encoded.
type column struct {
	name      string
	typeName  string // Oracle type name from the backend
	dty       byte   // described wire type
	precision int
	scale     int
	maxLen    int
	maxChars  int
	charset   int
	form      byte
	nullable  bool
	// define is the wire type the client asked for in a define call (LONG
	// types for LOB columns fetched inline); zero means dty.
	define byte
}

func (c *column) isLOB() bool { return c.dty == dtyClob || c.dty == dtyBlob }

// wireType is the type values are encoded as.
func (c *column) wireType() byte {
	if c.define != 0 {
		return c.define
	}
	return c.dty
}

// describeColumn maps the backend's Oracle type name and metadata to a wire
// description that go-ora decodes into the same Go values.
func describeColumn(name, typeName string, length int64, hasLength bool, prec, scale int64, hasPS bool, nullable, hasNullable bool) column {
	c := column{name: name, typeName: strings.ToUpper(strings.TrimSpace(typeName)), nullable: true}
	if hasNullable {
		c.nullable = nullable
	}
	tn := c.typeName
	if i := strings.IndexByte(tn, '('); i >= 0 && !strings.HasPrefix(tn, "TIMESTAMP") {
		tn = strings.TrimSpace(tn[:i])
	}
	tsPrec := 6
	if strings.HasPrefix(tn, "TIMESTAMP") {
		if i := strings.IndexByte(tn, '('); i >= 0 {
			if j := strings.IndexByte(tn[i:], ')'); j > 0 {
				if p, err := strconv.Atoi(tn[i+1 : i+j]); err == nil {
					tsPrec = p
				}
				tn = tn[:i] + tn[i+j+1:]
			}
		}
		if hasPS {
			tsPrec = int(scale)
		}
	}
	textLen := func(def int) int {
		if hasLength && length > 0 && length < 1<<30 {
			return int(length)
		}
		return def
	}
	switch tn {
	case "NUMBER", "INTEGER", "DECIMAL", "NUMERIC", "SMALLINT", "INT":
		c.dty, c.maxLen = dtyNumber, 22
		if hasPS && prec > 0 {
			c.precision, c.scale = int(prec), int(scale)
		} else {
			c.precision, c.scale = 0, -127
		}
	case "FLOAT":
		c.dty, c.maxLen = dtyNumber, 22
		c.precision, c.scale = 126, -127
		if hasPS && prec > 0 {
			c.precision = int(prec)
		}
	case "BINARY_FLOAT":
		c.dty, c.maxLen = dtyIBFloat, 4
	case "BINARY_DOUBLE":
		c.dty, c.maxLen = dtyIBDouble, 8
	case "CHAR":
		n := textLen(1)
		c.dty, c.maxLen, c.maxChars, c.charset, c.form = dtyChar, n, n, charsetAL32UTF8, formImplicit
	case "NCHAR":
		n := textLen(1)
		c.dty, c.maxLen, c.maxChars, c.charset, c.form = dtyChar, 2*n, n, charsetAL16UTF16, formNChar
	case "NVARCHAR2":
		n := textLen(2000)
		c.dty, c.maxLen, c.maxChars, c.charset, c.form = dtyVarchar2, 2*n, n, charsetAL16UTF16, formNChar
	case "DATE":
		c.dty, c.maxLen = dtyDate, 7
	case "TIMESTAMP":
		c.dty, c.maxLen, c.scale = dtyTimestamp, 11, tsPrec
	case "TIMESTAMP WITH TIME ZONE":
		c.dty, c.maxLen, c.scale = dtyTSTZ, 13, tsPrec
	case "TIMESTAMP WITH LOCAL TIME ZONE":
		c.dty, c.maxLen, c.scale = dtyTSLTZ, 11, tsPrec
	case "RAW":
		c.dty, c.maxLen = dtyRaw, textLen(2000)
	case "CLOB", "LONG":
		c.dty, c.maxLen, c.charset, c.form = dtyClob, 4000, charsetAL32UTF8, formImplicit
	case "NCLOB":
		c.dty, c.maxLen, c.charset, c.form = dtyClob, 4000, charsetAL16UTF16, formNChar
	case "BLOB", "LONG RAW":
		c.dty, c.maxLen = dtyBlob, 4000
	default: // VARCHAR2, VARCHAR, ROWID, UROWID and anything unknown travel as text
		n := textLen(4000)
		c.dty, c.maxLen, c.maxChars, c.charset, c.form = dtyVarchar2, n, n, charsetAL32UTF8, formImplicit
	}
	return c
}

// appendValue encodes one column value of a row.
func appendValue(w *wbuf, c *column, v driver.Value, tmp []byte) ([]byte, error) {
	dty := c.wireType()
	long := dty == dtyLongVarChr || dty == dtyLongRaw || dty == dtyLong || dty == dtyLongVarRaw
	if v == nil {
		w.u8(0)
		if long {
			w.u8(0)
			w.u8(0)
		}
		return tmp, nil
	}
	var err error
	switch dty {
	case dtyNumber:
		tmp, err = appendNumberValue(tmp[:0], v)
		if err != nil {
			return tmp, err
		}
		w.clr(tmp)
	case dtyVarchar2, dtyChar, dtyLongVarChr, dtyLong, dtyClob:
		if c.form == formNChar {
			tmp = appendUTF16(tmp[:0], textOf(v))
			w.clr(tmp)
		} else {
			switch s := v.(type) {
			case string:
				w.clrString(s)
			case []byte:
				w.clr(s)
			default:
				w.clrString(textOf(v))
			}
		}
	case dtyRaw, dtyLongRaw, dtyBlob:
		switch b := v.(type) {
		case []byte:
			w.clr(b)
		case string:
			w.clrString(b)
		default:
			return tmp, newOraError(oraInconsistentTypes, "inconsistent datatypes: expected RAW got %T", v)
		}
	case dtyDate, dtyTimestamp, dtyTSTZ, dtyTSLTZ:
		t, ok := v.(time.Time)
		if !ok {
			return tmp, newOraError(oraInconsistentTypes, "inconsistent datatypes: expected %s got %T", c.typeName, v)
		}
		tmp = appendTime(tmp[:0], dty, t)
		w.clr(tmp)
	case dtyIBFloat:
		f, err := floatOf(v)
		if err != nil {
			return tmp, err
		}
		w.clr(converters.EncodeFloat32(float32(f)))
	case dtyIBDouble:
		f, err := floatOf(v)
		if err != nil {
			return tmp, err
		}
		w.clr(converters.EncodeFloat64(f))
	default:
		return tmp, newOraError(oraUnsupported, "unsupported network datatype %d", dty)
	}
	if long {
		w.u8(0)
		w.u8(0)
	}
	return tmp, nil
}

func textOf(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

func appendUTF16(dst []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = binary.BigEndian.AppendUint16(dst, uint16(r1))
			dst = binary.BigEndian.AppendUint16(dst, uint16(r2))
			continue
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(r))
	}
	return dst
}

func decodeUTF16(p []byte) string {
	u := make([]uint16, len(p)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(p[2*i:])
	}
	return string(utf16.Decode(u))
}

func floatOf(v driver.Value) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, newOraError(1722, "invalid number")
		}
		return f, nil
	case []byte:
		return floatOf(string(x))
	}
	return 0, newOraError(oraInconsistentTypes, "inconsistent datatypes: expected NUMBER got %T", v)
}

// appendTime encodes DATE (7 bytes), TIMESTAMP and TIMESTAMP WITH LOCAL TIME
// ZONE (11 bytes, wall clock) and TIMESTAMP WITH TIME ZONE (13 bytes: UTC
// wall clock plus the zone as an offset or an Oracle region id).
func appendTime(dst []byte, dty byte, t time.Time) []byte {
	if dty == dtyTSTZ {
		u := t.UTC()
		dst = appendDateBytes(dst, u)
		dst = binary.BigEndian.AppendUint32(dst, uint32(u.Nanosecond()))
		return append(dst, zoneBytes(t)...)
	}
	if dty == dtyTSLTZ {
		t = t.UTC()
	}
	dst = appendDateBytes(dst, t)
	if dty == dtyDate {
		return dst
	}
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

func appendDateBytes(dst []byte, t time.Time) []byte {
	y := t.Year()
	return append(dst, byte(y/100+100), byte(y%100+100), byte(t.Month()), byte(t.Day()),
		byte(t.Hour()+1), byte(t.Minute()+1), byte(t.Second()+1))
}

// zoneBytes returns the two time zone bytes of a TIMESTAMP WITH TIME ZONE.
// Named zones that Oracle knows travel as region ids (so the client gets the
// same location back); anything else travels as an hour/minute offset.
func zoneBytes(t time.Time) []byte {
	name := t.Location().String()
	if name != "UTC" && name != "Local" && name != "" {
		if zb, ok := regionZone(name); ok {
			return zb
		}
	}
	_, off := t.Zone()
	return []byte{byte(off/3600 + 20), byte((off/60)%60 + 60)}
}

var (
	regionMu    sync.Mutex
	regionCache = map[string][]byte{}
)

// regionZone asks go-ora's encoder for the region id of a zone name. The
// answer does not depend on the instant, so it is cached per name.
func regionZone(name string) ([]byte, bool) {
	regionMu.Lock()
	defer regionMu.Unlock()
	if zb, ok := regionCache[name]; ok {
		return zb, zb != nil
	}
	var zb []byte
	if loc, err := time.LoadLocation(name); err == nil {
		enc := converters.EncodeTimeStamp(time.Date(2000, 1, 1, 0, 0, 0, 0, loc), true, false)
		if len(enc) == 13 && enc[11]&0x80 != 0 {
			zb = enc[11:13]
		}
	}
	regionCache[name] = zb
	return zb, zb != nil
}

// decodeBind converts one bind value from the wire to what database/sql
// would hand a driver for the Go value the client bound.
func decodeBind(b *bindDef, p []byte) (driver.Value, error) {
	if p == nil {
		return nil, nil
	}
	switch b.dty {
	case dtyVarchar2, dtyChar, dtyLong, dtyLongVarChr, dtyVarchar:
		if b.charset == charsetAL16UTF16 {
			return decodeUTF16(p), nil
		}
		return string(p), nil
	case dtyNumber:
		s, err := converters.NumberToString(p)
		if err != nil {
			return nil, newOraError(1722, "invalid number")
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f, nil
		}
		return s, nil
	case dtyDate, dtyTimestamp, dtyTSTZ, dtyTSLTZ, dtyTimestamp2, dtyTSTZ2, dtyTSLTZ2:
		t, err := converters.DecodeDate(p)
		if err != nil {
			return nil, newOraError(1858, "a non-numeric character was found where a numeric was expected")
		}
		return t, nil
	case dtyRaw, dtyLongRaw, dtyLongVarRaw:
		return p, nil
	case dtyIBFloat, dtyBFloat:
		return float64(converters.ConvertBinaryFloat(p)), nil
	case dtyIBDouble, dtyBDouble:
		return converters.ConvertBinaryDouble(p), nil
	case dtyBoolean:
		return converters.DecodeBool(p), nil
	}
	return nil, newOraError(oraUnsupported, "unsupported network datatype or representation (bind type %d)", b.dty)
}
