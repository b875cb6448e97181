package tns

import (
	"database/sql/driver"
	"strconv"
	"strings"
)

// appendNumberValue encodes a driver value as an Oracle NUMBER.
func appendNumberValue(dst []byte, v driver.Value) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendNumber(dst, x)
	case []byte:
		return appendNumber(dst, string(x))
	case int64:
		var buf [24]byte
		return appendNumber(dst, string(strconv.AppendInt(buf[:0], x, 10)))
	case float64:
		var buf [32]byte
		return appendNumber(dst, string(strconv.AppendFloat(buf[:0], x, 'e', -1, 64)))
	case float32:
		var buf [32]byte
		return appendNumber(dst, string(strconv.AppendFloat(buf[:0], float64(x), 'e', -1, 32)))
	case bool:
		if x {
			return append(dst, 0xC1, 0x02), nil
		}
		return append(dst, 0x80), nil
	}
	return dst, newOraError(oraInconsistentTypes, "inconsistent datatypes: expected NUMBER got %T", v)
}

// appendNumber encodes a decimal string ("-123.45", "1e-7", "0") in Oracle's
// NUMBER format: an exponent byte in base 100 and up to 20 base-100 digits,
// each stored +1 (positive) or as 101-d with a trailing 102 (negative).
func appendNumber(dst []byte, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	bad := func() ([]byte, error) { return dst, newOraError(1722, "invalid number") }
	if s == "" {
		return bad()
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	exp10 := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return bad()
		}
		exp10, s = e, s[:i]
	}
	// Collect significant digits and the position of the decimal point.
	var digits [80]byte
	nd, point, seenPoint, seenDigit := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if seenPoint {
				return bad()
			}
			seenPoint = true
		case c >= '0' && c <= '9':
			seenDigit = true
			if nd == 0 && c == '0' {
				if seenPoint {
					point--
				}
				continue
			}
			if nd < len(digits) {
				digits[nd] = c - '0'
				nd++
			}
			if !seenPoint {
				point++
			}
		default:
			return bad()
		}
	}
	if !seenDigit {
		return bad()
	}
	for nd > 0 && digits[nd-1] == 0 {
		nd--
	}
	if nd == 0 {
		return append(dst, 0x80), nil
	}
	point += exp10
	// Align to base-100 pairs: an odd number of digits before the point
	// gets a leading zero.
	var d []byte = digits[:nd]
	var shifted [81]byte
	if point%2 != 0 {
		shifted[0] = 0
		copy(shifted[1:], d)
		d = shifted[:nd+1]
		point++
	}
	exp100 := point / 2
	if exp100 > 63 {
		return dst, newOraError(1426, "numeric overflow")
	}
	if exp100 < -64 {
		return append(dst, 0x80), nil // below 1e-130 Oracle stores zero
	}
	npairs := (len(d) + 1) / 2
	if npairs > 20 {
		npairs = 20 // Oracle keeps at most 40 significant digits
	}
	for npairs > 0 {
		hi := d[2*(npairs-1)]
		lo := byte(0)
		if 2*(npairs-1)+1 < len(d) {
			lo = d[2*(npairs-1)+1]
		}
		if hi != 0 || lo != 0 {
			break
		}
		npairs--
	}
	if neg {
		dst = append(dst, byte(0x3F-exp100))
	} else {
		dst = append(dst, byte(0xC0+exp100))
	}
	for i := 0; i < npairs; i++ {
		v := d[2*i] * 10
		if 2*i+1 < len(d) {
			v += d[2*i+1]
		}
		if neg {
			dst = append(dst, 101-v)
		} else {
			dst = append(dst, v+1)
		}
	}
	if neg && npairs < 20 {
		dst = append(dst, 102)
	}
	return dst, nil
}
