package redo

import (
	"errors"
	"fmt"
	"strings"
)

// Statement is one DML statement of V$LOGMNR_CONTENTS.SQL_REDO, split into parts.
type Statement struct {
	Op     Op       // OpInsert, OpUpdate or OpDelete
	Schema string   // "" when the statement names no schema
	Table  string   // unquoted table name
	New    []Column // INSERT values; UPDATE SET list
	Old    []Column // UPDATE and DELETE WHERE list (the before image), without the ROWID predicate
	RowID  string   // value of a ROWID = '...' predicate, "" if none
}

// Column is a column name and its raw literal.
//
// Value is nil for NULL, for "C" IS NULL and for the token Unsupported Type.
// A quoted literal is unescaped; any other value (a function call, a
// concatenation, a bare number) is kept verbatim, to be read by DecodeLiteral.
type Column struct {
	Name  string
	Value *string
}

// Parse parses a SQL_REDO statement (its CSF pieces already joined).
// It never panics; an error matches ErrSyntax and quotes the position at fault.
// The Statement it returns owns its memory; Parser.Parse reuses it instead.
func Parse(sqlRedo string) (Statement, error) {
	var p redoParser
	return p.parse(sqlRedo)
}

// Parser parses SQL_REDO statements like Parse, reusing its memory from
// one statement to the next, as csv.Reader does with ReuseRecord: the
// columns and values of a Statement it returns are valid until the next Parse.
// The zero value is ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	p    redoParser
	newN int
}

// Parse parses one statement like the function Parse.
func (ps *Parser) Parse(sqlRedo string) (Statement, error) {
	ps.p.reuse = true
	r, err := ps.p.parse(sqlRedo)
	ps.newN = len(r.New)
	return r, err
}

// Quoted reports, for the Statement of the last Parse, which values were quoted
// literals in the statement (newQ[i] for r.New[i], oldQ[i] for r.Old[i]).
// A quoted literal is text to take as it is, even when it reads like a
// function call; pass this to Type.DecodeValue. Parse alone cannot tell
// the text HEXTORAW('41') from the call HEXTORAW('41').
func (ps *Parser) Quoted() (newQ, oldQ []bool) {
	q := ps.p.quoted
	return q[:ps.newN:ps.newN], q[ps.newN:]
}

// redoParser holds the state of one parse. The zero value is ready to use.
type redoParser struct {
	s       string
	pos     int
	relaxed bool
	// litEnd is the offset just past the last literal's closing quote. A
	// strict parse that fails there (space aside) has met one of
	// LogMiner's undoubled quotes.
	litEnd int

	cols []Column
	vals []string
	// quoted[i] is true when cols[i] came from a quoted literal; kept only
	// when reuse is set (Parser).
	quoted []bool
	// reuse keeps cols and vals from one parse to the next (Parser).
	reuse bool
	// lastQuoted tells whether the last value read was a quoted literal.
	lastQuoted bool
}

// value contexts decide, in relaxed mode, whether a quote can close a literal.
type valueCtx uint8

const (
	ctxValues valueCtx = iota // INSERT ... values (...)
	ctxSet                    // UPDATE ... set
	ctxWhere                  // ... where
)

func (p *redoParser) parse(s string) (Statement, error) {
	r, err := p.run(s, false)
	if err != nil && p.failedAfterLiteral(err) {
		if r2, err2 := p.run(s, true); err2 == nil {
			return r2, nil
		}
	}
	return r, err
}

// failedAfterLiteral reports whether err stands right after the closing
// quote of a literal, space aside.
func (p *redoParser) failedAfterLiteral(err error) bool {
	var se *SyntaxError
	return p.litEnd > 0 && errors.As(err, &se) && se.Pos >= p.litEnd && trimSpace(p.s[p.litEnd:se.Pos]) == ""
}

