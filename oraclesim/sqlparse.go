package oraclesim

import (
	"strings"
)

// The recognizer: a tokenizer and a recursive-descent parser for exactly the
// statements listed in doc.go. Anything else is ORA-00900 quoting the SQL.

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tQIdent
	tString
	tNumber
	tBind
	tOp
)

type token struct {
	kind tokKind
	s    string // identifiers upper-cased, quoted identifiers verbatim, strings unescaped
	pos  int
}

func tokenize(sql string) ([]token, error) {
	toks := make([]token, 0, 32)
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, errSQL(sql)
			}
			i += j + 4
		case isIdentStart(c):
			j := i + 1
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			toks = append(toks, token{tIdent, strings.ToUpper(sql[i:j]), i})
			i = j
		case c == '"':
			j := strings.IndexByte(sql[i+1:], '"')
			if j < 0 {
				return nil, errSQL(sql)
			}
			toks = append(toks, token{tQIdent, sql[i+1 : i+1+j], i})
			i += j + 2
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(sql) {
					return nil, oraErr(1756, "quoted string not properly terminated")
				}
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(sql[j])
				j++
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.') {
				j++
			}
			if j < len(sql) && (sql[j] == 'e' || sql[j] == 'E') {
				k := j + 1
				if k < len(sql) && (sql[k] == '+' || sql[k] == '-') {
					k++
				}
				if k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
					for k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
						k++
					}
					j = k
				}
			}
			toks = append(toks, token{tNumber, sql[i:j], i})
			i = j
		case c == ':':
			j := i + 1
			if j < len(sql) && sql[j] == '"' {
				k := strings.IndexByte(sql[j+1:], '"')
				if k < 0 {
					return nil, errSQL(sql)
				}
				toks = append(toks, token{tBind, sql[j+1 : j+1+k], i})
				i = j + k + 2
				continue
			}
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			if j == i+1 {
				return nil, errSQL(sql)
			}
			toks = append(toks, token{tBind, strings.ToUpper(sql[i+1 : j]), i})
			i = j
		default:
			two := ""
			if i+1 < len(sql) {
				two = sql[i : i+2]
			}
			switch two {
			case "<=", ">=", "<>", "!=", "||", "=>", ":=":
				toks = append(toks, token{tOp, two, i})
				i += 2
				continue
			}
			if strings.IndexByte("(),.;=<>+-*/", c) < 0 {
				return nil, errSQL(sql)
			}
			toks = append(toks, token{tOp, string(c), i})
			i++
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(sql)})
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '#'
}

// errSQL is the recognizer's ORA-00900, quoting the statement.
func errSQL(sql string) error {
	q := sql
	if len(q) > 200 {
		q = q[:200] + "..."
	}
	return oraErr(900, "invalid SQL statement: %s", q)
}

// ---- statements ----

type stmtKind uint8

const (
	stSelect stmtKind = iota + 1
	stAlterSession
	stAlterSystem
	stPLSQL
	stInsert
	stUpdate
	stDelete
	stCommit
	stRollback
	stRollbackTo
	stSavepoint
)

type stmt struct {
	kind    stmtKind
	sql     string
	nbinds  int
	sel     *selectStmt
	alter   []nameValue
	calls   []plsqlCall
	dml     *dmlStmt
	name    string // savepoint
	sysWhat string
}

type nameValue struct {
	name  string
	value string
}

type tableRef struct {
	schema string // "" = current schema
	name   string
	alias  string
	asOf   *operand
}

type selItem struct {
	star  bool
	col   string   // column name (resolved at open)
	agg   string   // COUNT, MIN, MAX
	fn    string   // RAWTOHEX, TO_CHAR
	lit   *operand // literal or pseudo value
	alias string
}

type orderItem struct {
	col  string
	pos  int
	desc bool
}

type selectStmt struct {
	items []selItem
	from  tableRef
	where *expr
	order []orderItem
	limit *operand
	dual  bool
}

type plsqlCall struct {
	proc string // ADD_LOGFILE, START_LOGMNR, END_LOGMNR
	args []plsqlArg
}

type plsqlArg struct {
	name string
	val  []operand // summed
}

