package logminer

import "strings"

// maxExponent bounds the exponent of a NUMBER literal. Oracle's range is
// 1e-130 to 1e126; the bound keeps hostile input from growing the output.
const maxExponent = 400

// decodeNumber returns the exact decimal text of a NUMBER literal: a leading
// zero, no exponent, no trailing fractional zeros, no sign on zero. It works
// on the digits and never goes through float64, so 38 significant digits
// survive.
func decodeNumber(t Type, raw string) (string, error) {
	s := raw
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp := s, 0
	i := -1
	for k := 0; k < len(s); k++ {
		if s[k] == 'e' || s[k] == 'E' {
			i = k
			break
		}
	}
	if i >= 0 {
		mant = s[:i]
		e, ok := atoiSigned(s[i+1:])
		if !ok || e > maxExponent || e < -maxExponent {
			return "", decodeErr(t.Name, raw, "bad exponent")
		}
		exp = e
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) || hasDot && strings.Contains(frac, ".") {
		return "", decodeErr(t.Name, raw, "not a decimal number")
	}
	if i < 0 && canonicalDecimal(raw, intPart, frac, hasDot) {
		return raw, nil
	}
	// Shift the decimal point by exp over the digit string.
	digits := intPart + frac
	point := len(intPart) + exp
	for point < 0 {
		digits = "0" + digits
		point++
	}
	for point > len(digits) {
		digits += "0"
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

// canonicalDecimal reports whether raw is already in canonical form, so
// the common case allocates nothing.
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
		if !isDigit(s[i]) {
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
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