func (p *redoParser) run(s string, relaxed bool) (r Statement, err error) {
	p.s, p.pos, p.relaxed, p.litEnd = s, 0, relaxed, 0
	// One allocation holds the columns and values of most statements; a
	// wider one grows the slices (the values already pointed to stay in
	// the first block, which is never written again).
	if p.reuse && p.cols != nil {
		p.cols, p.vals, p.quoted = p.cols[:0], p.vals[:0], p.quoted[:0]
	} else {
		m := new(struct {
			cols [16]Column
			vals [16]string
		})
		p.cols, p.vals = m.cols[:0], m.vals[:0]
	}

	p.skipSpace()
	switch w := p.word(); {
	case strings.EqualFold(w, "insert"):
		r.Op = OpInsert
		err = p.insert(&r)
	case strings.EqualFold(w, "update"):
		r.Op = OpUpdate
		err = p.update(&r)
	case strings.EqualFold(w, "delete"):
		r.Op = OpDelete
		err = p.delete(&r)
	default:
		p.pos = 0
		return Statement{}, p.errorf("expected insert, update or delete")
	}
	if err != nil {
		return Statement{}, err
	}
	if err := p.end(); err != nil {
		return Statement{}, err
	}
	return r, nil
}

func (p *redoParser) insert(r *Statement) error {
	if err := p.keyword("into"); err != nil {
		return err
	}
	if err := p.table(r); err != nil {
		return err
	}
	p.skipSpace()
	if err := p.expect('('); err != nil {
		return err
	}
	for {
		p.skipSpace()
		name, err := p.ident()
		if err != nil {
			return err
		}
		p.addCol(Column{Name: name})
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if err := p.expect(')'); err != nil {
			return err
		}
		break
	}
	if err := p.keyword("values"); err != nil {
		return err
	}
	if p.reuse {
		for len(p.quoted) < len(p.cols) {
			p.quoted = append(p.quoted, false)
		}
	}
	p.skipSpace()
	if err := p.expect('('); err != nil {
		return err
	}
	for i := range p.cols {
		if i > 0 {
			p.skipSpace()
			if err := p.expect(','); err != nil {
				return err
			}
		}
		v, err := p.value(ctxValues)
		if err != nil {
			return err
		}
		p.cols[i].Value = v
		if p.reuse {
			p.quoted[i] = p.lastQuoted
		}
	}
	p.skipSpace()
	if err := p.expect(')'); err != nil {
		return err
	}
	r.New = p.cols[:len(p.cols):len(p.cols)]
	return nil
}

func (p *redoParser) update(r *Statement) error {
	if err := p.table(r); err != nil {
		return err
	}
	p.skipSpace()
	w := p.word()
	if !strings.EqualFold(w, "set") {
		if w == "" {
			return p.errorf("expected set")
		}
		// A table alias, as LogMiner writes for tables with LOB columns.
		if err := p.keyword("set"); err != nil {
			return err
		}
	}
	for {
		if err := p.assignment(ctxSet); err != nil {
			return err
		}
		if strings.HasPrefix(p.s[p.pos:], ", ") {
			p.pos += 2
			continue
		}
		p.skipSpace()
		if p.peek() != ',' {
			break
		}
		p.pos++
	}
	r.New = p.cols[:len(p.cols):len(p.cols)]
	return p.where(r, len(p.cols))
}

func (p *redoParser) delete(r *Statement) error {
	if err := p.keyword("from"); err != nil {
		return err
	}
	if err := p.table(r); err != nil {
		return err
	}
	// An alias may follow the table; where must then come after it.
	save := p.pos
	p.skipSpace()
	if w := p.word(); w != "" && !strings.EqualFold(w, "where") {
		save = p.pos
	}
	p.pos = save
	return p.where(r, 0)
}

// where parses an optional WHERE clause into r.Old; first is the index in
// p.cols where the before image starts.
func (p *redoParser) where(r *Statement, first int) error {
	save := p.pos
	p.skipSpace()
	if !strings.EqualFold(p.word(), "where") {
		p.pos = save
		return nil
	}
	for {
		p.skipSpace()
		if err := p.predicate(r); err != nil {
			return err
		}
		// LogMiner writes " and "; other spacing and case take the long way.
		if strings.HasPrefix(p.s[p.pos:], " and ") {
			p.pos += 5
			continue
		}
		save = p.pos
		p.skipSpace()
		if !strings.EqualFold(p.word(), "and") {
			p.pos = save
			break
		}
	}
	if len(p.cols) > first {
		r.Old = p.cols[first:len(p.cols):len(p.cols)]
	}
	return nil
}