type dmlStmt struct {
	table tableRef
	cols  []string
	vals  []operand
	where *expr
}

type opKind uint8

const (
	oBind opKind = iota + 1
	oString
	oNumber
	oNull
	oConst  // DBMS_LOGMNR.X
	oFunc   // TO_DATE etc.
	oColumn // column reference
	oPseudo // SYSDATE, SYSTIMESTAMP, CURRENT_SCN function
)

type operand struct {
	kind opKind
	s    string // literal text, bind name, function name, column name
	bind int    // occurrence index of a bind
	args []operand
}

type exprKind uint8

const (
	eAnd exprKind = iota + 1
	eOr
	eNot
	eCmp
	eIn
	eIsNull
	eLike
	eBetween
	eTrue
)

type expr struct {
	kind exprKind
	l, r *expr
	col  string
	op   string
	vals []operand
	not  bool
}

// parser

type parser struct {
	sql   string
	toks  []token
	i     int
	binds int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKW(kw string) bool {
	t := p.toks[p.i]
	return t.kind == tIdent && t.s == kw
}

func (p *parser) acceptKW(kws ...string) bool {
	for k, kw := range kws {
		t := p.toks[p.i+k]
		if t.kind != tIdent || t.s != kw {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) acceptOp(op string) bool {
	t := p.toks[p.i]
	if t.kind == tOp && t.s == op {
		p.i++
		return true
	}
	return false
}

func (p *parser) fail() error { return errSQL(p.sql) }

func (p *parser) expectKW(kw string) error {
	if !p.acceptKW(kw) {
		return p.fail()
	}
	return nil
}

func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.fail()
	}
	return nil
}

// ident reads an identifier (unquoted upper-cased or quoted verbatim).
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind == tIdent || t.kind == tQIdent {
		p.i++
		return t.s, nil
	}
	return "", p.fail()
}

func (p *parser) end() error {
	p.acceptOp(";")
	if p.peek().kind != tEOF {
		return p.fail()
	}
	return nil
}

// parseSQL recognizes one statement.
func parseSQL(sql string) (*stmt, error) {
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{sql: sql, toks: toks}
	st := &stmt{sql: sql}
	switch {
	case p.acceptKW("SELECT"):
		st.kind = stSelect
		st.sel, err = p.parseSelect()
	case p.acceptKW("WITH"):
		return nil, p.fail()
	case p.acceptKW("ALTER", "SESSION", "SET"):
		st.kind = stAlterSession
		st.alter, err = p.parseAlterSession()
	case p.acceptKW("ALTER", "SYSTEM"):
		st.kind = stAlterSystem
		switch {
		case p.acceptKW("SWITCH", "LOGFILE"), p.acceptKW("ARCHIVE", "LOG", "CURRENT"):
			st.sysWhat = "SWITCH"
			err = p.end()
		default:
			err = p.fail()
		}
	case p.acceptKW("BEGIN"):
		st.kind = stPLSQL
		st.calls, err = p.parsePLSQL()
	case p.acceptKW("INSERT", "INTO"):
		st.kind = stInsert
		st.dml, err = p.parseInsert()
	case p.acceptKW("UPDATE"):
		st.kind = stUpdate
		st.dml, err = p.parseUpdate()
	case p.acceptKW("DELETE"):
		st.kind = stDelete
		p.acceptKW("FROM")
		st.dml, err = p.parseDelete()
	case p.acceptKW("COMMIT"):
		st.kind = stCommit
		p.acceptKW("WORK")
		err = p.end()
	case p.acceptKW("ROLLBACK"):
		p.acceptKW("WORK")
		st.kind = stRollback
		if p.acceptKW("TO") {
			p.acceptKW("SAVEPOINT")
			st.kind = stRollbackTo
			st.name, err = p.ident()
		}
		if err == nil {
			err = p.end()
		}
	case p.acceptKW("SAVEPOINT"):
		st.kind = stSavepoint
		st.name, err = p.ident()
		if err == nil {
			err = p.end()
		}
	default:
		return nil, p.fail()
	}
	if err != nil {
		return nil, err
	}
	st.nbinds = p.binds
	return st, nil
}

