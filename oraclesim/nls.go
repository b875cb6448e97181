package oraclesim

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Oracle's session defaults (AMERICAN territory).
const (
	DefaultNLSDateFormat        = "DD-MON-RR"
	DefaultNLSTimestampFormat   = "DD-MON-RR HH.MI.SSXFF AM"
	DefaultNLSTimestampTZFormat = "DD-MON-RR HH.MI.SSXFF AM TZR"
	DefaultNLSNumericCharacters = ".,"
)

// fmtKind is one element of a compiled datetime format model.
type fmtKind uint8

const (
	fLit fmtKind = iota
	fSYYYY
	fYYYY
	fYYY
	fYY
	fY
	fMonth
	fMon
	fMM
	fDDD
	fDD
	fDay
	fDy
	fHH24
	fHH12
	fMI
	fSS
	fSSSSS
	fFF // FF without digits: fraction without trailing zeros
	fFFn
	fX
	fAM
	fAMDots
	fTZR
	fTZH
	fTZM
	fTZD
	fFM
	fJ
)

type fmtElem struct {
	kind fmtKind
	lit  string
	n    int  // digits for FFn
	caps int8 // 0 lower, 1 Capitalized, 2 UPPER (for names and AM)
}

// dateFormat is a compiled NLS datetime format model.
type dateFormat struct {
	text  string
	elems []fmtElem
}

// compileDateFormat compiles an Oracle datetime format model (the subset
// sessions use: years, months, days, hours, minutes, seconds, fractions, X,
// AM/PM, time zones, FM, quoted text and punctuation).
func compileDateFormat(s string) (*dateFormat, error) {
	df := &dateFormat{text: s}
	up := strings.ToUpper(s)
	caseOf := func(i, n int) int8 {
		if n > 1 && s[i] >= 'a' && s[i] <= 'z' {
			return 0
		}
		if n > 1 && s[i+1] >= 'a' && s[i+1] <= 'z' {
			return 1
		}
		if s[i] >= 'a' && s[i] <= 'z' {
			return 0
		}
		return 2
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, oraErr(1821, "date format not recognized")
			}
			df.elems = append(df.elems, fmtElem{kind: fLit, lit: s[i+1 : i+1+j]})
			i += j + 2
			continue
		}
		if strings.ContainsRune(" -/,.;:", rune(c)) {
			df.elems = append(df.elems, fmtElem{kind: fLit, lit: string(c)})
			i++
			continue
		}
		matched := false
		for _, m := range fmtTable {
			if strings.HasPrefix(up[i:], m.name) {
				e := fmtElem{kind: m.kind, caps: caseOf(i, len(m.name))}
				n := len(m.name)
				if m.kind == fFF && i+2 < len(s) && s[i+2] >= '1' && s[i+2] <= '9' {
					e.kind, e.n = fFFn, int(s[i+2]-'0')
					n = 3
				}
				df.elems = append(df.elems, e)
				i += n
				matched = true
				break
			}
		}
		if !matched {
			return nil, oraErr(1821, "date format not recognized")
		}
	}
	return df, nil
}

// fmtTable lists format elements longest first so that prefixes resolve.
var fmtTable = []struct {
	name string
	kind fmtKind
}{
	{"SYYYY", fSYYYY}, {"SSSSS", fSSSSS}, {"MONTH", fMonth}, {"YYYY", fYYYY}, {"RRRR", fYYYY},
	{"HH24", fHH24}, {"HH12", fHH12}, {"A.M.", fAMDots}, {"P.M.", fAMDots},
	{"YYY", fYYY}, {"MON", fMon}, {"DDD", fDDD}, {"DAY", fDay}, {"TZR", fTZR}, {"TZH", fTZH},
	{"TZM", fTZM}, {"TZD", fTZD}, {"YY", fYY}, {"RR", fYY}, {"MM", fMM}, {"DD", fDD}, {"DY", fDy},
	{"HH", fHH12}, {"MI", fMI}, {"SS", fSS}, {"FF", fFF}, {"AM", fAM}, {"PM", fAM}, {"FM", fFM},
	{"Y", fY}, {"X", fX}, {"J", fJ},
}

func applyCase(s string, caps int8) string {
	switch caps {
	case 2:
		return strings.ToUpper(s)
	case 1:
		return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
	}
	return strings.ToLower(s)
}

func appendPad(b []byte, v, width int, fm bool) []byte {
	s := strconv.Itoa(v)
	if !fm {
		for i := len(s); i < width; i++ {
			b = append(b, '0')
		}
	}
	return append(b, s...)
}