func (p *redoParser) predicate(r *Statement) error {
	save := p.pos
	if p.peek() != '"' && strings.EqualFold(p.word(), "ROWID") {
		p.skipSpace()
		if err := p.expect('='); err != nil {
			return err
		}
		p.skipSpace()
		if p.peek() != '\'' {
			return p.errorf("expected a quoted ROWID")
		}
		v, err := p.literal(ctxWhere)
		if err != nil {
			return err
		}
		r.RowID = v
		return nil
	}
	p.pos = save
	name, err := p.columnRef()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.peek() == '=' {
		p.pos++
		v, err := p.value(ctxWhere)
		if err != nil {
			return err
		}
		p.addCol(Column{Name: name, Value: v})
		return nil
	}
	if strings.EqualFold(p.word(), "IS") {
		p.skipSpace()
		if strings.EqualFold(p.word(), "NULL") {
			p.lastQuoted = false
			p.addCol(Column{Name: name})
			return nil
		}
	}
	return p.errorf("expected = or IS NULL after column %q", name)
}

func (p *redoParser) assignment(ctx valueCtx) error {
	p.skipSpace()
	name, err := p.columnRef()
	if err != nil {
		return err
	}
	if strings.HasPrefix(p.s[p.pos:], " = ") {
		p.pos += 3
	} else {
		p.skipSpace()
		if err := p.expect('='); err != nil {
			return err
		}
	}
	v, err := p.value(ctx)
	if err != nil {
		return err
	}
	p.addCol(Column{Name: name, Value: v})
	return nil
}

// addCol appends a column; under reuse it records whether its value was a
// quoted literal (p.lastQuoted, set by value).
func (p *redoParser) addCol(c Column) {
	p.cols = append(p.cols, c)
	if p.reuse {
		p.quoted = append(p.quoted, p.lastQuoted)
	}
}

// columnRef parses "C" or a."C".
func (p *redoParser) columnRef() (string, error) {
	if p.peek() != '"' {
		if p.word() == "" || p.peek() != '.' {
			return "", p.errorf("expected a column name")
		}
		p.pos++
	}
	return p.ident()
}

// table parses "S"."T" or "T" after skipping space.
func (p *redoParser) table(r *Statement) error {
	p.skipSpace()
	name, err := p.ident()
	if err != nil {
		return err
	}
	if p.peek() == '.' {
		p.pos++
		r.Schema = name
		if name, err = p.ident(); err != nil {
			return err
		}
	}
	r.Table = name
	return nil
}

// ident parses a quoted identifier ("" inside stands for ") or a bare one.
func (p *redoParser) ident() (string, error) {
	if p.peek() != '"' {
		if w := p.word(); w != "" {
			return w, nil
		}
		return "", p.errorf("expected an identifier")
	}
	start := p.pos + 1
	var b strings.Builder
	seg := start
	for i := start; ; {
		j := indexByte(p.s[i:], '"')
		if j < 0 {
			p.pos = start - 1
			return "", p.errorf("unterminated quoted identifier")
		}
		j += i
		if j+1 < len(p.s) && p.s[j+1] == '"' {
			b.WriteString(p.s[seg : j+1])
			i, seg = j+2, j+2
			continue
		}
		p.pos = j + 1
		if b.Len() == 0 {
			if j == start {
				p.pos = start - 1
				return "", p.errorf("empty quoted identifier")
			}
			return p.s[start:j], nil
		}
		b.WriteString(p.s[seg:j])
		return b.String(), nil
	}
}

// value parses one value after skipping space and returns its raw literal.
func (p *redoParser) value(ctx valueCtx) (*string, error) {
	p.skipSpace()
	start := p.pos
	p.lastQuoted = true
	if !p.relaxed && p.peek() == '\'' {
		if v, n, ok := unquote(p.s[start:]); ok {
			p.pos += n
			p.litEnd = p.pos
			if !p.concatFollows() {
				return p.keep(v), nil
			}
			p.pos = start
		}
	}
	switch c := p.peek(); {
	case c == '\'':
		v, err := p.literal(ctx)
		if err != nil {
			return nil, err
		}
		if !p.concatFollows() {
			return p.keep(v), nil
		}
		// A concatenation is kept verbatim for DecodeLiteral.
		p.pos = start
	case c == 'N' || c == 'n':
		if w := p.word(); strings.EqualFold(w, "NULL") {
			p.lastQuoted = false
			return nil, nil
		}
		p.pos = start
	case c == 'U' || c == 'u':
		if w := p.word(); strings.EqualFold(w, "Unsupported") {
			save := p.pos
			p.skipSpace()
			if strings.EqualFold(p.word(), "Type") {
				p.lastQuoted = false
				return nil, nil
			}
			p.pos = save
		}
		p.pos = start
	case c == 0:
		return nil, p.errorf("expected a value")
	}
	p.lastQuoted = false
	for {
		if err := p.term(ctx); err != nil {
			return nil, err
		}
		end := p.pos
		if !p.concatFollows() {
			p.pos = end
			return p.keep(p.s[start:end]), nil
		}
		p.pos += 2
		p.skipSpace()
	}
}