func (p *parser) parseAlterSession() ([]nameValue, error) {
	var out []nameValue
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		t := p.next()
		switch t.kind {
		case tString, tIdent, tQIdent, tNumber:
		default:
			return nil, p.fail()
		}
		out = append(out, nameValue{strings.ToUpper(name), t.s})
		if p.peek().kind == tEOF || p.isOpNow(";") {
			return out, p.end()
		}
	}
}

func (p *parser) isOpNow(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.s == op
}

func (p *parser) parsePLSQL() ([]plsqlCall, error) {
	var calls []plsqlCall
	for !p.isKW("END") {
		pkg, err := p.ident()
		if err != nil {
			return nil, err
		}
		if pkg != "DBMS_LOGMNR" || !p.acceptOp(".") {
			return nil, p.fail()
		}
		proc, err := p.ident()
		if err != nil {
			return nil, err
		}
		c := plsqlCall{proc: proc}
		if p.acceptOp("(") {
			for !p.acceptOp(")") {
				var a plsqlArg
				if t := p.peek(); (t.kind == tIdent) && p.toks[p.i+1].kind == tOp && p.toks[p.i+1].s == "=>" {
					a.name = t.s
					p.i += 2
				}
				for {
					o, err := p.operand()
					if err != nil {
						return nil, err
					}
					a.val = append(a.val, o)
					if !p.acceptOp("+") {
						break
					}
				}
				c.args = append(c.args, a)
				if !p.acceptOp(",") {
					if err := p.expectOp(")"); err != nil {
						return nil, err
					}
					break
				}
			}
		}
		if err := p.expectOp(";"); err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	p.next()
	return calls, p.end()
}

// operand parses a value: bind, literal, NULL, DBMS_LOGMNR constant,
// conversion function, pseudo column or column reference.
func (p *parser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tBind:
		o := operand{kind: oBind, s: t.s, bind: p.binds}
		p.binds++
		return o, nil
	case tString:
		return operand{kind: oString, s: t.s}, nil
	case tNumber:
		return operand{kind: oNumber, s: t.s}, nil
	case tOp:
		if t.s == "-" || t.s == "+" {
			n := p.next()
			if n.kind != tNumber {
				return operand{}, p.fail()
			}
			if t.s == "-" {
				return operand{kind: oNumber, s: "-" + n.s}, nil
			}
			return operand{kind: oNumber, s: n.s}, nil
		}
		return operand{}, p.fail()
	case tQIdent:
		return p.columnRef(t.s)
	case tIdent:
		switch t.s {
		case "NULL":
			return operand{kind: oNull}, nil
		case "SYSDATE", "SYSTIMESTAMP", "CURRENT_SCN", "USER":
			return operand{kind: oPseudo, s: t.s}, nil
		case "DATE", "TIMESTAMP":
			if s := p.peek(); s.kind == tString {
				p.i++
				return operand{kind: oFunc, s: t.s, args: []operand{{kind: oString, s: s.s}}}, nil
			}
		case "DBMS_LOGMNR", "DBMS_FLASHBACK":
			if p.acceptOp(".") {
				n, err := p.ident()
				if err != nil {
					return operand{}, err
				}
				if t.s == "DBMS_FLASHBACK" {
					if n != "GET_SYSTEM_CHANGE_NUMBER" {
						return operand{}, p.fail()
					}
					if p.acceptOp("(") {
						if err := p.expectOp(")"); err != nil {
							return operand{}, err
						}
					}
					return operand{kind: oPseudo, s: "CURRENT_SCN"}, nil
				}
				if _, ok := logmnrConstants[n]; !ok {
					return operand{}, p.fail()
				}
				return operand{kind: oConst, s: n}, nil
			}
		case "TO_DATE", "TO_TIMESTAMP", "TO_TIMESTAMP_TZ", "HEXTORAW", "EMPTY_CLOB", "EMPTY_BLOB", "TO_NUMBER", "UNISTR", "TO_YMINTERVAL", "TO_DSINTERVAL", "TO_BINARY_FLOAT", "TO_BINARY_DOUBLE":
			if p.acceptOp("(") {
				o := operand{kind: oFunc, s: t.s}
				for !p.acceptOp(")") {
					a, err := p.operand()
					if err != nil {
						return operand{}, err
					}
					o.args = append(o.args, a)
					if !p.acceptOp(",") {
						if err := p.expectOp(")"); err != nil {
							return operand{}, err
						}
						break
					}
				}
				return o, nil
			}
		}
		return p.columnRef(t.s)
	}
	return operand{}, p.fail()
}

