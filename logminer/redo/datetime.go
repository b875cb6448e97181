package redo

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoflow/redoflow/oracletype"
)

// elem is one element of an Oracle datetime format model.
type elem uint8

const (
	eSep  elem = iota // punctuation or space
	eText             // "quoted text"
	eSYYYY
	eYYYY
	eRRRR
	eYY
	eRR
	eMM
	eMON // MON or MONTH
	eDD
	eDY // DY or DAY: read and ignored
	eHH24
	eHH12 // HH or HH12
	eMI
	eSS
	eFF
	eX
	eAMPM
	eTZH
	eTZM
	eTZR
	eTZD
)

type fmtTok struct {
	e   elem
	lit string // eSep, eText
}

// formatNames maps format-model element names to elements, longest first
// so that a prefix match takes the longest element.
var formatNames = []struct {
	name string
	e    elem
}{
	{"SYYYY", eSYYYY}, {"MONTH", eMON}, {"YYYY", eYYYY}, {"RRRR", eRRRR}, {"HH24", eHH24},
	{"HH12", eHH12}, {"A.M.", eAMPM}, {"P.M.", eAMPM}, {"MON", eMON}, {"DAY", eDY},
	{"TZH", eTZH}, {"TZM", eTZM}, {"TZR", eTZR}, {"TZD", eTZD}, {"FF", eFF},
	{"YY", eYY}, {"RR", eRR}, {"MM", eMM}, {"DD", eDD}, {"DY", eDY}, {"HH", eHH12},
	{"MI", eMI}, {"SS", eSS}, {"AM", eAMPM}, {"PM", eAMPM}, {"X", eX},
}

// format is a compiled format model.
type format struct {
	text string
	toks []fmtTok
}

// formatSlots caches the format arguments met in the redo. A session uses
// one or two, so a few slots scanned in order beat a map.
var (
	formatSlots [8]atomic.Pointer[format]
	formatNext  atomic.Uint32
)

func lookupFormat(f string) (*format, bool) {
	for i := range formatSlots {
		if e := formatSlots[i].Load(); e != nil && e.text == f {
			return e, true
		}
	}
	toks, ok := compileFormat(f)
	if !ok {
		return nil, false
	}
	e := &format{text: f, toks: toks}
	formatSlots[formatNext.Add(1)%uint32(len(formatSlots))].Store(e)
	return e, true
}

func mustFormats(texts ...string) []*format {
	out := make([]*format, len(texts))
	for i, t := range texts {
		toks, ok := compileFormat(t)
		if !ok {
			panic("logminer: bad built-in format " + t)
		}
		out[i] = &format{text: t, toks: toks}
	}
	return out
}