// concatFollows reports whether || comes next (after space); on true p.pos
// is at the ||.
func (p *redoParser) concatFollows() bool {
	if p.pos < len(p.s) && p.s[p.pos] != '|' && !isSpace(p.s[p.pos]) {
		return false
	}
	save := p.pos
	p.skipSpace()
	if strings.HasPrefix(p.s[p.pos:], "||") {
		return true
	}
	p.pos = save
	return false
}

// term scans one operand of a value verbatim: a quoted literal, a function
// call with balanced parentheses, a bare number, a bind placeholder, or a
// /* comment */ followed by a term.
func (p *redoParser) term(ctx valueCtx) error {
	c := p.peek()
	switch {
	case c == '\'':
		_, err := p.literal(ctx)
		return err
	case c == '/' && strings.HasPrefix(p.s[p.pos:], "/*"):
		j := strings.Index(p.s[p.pos+2:], "*/")
		if j < 0 {
			return p.errorf("unterminated comment")
		}
		p.pos += 2 + j + 2
		p.skipSpace()
		return p.term(ctx)
	case c == '-' || c == '+' || c == '.' || isDigit(c):
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && (isDigit(p.s[p.pos]) || p.s[p.pos] == '.' ||
			p.s[p.pos] == 'E' || p.s[p.pos] == 'e' ||
			((p.s[p.pos] == '+' || p.s[p.pos] == '-') && (p.s[p.pos-1] == 'E' || p.s[p.pos-1] == 'e'))) {
			p.pos++
		}
		if p.pos == start+1 && !isDigit(c) {
			p.pos = start
			return p.errorf("expected a value")
		}
		return nil
	case c == ':':
		p.pos++
		if p.word() == "" {
			p.pos--
			return p.errorf("expected a bind name")
		}
		return nil
	case isWordByte(c):
		name := p.word()
		p.skipSpace()
		if p.peek() != '(' {
			return p.errorf("expected ( after %s", name)
		}
		return p.parens()
	}
	return p.errorf("expected a value")
}

// parens skips a balanced parenthesised argument list, quotes respected.
func (p *redoParser) parens() error {
	start := p.pos
	depth := 0
	for p.pos < len(p.s) {
		if !parenStop[p.s[p.pos]] {
			p.pos++
			continue
		}
		switch p.s[p.pos] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				p.pos++
				return nil
			}
		case '\'':
			j := p.pos + 1
			for {
				k := strings.IndexByte(p.s[j:], '\'')
				if k < 0 {
					p.pos = start
					return p.errorf("unterminated literal in function arguments")
				}
				j += k + 1
				if j < len(p.s) && p.s[j] == '\'' {
					j++
					continue
				}
				break
			}
			p.pos = j
			continue
		}
		p.pos++
	}
	p.pos = start
	return p.errorf("unbalanced parentheses")
}

// literal parses a quoted literal at p.pos and returns it unescaped.
func (p *redoParser) literal(ctx valueCtx) (string, error) {
	open := p.pos
	start := open + 1
	if !p.relaxed {
		v, n, ok := unquote(p.s[open:])
		if !ok {
			return "", p.errorf("unterminated literal")
		}
		p.pos = open + n
		p.litEnd = p.pos
		return v, nil
	}
	var b []byte
	seg := start
	for i := start; ; {
		j := strings.IndexByte(p.s[i:], '\'')
		if j < 0 {
			p.pos = open
			return "", p.errorf("unterminated literal")
		}
		j += i
		// Relaxed: a run of n quotes closes the literal only where the
		// statement can go on after it; the other quotes are data, a
		// doubled pair standing for one quote.
		n := 1
		for j+n < len(p.s) && p.s[j+n] == '\'' {
			n++
		}
		b = append(b, p.s[seg:j]...)
		if p.canFollow(ctx, j+n) {
			b = append(b, strings.Repeat("'", n/2)...)
			p.pos = j + n
			return string(b), nil
		}
		b = append(b, strings.Repeat("'", (n+1)/2)...)
		i, seg = j+n, j+n
	}
}