// appendTime renders tm under the format the way LogMiner's SQL_REDO does:
// FF without a digit count renders the fraction without trailing zeros (and
// nothing when it is zero), and X renders the radix only before a non-empty
// fraction (observed on real Oracle: a zero TIMESTAMP(9) under the default
// 'DD-MON-RR HH.MI.SSXFF AM' renders as '01-JAN-00 12.00.00 AM').
func (df *dateFormat) appendTime(b []byte, tm time.Time) []byte {
	fm := false
	ns := tm.Nanosecond()
	for i, e := range df.elems {
		switch e.kind {
		case fLit:
			b = append(b, e.lit...)
		case fFM:
			fm = !fm
		case fSYYYY:
			b = append(b, ' ')
			b = appendPad(b, tm.Year(), 4, fm)
		case fYYYY:
			b = appendPad(b, tm.Year(), 4, fm)
		case fYYY:
			b = appendPad(b, tm.Year()%1000, 3, fm)
		case fYY:
			b = appendPad(b, tm.Year()%100, 2, fm)
		case fY:
			b = appendPad(b, tm.Year()%10, 1, fm)
		case fMonth:
			m := tm.Month().String()
			if !fm {
				m += strings.Repeat(" ", 9-len(m))
			}
			b = append(b, applyCase(m, e.caps)...)
		case fMon:
			b = append(b, applyCase(tm.Month().String()[:3], e.caps)...)
		case fMM:
			b = appendPad(b, int(tm.Month()), 2, fm)
		case fDDD:
			b = appendPad(b, tm.YearDay(), 3, fm)
		case fDD:
			b = appendPad(b, tm.Day(), 2, fm)
		case fDay:
			d := tm.Weekday().String()
			if !fm {
				d += strings.Repeat(" ", 9-len(d))
			}
			b = append(b, applyCase(d, e.caps)...)
		case fDy:
			b = append(b, applyCase(tm.Weekday().String()[:3], e.caps)...)
		case fHH24:
			b = appendPad(b, tm.Hour(), 2, fm)
		case fHH12:
			h := tm.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = appendPad(b, h, 2, fm)
		case fMI:
			b = appendPad(b, tm.Minute(), 2, fm)
		case fSS:
			b = appendPad(b, tm.Second(), 2, fm)
		case fSSSSS:
			b = appendPad(b, tm.Hour()*3600+tm.Minute()*60+tm.Second(), 5, fm)
		case fFF:
			b = appendFrac(b, ns, 9, true)
		case fFFn:
			b = appendFrac(b, ns, e.n, false)
		case fX:
			if ns != 0 || i+1 >= len(df.elems) || df.elems[i+1].kind != fFF {
				b = append(b, '.')
			}
		case fAM:
			s := "AM"
			if tm.Hour() >= 12 {
				s = "PM"
			}
			b = append(b, applyCase(s, e.caps)...)
		case fAMDots:
			s := "A.M."
			if tm.Hour() >= 12 {
				s = "P.M."
			}
			b = append(b, applyCase(s, e.caps)...)
		case fTZR:
			_, off := tm.Zone()
			b = append(b, offsetText(off)...)
		case fTZH:
			_, off := tm.Zone()
			b = append(b, offsetText(off)[:3]...)
		case fTZM:
			_, off := tm.Zone()
			b = append(b, offsetText(off)[4:]...)
		case fTZD:
		case fJ:
			b = strconv.AppendInt(b, int64(julianDay(tm)), 10)
		}
	}
	return b
}

func julianDay(tm time.Time) int {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	d := time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
	return 2451545 + int(d.Sub(ref).Hours()/24)
}

// nls is a session's NLS settings with the formats compiled.
type nls struct {
	dateFmt, tsFmt, tsTZFmt *dateFormat
	decimal                 byte
	group                   byte
	timeZone                string
	other                   map[string]string
}

func defaultNLS() nls {
	n := nls{decimal: '.', group: ',', timeZone: "+00:00"}
	n.dateFmt, _ = compileDateFormat(DefaultNLSDateFormat)
	n.tsFmt, _ = compileDateFormat(DefaultNLSTimestampFormat)
	n.tsTZFmt, _ = compileDateFormat(DefaultNLSTimestampTZFormat)
	return n
}

// appendQuoted appends s as an Oracle string literal, quotes doubled.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '\'')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '\'')
}

// appendRedoNumber renders canonical decimal text the way SQL_REDO does:
// quoted, no leading zero for |x| < 1, the session's decimal character.
func appendRedoNumber(b []byte, s string, dec byte) []byte {
	b = append(b, '\'')
	if strings.HasPrefix(s, "0.") {
		s = s[1:]
	} else if strings.HasPrefix(s, "-0.") {
		b = append(b, '-')
		s = s[2:]
	}
	if dec != '.' {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			b = append(b, s[:i]...)
			b = append(b, dec)
			s = s[i+1:]
		}
	}
	b = append(b, s...)
	return append(b, '\'')
}