// columnRef reads [qualifier.]column after its first part.
func (p *parser) columnRef(first string) (operand, error) {
	name := first
	if p.acceptOp(".") {
		n, err := p.ident()
		if err != nil {
			return operand{}, err
		}
		name = n
	}
	return operand{kind: oColumn, s: name}, nil
}

func (p *parser) tableRef(allowAlias bool) (tableRef, error) {
	var tr tableRef
	a, err := p.ident()
	if err != nil {
		return tr, err
	}
	tr.name = a
	if p.acceptOp(".") {
		b, err := p.ident()
		if err != nil {
			return tr, err
		}
		tr.schema, tr.name = a, b
	}
	if p.acceptKW("AS", "OF", "SCN") {
		o, err := p.operand()
		if err != nil {
			return tr, err
		}
		tr.asOf = &o
	}
	if allowAlias {
		if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !reserved[t.s] {
			tr.alias = t.s
			p.i++
		}
	}
	return tr, nil
}

var reserved = map[string]bool{"WHERE": true, "ORDER": true, "SET": true, "FETCH": true, "FOR": true, "AS": true, "GROUP": true, "VALUES": true}

func (p *parser) parseSelect() (*selectStmt, error) {
	s := &selectStmt{}
	for {
		var it selItem
		switch {
		case p.acceptOp("*"):
			it.star = true
		case p.isKW("COUNT") || p.isKW("MIN") || p.isKW("MAX") || p.isKW("RAWTOHEX") || p.isKW("TO_CHAR"):
			fn := p.next().s
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			if fn == "COUNT" && p.acceptOp("*") {
				it.agg = "COUNT"
			} else {
				o, err := p.operand()
				if err != nil {
					return nil, err
				}
				if o.kind != oColumn {
					return nil, p.fail()
				}
				it.col = o.s
				if fn == "RAWTOHEX" || fn == "TO_CHAR" {
					it.fn = fn
				} else {
					it.agg = fn
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		default:
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			if o.kind == oColumn {
				it.col = o.s
			} else {
				it.lit = &o
			}
		}
		if p.acceptKW("AS") {
			a, err := p.ident()
			if err != nil {
				return nil, err
			}
			it.alias = a
		} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && t.s != "FROM" {
			it.alias = t.s
			p.i++
		}
		s.items = append(s.items, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectKW("FROM"); err != nil {
		return nil, err
	}
	tr, err := p.tableRef(true)
	if err != nil {
		return nil, err
	}
	s.from = tr
	s.dual = tr.schema == "" && tr.name == "DUAL" || tr.schema == "SYS" && tr.name == "DUAL"
	if p.acceptKW("WHERE") {
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		s.where, s.limit = extractRownum(e)
	}
	if p.acceptKW("ORDER", "BY") {
		for {
			var oi orderItem
			t := p.next()
			switch t.kind {
			case tNumber:
				n := 0
				for _, c := range t.s {
					n = n*10 + int(c-'0')
				}
				oi.pos = n
			case tIdent, tQIdent:
				oi.col = t.s
				if p.acceptOp(".") {
					n, err := p.ident()
					if err != nil {
						return nil, err
					}
					oi.col = n
				}
			default:
				return nil, p.fail()
			}
			if p.acceptKW("DESC") {
				oi.desc = true
			} else {
				p.acceptKW("ASC")
			}
			s.order = append(s.order, oi)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKW("FETCH") {
		if !(p.acceptKW("FIRST") || p.acceptKW("NEXT")) {
			return nil, p.fail()
		}
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !(p.acceptKW("ROWS") || p.acceptKW("ROW")) || !p.acceptKW("ONLY") {
			return nil, p.fail()
		}
		s.limit = &o
	}
	if p.acceptKW("FOR", "UPDATE") {
		p.acceptKW("NOWAIT")
	}
	return s, p.end()
}

// extractRownum pulls a top-level "ROWNUM <= n" / "ROWNUM < n" / "ROWNUM = 1"
// conjunct out of a WHERE clause as a row limit.
func extractRownum(e *expr) (*expr, *operand) {
	if e == nil {
		return nil, nil
	}
	if e.kind == eCmp && e.col == "ROWNUM" {
		o := e.vals[0]
		switch e.op {
		case "<=", "=":
			return &expr{kind: eTrue}, &o
		case "<":
			return &expr{kind: eTrue}, &operand{kind: oFunc, s: "MINUS1", args: []operand{o}}
		}
	}
	if e.kind == eAnd {
		l, lim1 := extractRownum(e.l)
		r, lim2 := extractRownum(e.r)
		e.l, e.r = l, r
		if lim1 != nil {
			return e, lim1
		}
		return e, lim2
	}
	return e, nil
}

func (p *parser) parseOr() (*expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.acceptKW("OR") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eOr, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (*expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.acceptKW("AND") {
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eAnd, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseNot() (*expr, error) {
	if p.acceptKW("NOT") {
		e, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &expr{kind: eNot, l: e}, nil
	}
	if p.acceptOp("(") {
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		return e, p.expectOp(")")
	}
	return p.parsePredicate()
}

func (p *parser) parsePredicate() (*expr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	if left.kind != oColumn {
		return nil, p.fail()
	}
	e := &expr{col: left.s}
	not := p.acceptKW("NOT")
	switch {
	case p.acceptKW("IS"):
		e.kind = eIsNull
		e.not = p.acceptKW("NOT")
		if err := p.expectKW("NULL"); err != nil {
			return nil, err
		}
		return e, nil
	case p.acceptKW("IN"):
		e.kind, e.not = eIn, not
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			e.vals = append(e.vals, o)
			if !p.acceptOp(",") {
				break
			}
		}
		return e, p.expectOp(")")
	case p.acceptKW("LIKE"):
		e.kind, e.not = eLike, not
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		e.vals = []operand{o}
		return e, nil
	case p.acceptKW("BETWEEN"):
		e.kind, e.not = eBetween, not
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expectKW("AND"); err != nil {
			return nil, err
		}
		b, err := p.operand()
		if err != nil {
			return nil, err
		}
		e.vals = []operand{a, b}
		return e, nil
	}
	if not {
		return nil, p.fail()
	}
	t := p.next()
	if t.kind != tOp {
		return nil, p.fail()
	}
	switch t.s {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
	default:
		return nil, p.fail()
	}
	e.kind, e.op = eCmp, t.s
	if e.op == "!=" {
		e.op = "<>"
	}
	o, err := p.operand()
	if err != nil {
		return nil, err
	}
	e.vals = []operand{o}
	return e, nil
}

func (p *parser) parseInsert() (*dmlStmt, error) {
	tr, err := p.tableRef(false)
	if err != nil {
		return nil, err
	}
	d := &dmlStmt{table: tr}
	if p.acceptOp("(") {
		for {
			c, err := p.ident()
			if err != nil {
				return nil, err
			}
			d.cols = append(d.cols, c)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	if err := p.expectKW("VALUES"); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, o)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return d, p.end()
}

func (p *parser) parseUpdate() (*dmlStmt, error) {
	tr, err := p.tableRef(true)
	if err != nil {
		return nil, err
	}
	d := &dmlStmt{table: tr}
	if err := p.expectKW("SET"); err != nil {
		return nil, err
	}
	for {
		c, err := p.operand()
		if err != nil || c.kind != oColumn {
			return nil, p.fail()
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.operand()
		if err != nil {
			return nil, err
		}
		d.cols = append(d.cols, c.s)
		d.vals = append(d.vals, v)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKW("WHERE") {
		if d.where, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	return d, p.end()
}

func (p *parser) parseDelete() (*dmlStmt, error) {
	tr, err := p.tableRef(true)
	if err != nil {
		return nil, err
	}
	d := &dmlStmt{table: tr}
	if p.acceptKW("WHERE") {
		if d.where, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	return d, p.end()
}
