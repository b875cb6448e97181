package oracletype

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// The canonical text forms every source writes, so that a value reads the
// same whether it came from a snapshot query or from the redo: see the
// package documentation for the list.

// maxExponent bounds the exponent of a decimal in scientific notation.
// Oracle's NUMBER range is 1e-130 to 1e126; the bound keeps hostile input
// from growing the output.
const maxExponent = 400

// ErrNotDecimal is returned by CanonicalDecimal for text that is not a
// decimal number.
var ErrNotDecimal = errors.New("not a decimal number")

// CanonicalDecimal returns the exact decimal text of a NUMBER: a leading
// zero, no exponent, no trailing fractional zeros, no sign on zero. It
// works on the digits and never goes through float64, so 38 significant
// digits survive. Text already canonical is returned without copying.
func CanonicalDecimal(raw string) (string, error) {
	s := raw
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp := s, 0
	e := -1
	for k := 0; k < len(s); k++ {
		if s[k] == 'e' || s[k] == 'E' {
			e = k
			break
		}
	}
	if e >= 0 {
		mant = s[:e]
		n, ok := atoiSigned(s[e+1:])
		if !ok || n > maxExponent || n < -maxExponent {
			return "", ErrNotDecimal
		}
		exp = n
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) || hasDot && strings.Contains(frac, ".") {
		return "", ErrNotDecimal
	}
	if e < 0 && canonicalDecimal(raw, intPart, frac, hasDot) {
		return raw, nil
	}
	// Shift the decimal point by exp over the digit string.
	digits := intPart + frac
	point := len(intPart) + exp
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	ip := strings.TrimLeft(digits[:point], "0")
	fp := strings.TrimRight(digits[point:], "0")
	if ip == "" {
		ip = "0"
	}
	var b strings.Builder
	b.Grow(len(ip) + len(fp) + 2)
	if neg && (ip != "0" || fp != "") {
		b.WriteByte('-')
	}
	b.WriteString(ip)
	if fp != "" {
		b.WriteByte('.')
		b.WriteString(fp)
	}
	return b.String(), nil
}

func canonicalDecimal(raw, intPart, frac string, hasDot bool) bool {
	if raw[0] == '+' || intPart == "" {
		return false
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return false
	}
	if hasDot && (frac == "" || frac[len(frac)-1] == '0') {
		return false
	}
	if raw[0] == '-' && intPart == "0" && strings.Trim(frac, "0") == "" {
		return false
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoiSigned(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 6 || !allDigits(s) {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	if neg {
		n = -n
	}
	return n, true
}

// AppendDateTime appends t as 2006-01-02T15:04:05, followed by the
// fraction with trailing zeros cut (no dot when zero) if frac, and by the
// offset (+HH:MM, +00:00 for UTC) if zone. Years before 1 are written with
// a sign, as Oracle's signed years: -0044.
func AppendDateTime(b []byte, t time.Time, frac, zone bool) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	b = append2(append2(b, y/100), y%100)
	b = append2(append(b, '-'), int(mo))
	b = append2(append(b, '-'), d)
	b = append2(append(b, 'T'), h)
	b = append2(append(b, ':'), mi)
	b = append2(append(b, ':'), s)
	if ns := t.Nanosecond(); frac && ns != 0 {
		var f [10]byte
		f[0] = '.'
		for k := 9; k >= 1; k-- {
			f[k] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	if zone {
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = append(b, sign)
		b = append2(b, off/3600)
		b = append2(append(b, ':'), off%3600/60)
	}
	return b
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
