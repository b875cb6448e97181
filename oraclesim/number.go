package oraclesim

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
)

var zoneMu sync.Mutex

// decimalOf converts a Go or bind value to canonical decimal text: optional
// '-', integer digits (a lone 0 when |x| < 1), optional '.' and fraction
// digits without trailing zeros, no exponent.
func decimalOf(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return parseDecimal(x)
	case []byte:
		return parseDecimal(string(x))
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", oraErr(1426, "numeric overflow")
		}
		return parseDecimal(strconv.FormatFloat(x, 'g', -1, 64))
	case float32:
		return parseDecimal(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	return "", oraErr(1722, "invalid number")
}

// parseDecimal normalizes decimal text with an optional exponent.
func parseDecimal(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := oraErr(1722, "invalid number")
	if s == "" {
		return "", bad
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 200 || e < -200 {
			return "", bad
		}
		exp, s = e, s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", bad
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return "", bad
		}
	}
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	return formatDigits(neg, digits, point), nil
}

// formatDigits renders digits with the decimal point after point digits
// (point may be negative or beyond len(digits)).
func formatDigits(neg bool, digits string, point int) string {
	// strip leading zeros
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	// strip trailing zeros of the fraction
	for len(digits) > 0 && len(digits) > point && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	if digits == "" {
		return "0"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String()
}

// splitDecimal splits canonical decimal text into sign, digits without
// leading zeros, and point position.
func splitDecimal(s string) (neg bool, digits string, point int) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	i, f, _ := strings.Cut(s, ".")
	digits, point = i+f, len(i)
	for len(digits) > 0 && digits[0] == '0' {
		digits, point = digits[1:], point-1
	}
	return neg, digits, point
}

// roundAt rounds canonical decimal text to keep digits up to index keep of
// its digit string (half away from zero).
func roundDigits(neg bool, digits string, point, keep int) string {
	if keep >= len(digits) {
		return formatDigits(neg, digits, point)
	}
	if keep < 0 {
		return "0"
	}
	b := []byte(digits[:keep])
	if digits[keep] >= '5' {
		i := len(b) - 1
		for ; i >= 0; i-- {
			if b[i] == '9' {
				b[i] = '0'
				continue
			}
			b[i]++
			break
		}
		if i < 0 {
			b = append([]byte{'1'}, b...)
			point++
		}
	}
	return formatDigits(neg, string(b), point)
}

func roundSignificant(s string, sig int) string {
	neg, digits, point := splitDecimal(s)
	return roundDigits(neg, digits, point, sig)
}

// fitNumber applies NUMBER(p,s): round to s fraction digits, then check
// that at most p-s integer digits remain. Unconstrained NUMBER keeps 38
// significant digits.
func fitNumber(s string, t Type, col string) (string, error) {
	neg, digits, point := splitDecimal(s)
	if t.Precision == 0 && !t.ScaleSet {
		return roundDigits(neg, digits, point, 38), nil
	}
	out := roundDigits(neg, digits, point, point+t.Scale)
	_, d2, p2 := splitDecimal(out)
	if d2 != "" && p2 > t.Precision-t.Scale {
		return "", oraErr(1438, "value larger than specified precision allowed for this column")
	}
	return out, nil
}

// cmpDecimal compares two canonical decimal strings.
func cmpDecimal(a, b string) int {
	ra, ok1 := new(big.Rat).SetString(a)
	rb, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return strings.Compare(a, b)
	}
	return ra.Cmp(rb)
}
