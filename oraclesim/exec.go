package oraclesim

import (
	"database/sql/driver"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// session is one Oracle session: NLS settings, LogMiner state, transaction.
// It is used by one goroutine at a time (database/sql guarantees it per
// connection).
type session struct {
	db      *DB
	user    string
	service string
	schema  string
	nls     nls
	lm      logmnrSession
	tx      *Tx  // open transaction, nil when none
	inTx    bool // inside a driver transaction (no autocommit)
}

func newSession(db *DB, user, service string) *session {
	return &session{db: db, user: user, service: service, schema: user, nls: defaultNLS()}
}

// args resolves bind operands.
type args []driver.NamedValue

func (a args) get(o operand) (any, error) {
	for _, nv := range a {
		if nv.Name != "" && strings.EqualFold(nv.Name, o.s) {
			return nv.Value, nil
		}
	}
	if o.bind < len(a) && a[o.bind].Name == "" {
		return a[o.bind].Value, nil
	}
	// positional binds given by number (":3") when fewer args than occurrences
	if n, err := strconv.Atoi(o.s); err == nil && n >= 1 && n <= len(a) && a[n-1].Name == "" {
		return a[n-1].Value, nil
	}
	return nil, oraErr(1008, "not all variables bound")
}

// eval computes an operand's value in a session.
func (s *session) eval(o operand, a args) (any, error) {
	switch o.kind {
	case oBind:
		return a.get(o)
	case oString:
		return o.s, nil
	case oNumber:
		return parseDecimal(o.s)
	case oNull:
		return nil, nil
	case oConst:
		return logmnrConstants[o.s], nil
	case oPseudo:
		switch o.s {
		case "SYSDATE":
			return s.db.now().UTC().Truncate(time.Second), nil
		case "SYSTIMESTAMP":
			return s.db.now().In(utcOffsetZone), nil
		case "CURRENT_SCN":
			return s.db.CurrentSCN(), nil
		case "USER":
			return s.user, nil
		}
	case oColumn:
		return nil, oraErr(904, "%q: invalid identifier", o.s)
	case oFunc:
		vals := make([]any, len(o.args))
		for i, x := range o.args {
			v, err := s.eval(x, a)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return s.callFunc(o.s, vals)
	}
	return nil, errSQL(o.s)
}

func argString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func (s *session) callFunc(name string, vals []any) (any, error) {
	if len(vals) > 0 && vals[0] == nil && name != "EMPTY_CLOB" && name != "EMPTY_BLOB" {
		return nil, nil
	}
	str := func(i int) (string, error) {
		if i >= len(vals) {
			return "", oraErr(938, "not enough arguments for function")
		}
		if x, ok := argString(vals[i]); ok {
			return x, nil
		}
		if d, err := decimalOf(vals[i]); err == nil {
			return d, nil
		}
		return "", oraErr(932, "inconsistent datatypes")
	}
	switch name {
	case "EMPTY_CLOB":
		return "", nil
	case "EMPTY_BLOB":
		return []byte{}, nil
	case "MINUS1":
		d, err := decimalOf(vals[0])
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(d, 10, 64)
		return strconv.FormatInt(n-1, 10), nil
	case "TO_NUMBER":
		return decimalOf(vals[0])
	case "TO_BINARY_FLOAT", "TO_BINARY_DOUBLE", "TO_YMINTERVAL", "TO_DSINTERVAL":
		if _, isStr := vals[0].(string); isStr {
			return vals[0], nil
		}
		return vals[0], nil
	case "HEXTORAW":
		x, err := str(0)
		if err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(x)
		if err != nil {
			return nil, oraErr(1465, "invalid hex number")
		}
		return b, nil
	case "UNISTR":
		x, err := str(0)
		if err != nil {
			return nil, err
		}
		return decodeUnistr(x)
	case "DATE", "TIMESTAMP":
		x, err := str(0)
		if err != nil {
			return nil, err
		}
		return timeOf(x)
	case "TO_DATE", "TO_TIMESTAMP", "TO_TIMESTAMP_TZ":
		if tm, ok := vals[0].(time.Time); ok {
			return tm, nil
		}
		x, err := str(0)
		if err != nil {
			return nil, err
		}
		df := s.nls.dateFmt
		switch name {
		case "TO_TIMESTAMP":
			df = s.nls.tsFmt
		case "TO_TIMESTAMP_TZ":
			df = s.nls.tsTZFmt
		}
		if len(vals) > 1 {
			f, err := str(1)
			if err != nil {
				return nil, err
			}
			if df, err = compileDateFormat(f); err != nil {
				return nil, err
			}
		}
		return df.parse(x)
	}
	return nil, oraErr(904, "%q: invalid identifier", name)
}

func decodeUnistr(s string) (string, error) {
	var units []uint16
	var out strings.Builder
	flush := func() {
		if len(units) > 0 {
			out.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			flush()
			out.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			flush()
			out.WriteByte('\\')
			i++
			continue
		}
		if i+4 >= len(s) {
			return "", oraErr(30186, "'\\' must be followed by four hexadecimal characters or another '\\'")
		}
		v, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
		if err != nil {
			return "", oraErr(30186, "'\\' must be followed by four hexadecimal characters or another '\\'")
		}
		units = append(units, uint16(v))
		i += 4
	}
	flush()
	return out.String(), nil
}

// ---- comparison ----

// target is an operand prepared for comparison with one column type.
type target struct {
	null bool
	u    uint64
	isU  bool
	dec  string
	v    any // stored form for non-numeric types
}

func prepareTarget(t Type, v any) (target, error) {
	if v == nil {
		return target{null: true}, nil
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		var d string
		switch x := v.(type) {
		case uint64:
			return target{u: x, isU: true, dec: strconv.FormatUint(x, 10)}, nil
		case int64:
			d = strconv.FormatInt(x, 10)
		default:
			var err error
			if d, err = decimalOf(v); err != nil {
				return target{}, err
			}
		}
		tg := target{dec: d}
		if u, err := strconv.ParseUint(d, 10, 64); err == nil {
			tg.u, tg.isU = u, true
		}
		return tg, nil
	case kindRowID:
		s, ok := argString(v)
		if !ok {
			return target{}, oraErr(932, "inconsistent datatypes: expected ROWID")
		}
		r, err := parseRowID(s)
		if err != nil {
			return target{}, err
		}
		return target{v: r}, nil
	case KindVarchar2, KindNVarchar2, KindChar, KindNChar, KindClob, KindNClob, KindLong:
		if x, ok := argString(v); ok {
			return target{v: x}, nil
		}
		d, err := decimalOf(v)
		if err != nil {
			return target{}, oraErr(932, "inconsistent datatypes")
		}
		return target{v: d}, nil
	}
	wide := t
	if wide.Kind == KindRaw || wide.Kind == KindLongRaw {
		wide.Length = 1 << 30
	}
	cv, err := coerce(wide, "", v)
	if err != nil {
		return target{}, err
	}
	if cv == nil {
		return target{null: true}, nil
	}
	return target{v: cv}, nil
}

// compareTarget compares an internal value with a prepared target.
func compareTarget(t Type, x any, tg *target) int {
	switch t.Kind {
	case KindNumber, KindFloat:
		switch v := x.(type) {
		case uint64:
			if tg.isU {
				switch {
				case v < tg.u:
					return -1
				case v > tg.u:
					return 1
				}
				return 0
			}
			return fastCmpDecimal(strconv.FormatUint(v, 10), tg.dec)
		case int64:
			return fastCmpDecimal(strconv.FormatInt(v, 10), tg.dec)
		case string:
			return fastCmpDecimal(v, tg.dec)
		}
		return 0
	case kindRowID:
		return x.(rowID).cmp(tg.v.(rowID))
	}
	return compareStored(t, x, tg.v)
}

// fastCmpDecimal compares canonical decimal strings without allocating.
func fastCmpDecimal(a, b string) int {
	na, nb := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	if na != nb {
		if na {
			return -1
		}
		return 1
	}
	if na {
		return -fastCmpDecimal(a[1:], b[1:])
	}
	ia, fa, _ := strings.Cut(a, ".")
	ib, fb, _ := strings.Cut(b, ".")
	if ia == "0" {
		ia = ""
	}
	if ib == "0" {
		ib = ""
	}
	if len(ia) != len(ib) {
		if len(ia) < len(ib) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ia, ib); c != 0 {
		return c
	}
	return strings.Compare(fa, fb)
}

// compareInternal orders two internal values of a column (for ORDER BY,
// MIN and MAX). NULL sorts last.
func compareInternal(t Type, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch t.Kind {
	case KindNumber, KindFloat:
		tg, err := prepareTarget(t, b)
		if err != nil {
			return 0
		}
		return compareTarget(t, a, &tg)
	case kindRowID:
		return a.(rowID).cmp(b.(rowID))
	}
	return compareStored(t, a, b)
}

// compiled filter
type filterFn func(src rowSource) bool

func colIndex(cs []viewCol, name string) int {
	for i, c := range cs {
		if c.name == name {
			return i
		}
	}
	return -1
}

func (s *session) compileFilter(e *expr, cs []viewCol, a args) (filterFn, error) {
	if e == nil {
		return nil, nil
	}
	switch e.kind {
	case eTrue:
		return func(rowSource) bool { return true }, nil
	case eAnd, eOr:
		l, err := s.compileFilter(e.l, cs, a)
		if err != nil {
			return nil, err
		}
		r, err := s.compileFilter(e.r, cs, a)
		if err != nil {
			return nil, err
		}
		if e.kind == eAnd {
			return func(src rowSource) bool { return l(src) && r(src) }, nil
		}
		return func(src rowSource) bool { return l(src) || r(src) }, nil
	case eNot:
		l, err := s.compileFilter(e.l, cs, a)
		if err != nil {
			return nil, err
		}
		return func(src rowSource) bool { return !l(src) }, nil
	}
	ci := colIndex(cs, e.col)
	if ci < 0 {
		return nil, oraErr(904, "%q: invalid identifier", e.col)
	}
	ty := cs[ci].typ
	tgs := make([]target, len(e.vals))
	for i, o := range e.vals {
		v, err := s.eval(o, a)
		if err != nil {
			return nil, err
		}
		if e.kind == eLike {
			str, _ := argString(v)
			tgs[i] = target{v: str, null: v == nil}
			continue
		}
		if tgs[i], err = prepareTarget(ty, v); err != nil {
			return nil, err
		}
	}
	switch e.kind {
	case eIsNull:
		not := e.not
		return func(src rowSource) bool { return (src.value(ci) == nil) != not }, nil
	case eCmp:
		tg := &tgs[0]
		if tg.null {
			return func(rowSource) bool { return false }, nil
		}
		var ok func(int) bool
		switch e.op {
		case "=":
			ok = func(c int) bool { return c == 0 }
		case "<>":
			ok = func(c int) bool { return c != 0 }
		case "<":
			ok = func(c int) bool { return c < 0 }
		case "<=":
			ok = func(c int) bool { return c <= 0 }
		case ">":
			ok = func(c int) bool { return c > 0 }
		case ">=":
			ok = func(c int) bool { return c >= 0 }
		}
		return func(src rowSource) bool {
			x := src.value(ci)
			return x != nil && ok(compareTarget(ty, x, tg))
		}, nil
	case eIn:
		not := e.not
		return func(src rowSource) bool {
			x := src.value(ci)
			if x == nil {
				return false
			}
			for i := range tgs {
				if !tgs[i].null && compareTarget(ty, x, &tgs[i]) == 0 {
					return !not
				}
			}
			return not
		}, nil
	case eBetween:
		lo, hi, not := &tgs[0], &tgs[1], e.not
		return func(src rowSource) bool {
			x := src.value(ci)
			if x == nil || lo.null || hi.null {
				return false
			}
			in := compareTarget(ty, x, lo) >= 0 && compareTarget(ty, x, hi) <= 0
			return in != not
		}, nil
	case eLike:
		pat, not := tgs[0].v.(string), e.not
		return func(src rowSource) bool {
			x, ok := src.value(ci).(string)
			if !ok {
				return false
			}
			return likeMatch(x, pat) != not
		}, nil
	}
	return nil, errSQL(e.col)
}

func likeMatch(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '%':
			for i := len(s); i >= 0; i-- {
				if likeMatch(s[i:], p[1:]) {
					return true
				}
			}
			return false
		case '_':
			if s == "" {
				return false
			}
			s, p = s[1:], p[1:]
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			s, p = s[1:], p[1:]
		}
	}
	return s == ""
}