// indexByte is strings.IndexByte with a plain loop over the first bytes:
// identifiers and most values are short, and the loop beats the call.
func indexByte(s string, c byte) int {
	n := min(len(s), 16)
	for i := 0; i < n; i++ {
		if s[i] == c {
			return i
		}
	}
	if n == len(s) {
		return -1
	}
	if j := strings.IndexByte(s[n:], c); j >= 0 {
		return n + j
	}
	return -1
}

// unquote reads the quoted literal s starts with. It returns the value with
// doubled quotes made single (a substring of s when there are none, else one
// allocation) and the length of the literal in s.
func unquote(s string) (val string, n int, ok bool) {
	escapes := 0
	i := 1
	for {
		j := indexByte(s[i:], '\'')
		if j < 0 {
			return "", 0, false
		}
		i += j
		if i+1 < len(s) && s[i+1] == '\'' {
			escapes++
			i += 2
			continue
		}
		break
	}
	body := s[1:i]
	if escapes == 0 {
		return body, i + 1, true
	}
	var b strings.Builder
	b.Grow(len(body) - escapes)
	for {
		k := strings.Index(body, "''")
		if k < 0 {
			b.WriteString(body)
			break
		}
		b.WriteString(body[:k+1])
		body = body[k+2:]
	}
	return b.String(), i + 1, true
}

// canFollow reports whether what stands at i can follow a value in ctx.
func (p *redoParser) canFollow(ctx valueCtx, i int) bool {
	s := p.s
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) {
		return ctx != ctxValues
	}
	rest := s[i:]
	switch ctx {
	case ctxValues:
		if rest[0] == ')' || strings.HasPrefix(rest, "||") {
			return true
		}
		if rest[0] != ',' {
			return false
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		return i < len(s) && (s[i] == '\'' || s[i] == '/' || s[i] == '-' || s[i] == '.' || isDigit(s[i]) || (s[i] >= 'A' && s[i] <= 'Z'))
	case ctxSet:
		if rest[0] == ';' || strings.HasPrefix(rest, "||") {
			return true
		}
		if rest[0] == ',' {
			return columnStart(s, i+1)
		}
		return keywordAt(rest, "where")
	default:
		if rest[0] == ';' || strings.HasPrefix(rest, "||") {
			return true
		}
		return keywordAt(rest, "and") && (columnStart(s, i+3) || keywordAt(trimSpace(s[i+3:]), "ROWID"))
	}
}

// columnStart reports whether a column reference ("C" or a."C") starts at i
// after space.
func columnStart(s string, i int) bool {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return true
	}
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return j > i && j+1 < len(s) && s[j] == '.' && s[j+1] == '"'
}

// keywordAt reports whether s starts with kw (any case) followed by space.
func keywordAt(s, kw string) bool {
	return len(s) > len(kw) && strings.EqualFold(s[:len(kw)], kw) && isSpace(s[len(kw)])
}

// keep stores v in the parse's value array and returns a pointer to it.
func (p *redoParser) keep(v string) *string {
	p.vals = append(p.vals, v)
	return &p.vals[len(p.vals)-1]
}

func (p *redoParser) end() error {
	p.skipSpace()
	if p.peek() == ';' {
		p.pos++
		p.skipSpace()
	}
	if p.pos != len(p.s) {
		return p.errorf("unexpected text after the statement")
	}
	return nil
}

func (p *redoParser) keyword(kw string) error {
	p.skipSpace()
	save := p.pos
	if !strings.EqualFold(p.word(), kw) {
		p.pos = save
		return p.errorf("expected %s", kw)
	}
	return nil
}

func (p *redoParser) expect(c byte) error {
	if p.peek() != c {
		return p.errorf("expected %q", c)
	}
	p.pos++
	return nil
}

func (p *redoParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// word reads a bare word of letters, digits, _, $ and #.
func (p *redoParser) word() string {
	start := p.pos
	for p.pos < len(p.s) && isWordByte(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *redoParser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *redoParser) errorf(format string, args ...any) error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &SyntaxError{Pos: p.pos, Msg: msg, Near: cut(p.s[min(p.pos, len(p.s)):], 40)}
}

// parenStop marks the bytes parens must look at.
var parenStop = [256]bool{'(': true, ')': true, '\'': true}

func trimSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c == '#'
}