// compileFormat tokenizes a format model such as 'YYYY-MM-DD HH24:MI:SS.FF'.
func compileFormat(f string) ([]fmtTok, bool) {
	var toks []fmtTok
	for i := 0; i < len(f); {
		c := f[i]
		if c == '"' {
			j := strings.IndexByte(f[i+1:], '"')
			if j < 0 {
				return nil, false
			}
			toks = append(toks, fmtTok{e: eText, lit: f[i+1 : i+1+j]})
			i += j + 2
			continue
		}
		if !isWordByte(c) {
			toks = append(toks, fmtTok{e: eSep, lit: f[i : i+1]})
			i++
			continue
		}
		found := false
		for _, n := range formatNames {
			if len(f)-i >= len(n.name) && strings.EqualFold(f[i:i+len(n.name)], n.name) {
				toks = append(toks, fmtTok{e: n.e})
				i += len(n.name)
				if n.e == eFF && i < len(f) && f[i] >= '1' && f[i] <= '9' {
					i++ // FF1..FF9: the precision does not change reading
				}
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	if len(toks) > 64 {
		return nil, false
	}
	return toks, true
}

// datetime is a parsed date and time with an optional zone.
type datetime struct {
	year, month, day   int
	hour, min, sec     int
	nanos              int
	ampm               byte // 0 none, 'A', 'P'
	hasTZ              bool
	tzRegion           string
	tzSign, tzHH, tzMM int
	hasYear            bool
}

var monthNames = [...]string{"JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY",
	"AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"}

// now gives the current year for RR and YY; a variable for tests.
var now = time.Now

// parseWithFormat reads s under the format model toks.
func parseWithFormat(s string, toks []fmtTok) (datetime, bool) {
	sc := dtScanner{s: s, d: datetime{month: 1, day: 1}}
	for ti, t := range toks {
		if !sc.elem(t, toks, ti) {
			return sc.d, false
		}
	}
	sc.skipSpace()
	if sc.i != len(s) {
		return sc.d, false
	}
	return sc.d.complete()
}

// dtScanner is the state of parseWithFormat: the text, the offset read up
// to, and the fields read so far.
type dtScanner struct {
	s string
	i int
	d datetime
}

func (sc *dtScanner) skipSpace() {
	for sc.i < len(sc.s) && isSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// num reads up to maxDigits digits after space and reports whether there
// were at least minDigits; k is how many there were.
func (sc *dtScanner) num(maxDigits, minDigits int) (n, k int, ok bool) {
	sc.skipSpace()
	for sc.i < len(sc.s) && k < maxDigits && isDigit(sc.s[sc.i]) {
		n = n*10 + int(sc.s[sc.i]-'0')
		sc.i++
		k++
	}
	return n, k, k >= minDigits
}

// skipLetters skips space and then a word of ASCII letters.
func (sc *dtScanner) skipLetters() {
	sc.skipSpace()
	for sc.i < len(sc.s) && isLetter(sc.s[sc.i]) {
		sc.i++
	}
}

// elem reads the element t, toks[ti], and reports whether the text matched.
func (sc *dtScanner) elem(t fmtTok, toks []fmtTok, ti int) bool {
	switch t.e {
	case eSep:
		// A space skips white space; punctuation matches one punctuation
		// character right here, or none (Oracle reads formats loosely),
		// but never the sign of a zone or signed year that follows.
		signNext := ti+1 < len(toks) && (toks[ti+1].e == eTZH || toks[ti+1].e == eTZR || toks[ti+1].e == eSYYYY)
		s, i := sc.s, sc.i
		if isSpace(t.lit[0]) {
			sc.skipSpace()
		} else if i < len(s) && !isWordByte(s[i]) && !isSpace(s[i]) && !(signNext && (s[i] == '+' || s[i] == '-')) {
			sc.i++
		}
	case eText:
		sc.skipSpace()
		if len(sc.s)-sc.i < len(t.lit) || !strings.EqualFold(sc.s[sc.i:sc.i+len(t.lit)], t.lit) {
			return false
		}
		sc.i += len(t.lit)
	case eSYYYY, eYYYY, eRRRR, eYY, eRR:
		return sc.year(t.e)
	case eMM, eDD, eHH24, eHH12, eMI, eSS:
		return sc.field(t.e)
	case eMON:
		return sc.month()
	case eDY, eTZD:
		// Read and ignored.
		sc.skipLetters()
	case eX:
		if sc.i < len(sc.s) && sc.s[sc.i] == '.' {
			sc.i++
		}
	case eFF:
		sc.fraction()
	case eAMPM:
		return sc.meridian()
	case eTZH, eTZM, eTZR:
		return sc.zone(t.e)
	}
	return true
}

// year reads SYYYY (an optional sign, then up to 4 digits) or YYYY, RRRR,
// YY and RR, where 1 or 2 digits take the YY or RR rule except under YYYY.
func (sc *dtScanner) year(e elem) bool {
	if e == eSYYYY {
		neg := false
		if sc.i < len(sc.s) && (sc.s[sc.i] == '-' || sc.s[sc.i] == '+') {
			neg = sc.s[sc.i] == '-'
			sc.i++
		}
		n, _, ok := sc.num(4, 1)
		if !ok {
			return false
		}
		sc.d.year, sc.d.hasYear = n, true
		if neg {
			sc.d.year = -n
		}
		return true
	}
	n, k, ok := sc.num(4, 1)
	if !ok {
		return false
	}
	if k <= 2 && e != eYYYY {
		n = twoDigitYear(n, e == eRR || e == eRRRR)
	}
	sc.d.year, sc.d.hasYear = n, true
	return true
}

// field reads the 1 or 2 digits of MM, DD, HH24, HH12, MI or SS.
func (sc *dtScanner) field(e elem) bool {
	n, _, ok := sc.num(2, 1)
	if !ok {
		return false
	}
	switch e {
	case eMM:
		sc.d.month = n
	case eDD:
		sc.d.day = n
	case eHH24, eHH12:
		sc.d.hour = n
		if e == eHH12 && (n < 1 || n > 12) {
			return false
		}
	case eMI:
		sc.d.min = n
	case eSS:
		sc.d.sec = n
	}
	return true
}

// month reads a month name, whole or its first three letters, any case.
func (sc *dtScanner) month() bool {
	sc.skipSpace()
	j := sc.i
	for j < len(sc.s) && isLetter(sc.s[j]) {
		j++
	}
	w := sc.s[sc.i:j]
	m := 0
	for k, name := range monthNames {
		if len(w) >= 3 && len(w) <= len(name) && strings.EqualFold(w, name[:len(w)]) && (len(w) == 3 || len(w) == len(name)) {
			m = k + 1
			break
		}
	}
	if m == 0 {
		return false
	}
	sc.d.month = m
	sc.i = j
	return true
}

// fraction reads FF: up to 9 digits, right here, as nanoseconds.
func (sc *dtScanner) fraction() {
	n, k := 0, 0
	for sc.i < len(sc.s) && k < 9 && isDigit(sc.s[sc.i]) {
		n = n*10 + int(sc.s[sc.i]-'0')
		sc.i++
		k++
	}
	for ; k < 9; k++ {
		n *= 10
	}
	sc.d.nanos = n
}

// meridian reads AM, PM, A.M. or P.M., any case.
func (sc *dtScanner) meridian() bool {
	sc.skipSpace()
	switch rest := sc.s[sc.i:]; {
	case hasFoldPrefix(rest, "AM"), hasFoldPrefix(rest, "PM"):
		sc.d.ampm = upper(rest[0])
		sc.i += 2
	case hasFoldPrefix(rest, "A.M."), hasFoldPrefix(rest, "P.M."):
		sc.d.ampm = upper(rest[0])
		sc.i += 4
	default:
		return false
	}
	return true
}

// zone reads TZH (a sign and up to 14 hours), TZM (2 digits) or TZR (a
// region name or a signed hh:mm offset).
func (sc *dtScanner) zone(e elem) bool {
	switch e {
	case eTZH:
		sc.skipSpace()
		if sc.i >= len(sc.s) || (sc.s[sc.i] != '+' && sc.s[sc.i] != '-') {
			return false
		}
		sc.d.tzSign = 1
		if sc.s[sc.i] == '-' {
			sc.d.tzSign = -1
		}
		sc.i++
		n, _, ok := sc.num(2, 1)
		if !ok || n > 14 {
			return false
		}
		sc.d.tzHH, sc.d.hasTZ = n, true
	case eTZM:
		n, _, ok := sc.num(2, 2)
		if !ok || n > 59 {
			return false
		}
		sc.d.tzMM = n
	case eTZR:
		return sc.region()
	}
	return true
}

// region reads TZR: a word up to the next space, a signed hh:mm offset or a
// region name.
func (sc *dtScanner) region() bool {
	sc.skipSpace()
	j := sc.i
	for j < len(sc.s) && !isSpace(sc.s[j]) {
		j++
	}
	r := sc.s[sc.i:j]
	if r == "" {
		return false
	}
	if r[0] == '+' || r[0] == '-' {
		hh, mm, ok := parseOffset(r)
		if !ok {
			return false
		}
		sc.d.tzSign, sc.d.tzHH, sc.d.tzMM = 1, hh, mm
		if r[0] == '-' {
			sc.d.tzSign = -1
		}
	} else {
		sc.d.tzRegion = r
	}
	sc.d.hasTZ = true
	sc.i = j
	return true
}

// complete applies AM/PM and the current year when none was read, and
// checks the ranges of the fields.
func (d datetime) complete() (datetime, bool) {
	if d.ampm != 0 {
		if d.hour < 1 || d.hour > 12 {
			return d, false
		}
		d.hour %= 12
		if d.ampm == 'P' {
			d.hour += 12
		}
	}
	if !d.hasYear {
		d.year = now().Year()
	}
	if d.month < 1 || d.month > 12 || d.day < 1 || d.day > daysIn(d.year, d.month) ||
		d.hour > 23 || d.min > 59 || d.sec > 59 || d.year < -4712 || d.year > 9999 || d.year == 0 {
		return d, false
	}
	return d, true
}

// twoDigitYear applies Oracle's RR rule (rr) or YY rule to a two-digit year.
func twoDigitYear(yy int, rr bool) int {
	cur := now().Year()
	century, last := cur/100*100, cur%100
	if !rr {
		return century + yy
	}
	switch {
	case yy < 50 && last >= 50:
		return century + 100 + yy
	case yy >= 50 && last < 50:
		return century - 100 + yy
	}
	return century + yy
}

func parseOffset(r string) (hh, mm int, ok bool) {
	h, m, found := strings.Cut(r[1:], ":")
	if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 || !allDigits(h) || !allDigits(m) {
		return 0, 0, false
	}
	hh, _ = strconv.Atoi(h)
	mm, _ = strconv.Atoi(m)
	return hh, mm, hh <= 14 && mm <= 59
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func hasFoldPrefix(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// The formats tried when the redo carries no format argument: what
// redoflow's sessions set first, then Oracle's defaults.
var (
	dateFormats = mustFormats("YYYY-MM-DD HH24:MI:SS", "DD-MON-RR", "DD-MON-RR HH.MI.SSXFF AM")
	tsFormats   = mustFormats("YYYY-MM-DD HH24:MI:SS.FF", "DD-MON-RR HH.MI.SSXFF AM", "DD-MON-RR")
	tstzFormats = mustFormats("YYYY-MM-DD HH24:MI:SS.FF TZH:TZM", "YYYY-MM-DD HH24:MI:SS.FF TZR", "DD-MON-RR HH.MI.SSXFF AM TZR")
	anyFormats  = append(append(append([]*format{}, tstzFormats...), tsFormats...), dateFormats...)
)

// decodeDatetime reads TO_DATE / TO_TIMESTAMP / TO_TIMESTAMP_TZ calls, or a
// bare datetime text, and writes the canonical ISO 8601 form.
func decodeDatetime(t Type, raw string, literal bool) (string, error) {
	// A quoted datetime text is read with the session formats.
	text, formats := raw, anyFormats
	if c, ok := parseCall(raw); ok && !literal {
		text = c.args[0]
		switch {
		case c.n == 0:
			return "", decodeErr(t.Name, raw, "missing datetime argument")
		case c.n == 2:
			f, ok := lookupFormat(c.args[1])
			if !ok {
				return "", decodeErr(t.Name, raw, "unsupported datetime format "+c.args[1])
			}
			return decodeWith(t, raw, text, f)
		case strings.EqualFold(c.name, "TO_DATE"):
			formats = dateFormats
		case strings.EqualFold(c.name, "TO_TIMESTAMP"):
			formats = tsFormats
		case strings.EqualFold(c.name, "TO_TIMESTAMP_TZ"):
			formats = tstzFormats
		}
		switch {
		case strings.EqualFold(c.name, "TO_DATE"), strings.EqualFold(c.name, "TO_TIMESTAMP"), strings.EqualFold(c.name, "TO_TIMESTAMP_TZ"):
		default:
			return "", decodeErr(t.Name, raw, "unexpected function "+c.name+" for a datetime")
		}
	} else if !literal {
		return "", decodeErr(t.Name, raw, "not a datetime literal")
	}
	for _, f := range formats {
		if d, ok := parseWithFormat(text, f.toks); ok {
			return formatDatetime(t, raw, d)
		}
	}
	return "", decodeErr(t.Name, raw, "no datetime format matches")
}

func decodeWith(t Type, raw, text string, f *format) (string, error) {
	d, ok := parseWithFormat(text, f.toks)
	if !ok {
		return "", decodeErr(t.Name, raw, "does not match its format "+f.text)
	}
	return formatDatetime(t, raw, d)
}

var zoneCache sync.Map // region name -> *time.Location

func formatDatetime(t Type, raw string, d datetime) (string, error) {
	switch t.Kind {
	case oracletype.Date:
		if d.nanos != 0 || d.hasTZ {
			return "", decodeErr(t.Name, raw, "a DATE has no fractional seconds or time zone")
		}
	case oracletype.Timestamp:
		if d.hasTZ {
			return "", decodeErr(t.Name, raw, "a TIMESTAMP has no time zone")
		}
	case oracletype.TimestampTZ:
		if !d.hasTZ {
			return "", decodeErr(t.Name, raw, "TIMESTAMP WITH TIME ZONE value without a zone")
		}
	}
	if d.tzRegion != "" {
		var loc *time.Location
		if v, ok := zoneCache.Load(d.tzRegion); ok {
			loc = v.(*time.Location)
		} else {
			l, err := time.LoadLocation(d.tzRegion)
			if err != nil || strings.EqualFold(d.tzRegion, "Local") {
				return "", decodeErr(t.Name, raw, "unknown time zone region "+d.tzRegion)
			}
			zoneCache.Store(d.tzRegion, l)
			loc = l
		}
		_, off := time.Date(d.year, time.Month(d.month), d.day, d.hour, d.min, d.sec, 0, loc).Zone()
		d.tzSign = 1
		if off < 0 {
			d.tzSign, off = -1, -off
		}
		d.tzHH, d.tzMM = off/3600, off%3600/60
	}
	var buf [48]byte
	b := buf[:0]
	y := d.year
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	b = append2(append2(b, y/100), y%100)
	b = append2(append(b, '-'), d.month)
	b = append2(append(b, '-'), d.day)
	b = append2(append(b, 'T'), d.hour)
	b = append2(append(b, ':'), d.min)
	b = append2(append(b, ':'), d.sec)
	if d.nanos != 0 {
		b = append(b, '.')
		n, w := d.nanos, 9
		for n%10 == 0 {
			n /= 10
			w--
		}
		var frac [9]byte
		for k := w - 1; k >= 0; k-- {
			frac[k] = byte('0' + n%10)
			n /= 10
		}
		b = append(b, frac[:w]...)
	}
	if d.hasTZ {
		if d.tzSign < 0 && (d.tzHH != 0 || d.tzMM != 0) {
			b = append(b, '-')
		} else {
			b = append(b, '+')
		}
		b = append2(b, d.tzHH)
		b = append2(append(b, ':'), d.tzMM)
	}
	return string(b), nil
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