// ---- SELECT ----

// outCol is a result column.
type outCol struct {
	name     string
	typ      Type
	nullable bool
}

// query is an open SELECT: a source, a filter, a projection and a limit.
type query struct {
	cols   []outCol
	src    rowSource
	filter filterFn
	proj   []int    // source column per output column, -1 for literal
	lits   []any    // literal outputs
	fns    []string // RAWTOHEX/TO_CHAR
	limit  int64
	n      int64
	rows   [][]any // materialized results (aggregates, ORDER BY)
	ri     int
	mat    bool
}

func (s *session) resolveTable(tr tableRef) (*Table, error) {
	schema := tr.schema
	if schema == "" {
		schema = s.schema
	}
	s.db.mu.RLock()
	t := s.db.tables[schema+"."+tr.name]
	s.db.mu.RUnlock()
	if t == nil {
		return nil, oraErr(942, "table or view does not exist")
	}
	return t, nil
}

// tableSource materializes a table's rows as of an SCN, filtered.
func (s *session) tableSource(t *Table, asOf uint64, where *expr, a args) (*memSource, error) {
	cs := make([]viewCol, 0, len(t.cols)+1)
	for _, c := range t.cols {
		cs = append(cs, viewCol{c.Name, c.Type})
	}
	cs = append(cs, viewCol{"ROWID", rowidT})
	m := &memSource{cols: cs}
	filter, err := s.compileFilter(where, cs, a)
	if err != nil {
		return nil, err
	}
	db := s.db
	db.mu.RLock()
	defer db.mu.RUnlock()
	if err := db.checkAsOf(asOf); err != nil {
		return nil, err
	}
	probe := &memSource{cols: cs, rows: make([][]any, 1), i: 1}
	scratch := make([]any, len(t.cols)+1)
	for _, r := range t.rows {
		v := r.visible(s.tx, asOf)
		if asOf != 0 {
			v = r.committedAt(asOf)
		}
		if v == nil {
			continue
		}
		// Filter on a scratch row: most rows of a chunk query fail the key
		// range, and only those that pass are copied out.
		copy(scratch, v)
		scratch[len(v)] = r.rid
		if filter != nil {
			probe.rows[0] = scratch
			if !filter(probe) {
				continue
			}
		}
		m.rows = append(m.rows, append([]any(nil), scratch[:len(v)+1]...))
	}
	return m, nil
}