// appendRedoFloat renders a BINARY_FLOAT/DOUBLE as LogMiner does:
// '3.1400001E+000' (max_digits10 significant digits, trailing zeros removed
// but one kept after the point, 3-digit signed exponent), '0', 'Inf',
// '-Inf', 'Nan'.
func appendRedoFloat(b []byte, f float64, bits int) []byte {
	b = append(b, '\'')
	switch {
	case math.IsNaN(f):
		b = append(b, "Nan"...)
	case math.IsInf(f, 1):
		b = append(b, "Inf"...)
	case math.IsInf(f, -1):
		b = append(b, "-Inf"...)
	case f == 0:
		b = append(b, '0')
	default:
		prec := 16
		if bits == 32 {
			prec = 8
		}
		var tmp [40]byte
		s := strconv.AppendFloat(tmp[:0], f, 'E', prec, bits)
		e := 0
		for e < len(s) && s[e] != 'E' {
			e++
		}
		mant, exp := s[:e], s[e+1:]
		for len(mant) > 0 && mant[len(mant)-1] == '0' {
			mant = mant[:len(mant)-1]
		}
		if mant[len(mant)-1] == '.' {
			mant = append(mant, '0')
		}
		b = append(b, mant...)
		b = append(b, 'E', exp[0])
		digits := exp[1:]
		for i := len(digits); i < 3; i++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	}
	return append(b, '\'')
}

// unistrChunk is the longest UNISTR argument LogMiner writes before it
// continues with "|| UNISTR(...)": a string literal holds at most 4000 bytes.
var unistrChunk = 4000

// appendNational renders national character text: a plain literal when it
// is ASCII, else UNISTR('...') with non-ASCII characters as \XXXX UTF-16
// units (surrogate pairs for characters outside the BMP), backslash as \\,
// split into UNISTR('..') || UNISTR('..') when long.
func appendNational(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return appendQuoted(b, s)
	}
	b = append(b, "UNISTR('"...)
	n := 0
	const hexd = "0123456789ABCDEF"
	for _, r := range s {
		var piece [12]byte
		p := piece[:0]
		switch {
		case r == '\'':
			p = append(p, '\'', '\'')
		case r == '\\':
			p = append(p, '\\', '\\')
		case r < 0x80:
			p = append(p, byte(r))
		default:
			units := []rune{r}
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				units = []rune{r1, r2}
			}
			for _, u := range units {
				p = append(p, '\\', hexd[u>>12&15], hexd[u>>8&15], hexd[u>>4&15], hexd[u&15])
			}
		}
		if n+len(p) > unistrChunk {
			b = append(b, "') || UNISTR('"...)
			n = 0
		}
		b = append(b, p...)
		n += len(p)
	}
	return append(b, "')"...)
}

// appendRedoValue renders one column value as SQL_REDO does under the
// session's NLS settings.
func (n *nls) appendRedoValue(b []byte, t Type, v any) []byte {
	if v == nil {
		return append(b, "NULL"...)
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		return appendRedoNumber(b, v.(string), n.decimal)
	case KindBinaryFloat:
		return appendRedoFloat(b, float64(v.(float32)), 32)
	case KindBinaryDouble:
		return appendRedoFloat(b, v.(float64), 64)
	case KindVarchar2, KindChar, KindLong:
		return appendQuoted(b, v.(string))
	case KindNVarchar2, KindNChar:
		return appendNational(b, v.(string))
	case KindClob, KindNClob:
		if v.(string) == "" {
			return append(b, "EMPTY_CLOB()"...)
		}
		if t.Kind == KindNClob {
			return appendNational(b, v.(string))
		}
		return appendQuoted(b, v.(string))
	case KindDate:
		b = append(b, "TO_DATE('"...)
		b = n.dateFmt.appendTime(b, v.(time.Time))
		b = append(b, "', "...)
		b = appendQuoted(b, n.dateFmt.text)
		return append(b, ')')
	case KindTimestamp:
		b = append(b, "TO_TIMESTAMP('"...)
		b = n.tsFmt.appendTime(b, v.(time.Time))
		return append(b, "')"...)
	case KindTimestampLTZ:
		// Rendered in the database time zone (UTC), like a TIMESTAMP.
		b = append(b, "TO_TIMESTAMP('"...)
		b = n.tsFmt.appendTime(b, v.(time.Time).UTC())
		return append(b, "')"...)
	case KindTimestampTZ:
		b = append(b, "TO_TIMESTAMP_TZ('"...)
		b = n.tsTZFmt.appendTime(b, v.(time.Time))
		return append(b, "')"...)
	case KindRaw, KindBlob, KindLongRaw:
		raw := v.([]byte)
		if len(raw) == 0 {
			return append(b, "EMPTY_BLOB()"...)
		}
		b = append(b, "HEXTORAW('"...)
		const hexd = "0123456789abcdef"
		for _, c := range raw {
			b = append(b, hexd[c>>4], hexd[c&15])
		}
		return append(b, "')"...)
	case KindIntervalYM:
		b = append(b, "TO_YMINTERVAL('"...)
		b = append(b, v.(string)...)
		return append(b, "')"...)
	case KindIntervalDS:
		b = append(b, "TO_DSINTERVAL('"...)
		b = append(b, v.(string)...)
		return append(b, "')"...)
	}
	return append(b, "Unsupported Type"...)
}
