package redo

import (
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/redoflow/redoflow/oracletype"
)

// call is a function call whose arguments are all quoted literals, such as
// TO_DATE('2020-01-15', 'YYYY-MM-DD') or EMPTY_CLOB().
type call struct {
	name string
	args [2]string
	n    int
}

// parseCall reads NAME('a'[, 'b']) spanning all of s (a leading
// /* comment */ and surrounding space allowed).
func parseCall(s string) (c call, ok bool) {
	c, rest, ok := nextCall(s)
	if !ok || strings.TrimSpace(rest) != "" {
		return call{}, false
	}
	return c, true
}

// splitCall is parseCall returning the arguments as a slice.
func splitCall(s string) (string, []string, bool) {
	c, ok := parseCall(s)
	if !ok {
		return "", nil, false
	}
	return c.name, c.args[:c.n], true
}

// nextCall reads one call at the start of s and returns what follows it.
func nextCall(s string) (c call, rest string, ok bool) {
	s = skipComments(s)
	i := 0
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	if i == 0 {
		return call{}, "", false
	}
	c.name = s[:i]
	s = trimSpace(s[i:])
	if s == "" || s[0] != '(' {
		return call{}, "", false
	}
	s = trimSpace(s[1:])
	for {
		if s != "" && s[0] == ')' && c.n == 0 {
			return c, s[1:], true
		}
		if c.n == len(c.args) {
			return call{}, "", false
		}
		v, r, ok := quoted(s)
		if !ok {
			return call{}, "", false
		}
		c.args[c.n] = v
		c.n++
		s = trimSpace(r)
		if s == "" {
			return call{}, "", false
		}
		switch s[0] {
		case ')':
			return c, s[1:], true
		case ',':
			s = trimSpace(s[1:])
		default:
			return call{}, "", false
		}
	}
}

// quoted reads a quoted literal at the start of s, unescaping doubled quotes.
func quoted(s string) (val, rest string, ok bool) {
	if s == "" || s[0] != '\'' {
		return "", "", false
	}
	v, n, ok := unquote(s)
	if !ok {
		return "", "", false
	}
	return v, s[n:], true
}

func skipComments(s string) string {
	for {
		s = trimSpace(s)
		if !strings.HasPrefix(s, "/*") {
			return s
		}
		j := strings.Index(s[2:], "*/")
		if j < 0 {
			return s
		}
		s = s[2+j+2:]
	}
}

// isExpression reports whether raw is a value expression (a function call,
// maybe concatenated) rather than the text of a quoted literal. Parse
// returns quoted literals unescaped and expressions verbatim, so a text
// value that itself reads UNISTR('...') is ambiguous here; the reader,
// which knows how each value was written, does not rely on this guess.
func isExpression(raw string) bool {
	_, _, ok := nextCall(raw)
	return ok
}

type termFunc func(t Type, raw string, c call) (string, error)

// concat decodes each term of a || concatenation and joins the results.
func concat(t Type, raw string, term termFunc) (string, error) {
	s := raw
	var out string
	var b *strings.Builder
	for first := true; ; first = false {
		s = skipComments(s)
		var v string
		var err error
		if s != "" && s[0] == '\'' {
			var r string
			var ok bool
			if v, r, ok = quoted(s); !ok {
				return "", decodeErr(t.Name, raw, "unterminated literal")
			}
			s = r
			if t.Kind == oracletype.Binary {
				if v, err = lowerHex(t, raw, v); err != nil {
					return "", err
				}
			}
		} else {
			c, r, ok := nextCall(s)
			if !ok {
				return "", decodeErr(t.Name, raw, "expected a function call or a quoted literal")
			}
			if v, err = term(t, raw, c); err != nil {
				return "", err
			}
			s = r
		}
		if first {
			out = v
		} else {
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(out)
			}
			b.WriteString(v)
		}
		s = trimSpace(s)
		if s == "" {
			break
		}
		if !strings.HasPrefix(s, "||") {
			return "", decodeErr(t.Name, raw, "expected || between terms")
		}
		s = s[2:]
	}
	if b != nil {
		return b.String(), nil
	}
	return out, nil
}

func textTerm(t Type, raw string, c call) (string, error) {
	switch {
	case strings.EqualFold(c.name, "UNISTR") && c.n == 1:
		return unistr(t, raw, c.args[0])
	case strings.EqualFold(c.name, "HEXTORAW") && c.n == 1:
		b, err := hexBytes(t, raw, c.args[0])
		if err != nil {
			return "", err
		}
		if !utf8.Valid(b) {
			return "", decodeErr(t.Name, raw, "HEXTORAW bytes are not valid AL32UTF8")
		}
		return string(b), nil
	case (strings.EqualFold(c.name, "EMPTY_CLOB") || strings.EqualFold(c.name, "EMPTY_BLOB")) && c.n == 0:
		return "", nil
	}
	return "", decodeErr(t.Name, raw, "unexpected function "+c.name+" for character data")
}

func binaryTerm(t Type, raw string, c call) (string, error) {
	switch {
	case strings.EqualFold(c.name, "HEXTORAW") && c.n == 1:
		return lowerHex(t, raw, c.args[0])
	case (strings.EqualFold(c.name, "EMPTY_BLOB") || strings.EqualFold(c.name, "EMPTY_CLOB")) && c.n == 0:
		return "", nil
	}
	return "", decodeErr(t.Name, raw, "unexpected function "+c.name+" for binary data")
}

// lowerHex validates hex digits and returns them in lower case, with a
// leading 0 for an odd count as Oracle's HEXTORAW does.
func lowerHex(t Type, raw, h string) (string, error) {
	canonical := len(h)%2 == 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			canonical = false
		default:
			return "", decodeErr(t.Name, raw, "not hexadecimal")
		}
	}
	if canonical {
		return h, nil
	}
	b := make([]byte, 0, len(h)+1)
	if len(h)%2 == 1 {
		b = append(b, '0')
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'A' && c <= 'F' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b), nil
}

func hexBytes(t Type, raw, h string) ([]byte, error) {
	if len(h)%2 == 1 {
		h = "0" + h
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, decodeErr(t.Name, raw, "not hexadecimal")
	}
	return b, nil
}

// unistr decodes the argument of UNISTR: \XXXX is a UTF-16 code unit (two
// of them for a surrogate pair), \\ a backslash, anything else itself.
func unistr(t Type, raw, s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := strings.IndexByte(s[i:], '\\')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i += 2
			continue
		}
		u, ok := hex4(s, i+1)
		if !ok {
			return "", decodeErr(t.Name, raw, "bad UNISTR escape")
		}
		i += 5
		r := rune(u)
		if utf16.IsSurrogate(r) {
			lo, ok := uint16(0), false
			if i < len(s) && s[i] == '\\' {
				lo, ok = hex4(s, i+1)
			}
			r = utf16.DecodeRune(r, rune(lo))
			if !ok || r == utf8.RuneError {
				return "", decodeErr(t.Name, raw, "unpaired UTF-16 surrogate in UNISTR")
			}
			i += 5
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

func hex4(s string, i int) (uint16, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var u uint16
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(d)
	}
	return u, true
}