func (s *session) openSelect(sel *selectStmt, a args) (*query, error) {
	var src rowSource
	from := sel.from
	name := from.name
	pushed := false
	switch {
	case sel.dual:
		src = &memSource{cols: nil, rows: [][]any{{}}}
	case from.schema == "" && name == "V$LOGMNR_CONTENTS" || from.schema == "SYS" && name == "V$LOGMNR_CONTENTS":
		cs, err := s.db.openContents(&s.lm, &s.nls)
		if err != nil {
			return nil, err
		}
		src = cs
	case (from.schema == "" || from.schema == "SYS") && viewBuilders[name] != nil:
		s.db.mu.RLock()
		src = viewBuilders[name](s.db, s)
		s.db.mu.RUnlock()
	default:
		t, err := s.resolveTable(from)
		if err != nil {
			return nil, err
		}
		var asOf uint64
		if from.asOf != nil {
			v, err := s.eval(*from.asOf, a)
			if err != nil {
				return nil, err
			}
			tg, err := prepareTarget(numT, v)
			if err != nil || !tg.isU {
				return nil, oraErr(8181, "specified number is not a valid system change number")
			}
			asOf = tg.u
			if asOf == 0 {
				return nil, oraErr(8181, "specified number is not a valid system change number")
			}
		}
		m, err := s.tableSource(t, asOf, sel.where, a)
		if err != nil {
			return nil, err
		}
		src, pushed = m, true
	}
	q := &query{src: src, limit: -1}
	cs := src.columns()
	if !pushed {
		f, err := s.compileFilter(sel.where, cs, a)
		if err != nil {
			return nil, err
		}
		q.filter = f
	}
	if sel.limit != nil {
		v, err := s.eval(*sel.limit, a)
		if err != nil {
			return nil, err
		}
		tg, err := prepareTarget(numT, v)
		if err != nil {
			return nil, err
		}
		q.limit = int64(tg.u)
	}
	// projection
	aggs := false
	for _, it := range sel.items {
		switch {
		case it.star:
			for i, c := range cs {
				if c.typ.Kind == kindRowID {
					continue
				}
				q.addCol(c.name, c.typ, i, nil, "")
			}
		case it.lit != nil:
			v, err := s.eval(*it.lit, a)
			if err != nil {
				return nil, err
			}
			ty := vc(4000)
			switch v.(type) {
			case uint64:
				ty = numT
			case time.Time:
				ty = dateT
			}
			if it.lit.kind == oNumber {
				ty = numT
			}
			label := it.alias
			if label == "" {
				label = strings.ToUpper(it.lit.s)
			}
			q.addCol(label, ty, -1, v, "")
		default:
			label := it.alias
			if it.agg == "COUNT" && it.col == "" {
				if label == "" {
					label = "COUNT(*)"
				}
				q.addCol(label, numT, -1, nil, "COUNT*")
				aggs = true
				continue
			}
			ci := colIndex(cs, it.col)
			if ci < 0 {
				return nil, oraErr(904, "%q: invalid identifier", it.col)
			}
			ty := cs[ci].typ
			if label == "" {
				label = it.col
				if it.agg != "" || it.fn != "" {
					label = it.agg + it.fn + "(" + it.col + ")"
				}
			}
			fn := it.fn
			if it.agg != "" {
				fn, aggs = it.agg, true
				if it.agg == "COUNT" {
					ty = numT
				}
			}
			if it.fn != "" {
				ty = vc(4000)
			}
			q.addCol(label, ty, ci, nil, fn)
		}
	}
	if cs, ok := src.(*contentsSource); ok {
		for _, p := range q.proj {
			switch p {
			case lcSQLRedo:
				cs.needRedo = true
			case lcSQLUndo:
				cs.needUndo = true
			}
		}
	}
	if aggs {
		if err := q.aggregate(); err != nil {
			return nil, err
		}
		return q, nil
	}
	if len(sel.order) > 0 {
		if err := q.sortBy(sel.order, cs); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (q *query) addCol(name string, t Type, src int, lit any, fn string) {
	q.cols = append(q.cols, outCol{name: name, typ: t, nullable: true})
	q.proj = append(q.proj, src)
	q.lits = append(q.lits, lit)
	q.fns = append(q.fns, fn)
}

// advance moves the source to the next row passing the filter.
func (q *query) advance() bool {
	if q.limit >= 0 && q.n >= q.limit {
		return false
	}
	for q.src.next() {
		if q.filter == nil || q.filter(q.src) {
			q.n++
			return true
		}
	}
	return false
}

func (q *query) current() []any {
	out := make([]any, len(q.proj))
	for i, p := range q.proj {
		switch {
		case p < 0:
			out[i] = q.lits[i]
		case q.fns[i] == "RAWTOHEX":
			if b, ok := q.src.value(p).([]byte); ok {
				out[i] = strings.ToUpper(hex.EncodeToString(b))
			}
		case q.fns[i] == "TO_CHAR":
			out[i] = toChar(q.src.columns()[p].typ, q.src.value(p))
		default:
			out[i] = q.src.value(p)
		}
	}
	return out
}

func toChar(t Type, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case rowID:
		return x.String()
	case string:
		return x
	}
	return canonical(t, v)
}

func (q *query) aggregate() error {
	res := make([]any, len(q.proj))
	counts := make([]uint64, len(q.proj))
	for q.advance() {
		for i, p := range q.proj {
			switch q.fns[i] {
			case "COUNT*":
				counts[i]++
			case "COUNT":
				if q.src.value(p) != nil {
					counts[i]++
				}
			case "MIN", "MAX":
				v := q.src.value(p)
				if v == nil {
					continue
				}
				if res[i] == nil {
					res[i] = v
					continue
				}
				c := compareInternal(q.src.columns()[p].typ, v, res[i])
				if q.fns[i] == "MIN" && c < 0 || q.fns[i] == "MAX" && c > 0 {
					res[i] = v
				}
			default:
				if p < 0 {
					res[i] = q.lits[i]
				} else if res[i] == nil {
					res[i] = q.src.value(p)
				}
			}
		}
	}
	for i := range res {
		if strings.HasPrefix(q.fns[i], "COUNT") {
			res[i] = counts[i]
		}
	}
	q.rows, q.mat = [][]any{res}, true
	q.src.close()
	return nil
}

func (q *query) sortBy(order []orderItem, cs []viewCol) error {
	type keyed struct {
		out  []any
		keys []any
	}
	idx := make([]int, len(order))
	types := make([]Type, len(order))
	for i, o := range order {
		switch {
		case o.pos > 0:
			if o.pos > len(q.proj) || q.proj[o.pos-1] < 0 {
				return oraErr(1785, "ORDER BY item must be the number of a SELECT-list expression")
			}
			idx[i] = q.proj[o.pos-1]
		default:
			ci := colIndex(cs, o.col)
			if ci < 0 {
				for j, c := range q.cols {
					if c.name == o.col && q.proj[j] >= 0 {
						ci = q.proj[j]
					}
				}
			}
			if ci < 0 {
				return oraErr(904, "%q: invalid identifier", o.col)
			}
			idx[i] = ci
		}
		types[i] = cs[idx[i]].typ
	}
	var all []keyed
	for q.advance() {
		k := keyed{out: q.current(), keys: make([]any, len(idx))}
		for i, c := range idx {
			k.keys[i] = q.src.value(c)
		}
		all = append(all, k)
	}
	sort.SliceStable(all, func(a, b int) bool {
		for i := range idx {
			c := compareInternal(types[i], all[a].keys[i], all[b].keys[i])
			if order[i].desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	q.rows = make([][]any, len(all))
	for i := range all {
		q.rows[i] = all[i].out
	}
	q.mat = true
	q.src.close()
	return nil
}

// nextRow returns the next result row in internal form, or nil at the end.
func (q *query) nextRow() []any {
	if q.mat {
		if q.ri >= len(q.rows) {
			return nil
		}
		q.ri++
		return q.rows[q.ri-1]
	}
	if !q.advance() {
		return nil
	}
	return q.current()
}

// ---- other statements ----

func (s *session) alterSession(kv []nameValue) error {
	for _, x := range kv {
		switch x.name {
		case "NLS_DATE_FORMAT", "NLS_TIMESTAMP_FORMAT", "NLS_TIMESTAMP_TZ_FORMAT":
			df, err := compileDateFormat(x.value)
			if err != nil {
				return err
			}
			switch x.name {
			case "NLS_DATE_FORMAT":
				s.nls.dateFmt = df
			case "NLS_TIMESTAMP_FORMAT":
				s.nls.tsFmt = df
			default:
				s.nls.tsTZFmt = df
			}
		case "NLS_NUMERIC_CHARACTERS":
			if len(x.value) != 2 || x.value[0] == x.value[1] {
				return oraErr(12705, "Cannot access NLS data files or invalid environment specified")
			}
			s.nls.decimal, s.nls.group = x.value[0], x.value[1]
		case "TIME_ZONE":
			s.nls.timeZone = x.value
		case "CURRENT_SCHEMA":
			s.schema = x.value
		case "CONTAINER", "EVENTS", "STATISTICS_LEVEL", "OPTIMIZER_MODE", "SQL_TRACE":
		default:
			if !strings.HasPrefix(x.name, "NLS_") {
				return oraErr(2248, "invalid option for ALTER SESSION")
			}
			if s.nls.other == nil {
				s.nls.other = map[string]string{}
			}
			s.nls.other[x.name] = x.value
		}
	}
	return nil
}

func (s *session) runPLSQL(calls []plsqlCall, a args) error {
	for _, c := range calls {
		named := map[string][]operand{}
		for i, arg := range c.args {
			n := arg.name
			if n == "" {
				n = positional[c.proc][min(i, len(positional[c.proc])-1)]
			}
			named[n] = arg.val
		}
		sum := func(n string, def int64) (int64, bool, error) {
			ops, ok := named[n]
			if !ok {
				return def, false, nil
			}
			var total int64
			for _, o := range ops {
				v, err := s.eval(o, a)
				if err != nil {
					return 0, false, err
				}
				if v == nil {
					return def, false, nil
				}
				tg, err := prepareTarget(numT, v)
				if err != nil {
					return 0, false, err
				}
				n, err := strconv.ParseInt(tg.dec, 10, 64)
				if err != nil {
					return 0, false, oraErr(1722, "invalid number")
				}
				total += n
			}
			return total, true, nil
		}
		switch c.proc {
		case "ADD_LOGFILE":
			ops := named["LOGFILENAME"]
			if len(ops) != 1 {
				return oraErr(6550, "PLS-00306: wrong number or types of arguments in call to 'ADD_LOGFILE'")
			}
			v, err := s.eval(ops[0], a)
			if err != nil {
				return err
			}
			name, _ := argString(v)
			opt, _, err := sum("OPTIONS", LogmnrAddFile)
			if err != nil {
				return err
			}
			if err := s.db.addLogfile(&s.lm, name, opt); err != nil {
				return err
			}
		case "REMOVE_LOGFILE":
			v, err := s.eval(named["LOGFILENAME"][0], a)
			if err != nil {
				return err
			}
			name, _ := argString(v)
			if err := s.db.addLogfile(&s.lm, name, LogmnrRemoveFile); err != nil {
				return err
			}
		case "START_LOGMNR":
			start, _, err := sum("STARTSCN", 0)
			if err != nil {
				return err
			}
			end, _, err := sum("ENDSCN", 0)
			if err != nil {
				return err
			}
			opts, _, err := sum("OPTIONS", 0)
			if err != nil {
				return err
			}
			if _, ok := named["STARTTIME"]; ok {
				return oraErr(3001, "unimplemented feature: START_LOGMNR by time; use STARTSCN")
			}
			if err := s.db.startLogmnr(&s.lm, uint64(start), uint64(end), opts); err != nil {
				return err
			}
		case "END_LOGMNR":
			if err := s.db.endLogmnr(&s.lm); err != nil {
				return err
			}
		default:
			return oraErr(6550, "PLS-00302: component '%s' must be declared", c.proc)
		}
	}
	return nil
}

var positional = map[string][]string{
	"ADD_LOGFILE":    {"LOGFILENAME", "OPTIONS"},
	"REMOVE_LOGFILE": {"LOGFILENAME"},
	"START_LOGMNR":   {"STARTSCN", "ENDSCN", "STARTTIME", "ENDTIME", "DICTFILENAME", "OPTIONS"},
	"END_LOGMNR":     {"NONE"},
}

// txFor returns the transaction a DML statement runs in and whether it must
// be committed after the statement (autocommit outside a driver Tx, as
// go-ora does).
func (s *session) txFor() (*Tx, bool) {
	if s.tx == nil {
		s.tx = s.db.Begin(s.user)
	}
	return s.tx, !s.inTx
}

// execDML runs INSERT, UPDATE or DELETE and returns the rows affected.
func (s *session) execDML(st *stmt, a args) (int64, error) {
	d := st.dml
	t, err := s.resolveTable(d.table)
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(d.vals))
	for i, o := range d.vals {
		if vals[i], err = s.eval(o, a); err != nil {
			return 0, err
		}
	}
	tx, auto := s.txFor()
	n, err := s.applyDML(st, t, tx, vals, a)
	if auto {
		s.tx = nil
		if err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		if _, err := tx.Commit(); err != nil {
			return 0, err
		}
	} else if err != nil && n == 0 && tx.id == nil {
		// nothing happened in the transaction yet
	}
	return n, err
}

func (s *session) applyDML(st *stmt, t *Table, tx *Tx, vals []any, a args) (int64, error) {
	d := st.dml
	switch st.kind {
	case stInsert:
		row := make([]any, len(t.cols))
		if d.cols == nil {
			if len(vals) != len(t.cols) {
				return 0, oraErr(947, "not enough values")
			}
			copy(row, vals)
		} else {
			if len(vals) != len(d.cols) {
				return 0, oraErr(947, "not enough values")
			}
			for i, c := range d.cols {
				ci := t.ColumnIndex(c)
				if ci < 0 {
					return 0, oraErr(904, "%q: invalid identifier", c)
				}
				row[ci] = vals[i]
			}
		}
		for i := range row {
			cv, err := coerce(t.cols[i].Type, t.cols[i].Name, row[i])
			if err != nil {
				return 0, err
			}
			row[i] = cv
		}
		s.db.mu.Lock()
		defer s.db.mu.Unlock()
		if err := tx.check(); err != nil {
			return 0, err
		}
		if _, err := tx.insertLocked(t, row); err != nil {
			return 0, err
		}
		return 1, nil
	case stUpdate, stDelete:
		var idx []int
		var cv []any
		if st.kind == stUpdate {
			var err error
			names := d.cols
			if idx, cv, err = t.resolveCols(names, vals); err != nil {
				return 0, err
			}
		}
		cs := make([]viewCol, 0, len(t.cols)+1)
		for _, c := range t.cols {
			cs = append(cs, viewCol{c.Name, c.Type})
		}
		cs = append(cs, viewCol{"ROWID", rowidT})
		filter, err := s.compileFilter(d.where, cs, a)
		if err != nil {
			return 0, err
		}
		s.db.mu.Lock()
		defer s.db.mu.Unlock()
		if err := tx.check(); err != nil {
			return 0, err
		}
		probe := &memSource{cols: cs, rows: make([][]any, 1), i: 1}
		var hits []*row
		for _, r := range t.rows {
			v := r.visible(tx, 0)
			if v == nil {
				continue
			}
			if filter != nil {
				full := append(append(make([]any, 0, len(v)+1), v...), r.rid)
				probe.rows[0] = full
				if !filter(probe) {
					continue
				}
			}
			hits = append(hits, r)
		}
		for _, r := range hits {
			if st.kind == stUpdate {
				err = tx.updateLocked(t, r, idx, cv)
			} else {
				err = tx.deleteLocked(t, r)
			}
			if err != nil {
				return 0, err
			}
		}
		return int64(len(hits)), nil
	}
	return 0, errSQL(st.sql)
}

// ---- date parsing for TO_DATE / TO_TIMESTAMP literals ----

func (df *dateFormat) parse(s string) (time.Time, error) {
	bad := oraErr(1861, "literal does not match format string")
	year, month, day, hour, min, sec, ns := 1, 1, 1, 0, 0, 0, 0
	if df.text != "" {
		now := time.Now()
		year, month = now.Year(), int(now.Month())
	}
	pm, has12 := false, false
	off, hasOff := 0, false
	i := 0
	num := func(maxw int) (int, bool) {
		j := i
		neg := false
		if j < len(s) && (s[j] == '-' || s[j] == '+' || s[j] == ' ') && maxw >= 4 {
			neg = s[j] == '-'
			j++
		}
		st := j
		for j < len(s) && j-st < maxw && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == st {
			return 0, false
		}
		n, _ := strconv.Atoi(s[st:j])
		i = j
		if neg {
			n = -n
		}
		return n, true
	}
	for k, e := range df.elems {
		var ok = true
		switch e.kind {
		case fLit:
			signNext := k+1 < len(df.elems) && (df.elems[k+1].kind == fTZH || df.elems[k+1].kind == fTZR || df.elems[k+1].kind == fSYYYY)
			for i < len(s) && !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
				if signNext && (s[i] == '+' || s[i] == '-') {
					break
				}
				i++
			}
		case fFM, fTZD:
		case fSYYYY, fYYYY:
			year, ok = num(5)
		case fYY:
			var y int
			if y, ok = num(2); ok {
				if y < 50 {
					year = 2000 + y
				} else {
					year = 1900 + y
				}
			}
		case fYYY, fY:
			year, ok = num(3)
		case fMM:
			month, ok = num(2)
		case fMon, fMonth:
			ok = false
			for m := 1; m <= 12; m++ {
				name := time.Month(m).String()
				if e.kind == fMon {
					name = name[:3]
				}
				if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
					month, ok = m, true
					i += len(name)
					for e.kind == fMonth && i < len(s) && s[i] == ' ' {
						i++
					}
					break
				}
			}
		case fDD:
			day, ok = num(2)
		case fDDD, fDay, fDy, fJ, fSSSSS:
			return time.Time{}, oraErr(1821, "date format not recognized")
		case fHH24:
			hour, ok = num(2)
		case fHH12:
			hour, ok = num(2)
			has12 = true
		case fMI:
			min, ok = num(2)
		case fSS:
			sec, ok = num(2)
		case fX:
			if i < len(s) && s[i] == '.' {
				i++
			} else if !(k+1 < len(df.elems) && df.elems[k+1].kind == fFF) {
				ok = false
			}
		case fFF, fFFn:
			st := i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-st < 9 {
				i++
			}
			frac := s[st:i] + strings.Repeat("0", 9-(i-st))
			ns, _ = strconv.Atoi(frac)
		case fAM, fAMDots:
			rest := strings.ToUpper(s[i:])
			switch {
			case strings.HasPrefix(rest, "PM"), strings.HasPrefix(rest, "P.M."):
				pm = true
			case strings.HasPrefix(rest, "AM"), strings.HasPrefix(rest, "A.M."):
			default:
				ok = false
			}
			if strings.HasPrefix(rest, "A.M.") || strings.HasPrefix(rest, "P.M.") {
				i += 4
			} else {
				i += 2
			}
		case fTZR, fTZH:
			rest := s[i:]
			if strings.HasPrefix(rest, "UTC") || strings.HasPrefix(rest, "Z") {
				hasOff = true
				i += map[bool]int{true: 3, false: 1}[strings.HasPrefix(rest, "UTC")]
				break
			}
			if len(rest) < 3 || rest[0] != '+' && rest[0] != '-' {
				ok = false
				break
			}
			h, err := strconv.Atoi(rest[1:3])
			if err != nil {
				ok = false
				break
			}
			off, hasOff = h*3600, true
			i += 3
			if e.kind == fTZR && len(rest) >= 6 && rest[3] == ':' {
				m, err := strconv.Atoi(rest[4:6])
				if err != nil {
					ok = false
					break
				}
				off += m * 60
				i += 3
			}
			if rest[0] == '-' {
				off = -off
			}
		case fTZM:
			var m int
			if m, ok = num(2); ok {
				if off < 0 {
					off -= m * 60
				} else {
					off += m * 60
				}
			}
		}
		if !ok {
			return time.Time{}, bad
		}
	}
	if strings.TrimSpace(s[i:]) != "" {
		return time.Time{}, oraErr(1830, "date format picture ends before converting entire input string")
	}
	if has12 {
		if hour < 1 || hour > 12 {
			return time.Time{}, oraErr(1849, "hour must be between 1 and 12")
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, bad
	}
	loc := time.UTC
	if hasOff {
		loc = fixedZone(off)
	}
	tm := time.Date(year, time.Month(month), day, hour, min, sec, ns, loc)
	if tm.Day() != day {
		return time.Time{}, oraErr(1839, "date not valid for month specified")
	}
	return tm, nil
}
