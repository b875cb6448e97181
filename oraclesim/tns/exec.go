package tns

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Execute options (the first field of an execute call).
const (
	opParse     = 0x01
	opBind      = 0x08
	opDefine    = 0x10
	opExecute   = 0x20
	opFetch     = 0x40 // fetch only, no execute
	opCommit    = 0x100
	opPLSQLBind = 0x400
)

type stmtKind int

const (
	kindQuery stmtKind = iota
	kindDML
	kindPLSQL
	kindOther
)

// classify tells queries, DML, PL/SQL blocks and other statements apart the
// way the client does: by the first keyword.
func classify(sqlText string) stmtKind {
	s := strings.TrimLeft(stripLeadingComments(sqlText), " \t\r\n(")
	kw := strings.ToUpper(s[:min(len(s), 8)])
	switch {
	case strings.HasPrefix(kw, "SELECT"), strings.HasPrefix(kw, "WITH"):
		return kindQuery
	case strings.HasPrefix(kw, "INSERT"), strings.HasPrefix(kw, "UPDATE"),
		strings.HasPrefix(kw, "DELETE"), strings.HasPrefix(kw, "MERGE"):
		return kindDML
	case strings.HasPrefix(kw, "BEGIN"), strings.HasPrefix(kw, "DECLARE"):
		return kindPLSQL
	}
	return kindOther
}

func stripLeadingComments(s string) string {
	for i := 0; i < 64; i++ {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			if j := strings.IndexByte(s, '\n'); j >= 0 {
				s = s[j+1:]
			} else {
				return ""
			}
		case strings.HasPrefix(s, "/*"):
			if j := strings.Index(s, "*/"); j >= 0 {
				s = s[j+2:]
			} else {
				return ""
			}
		default:
			return s
		}
	}
	return s
}

// placeholders lists the bind placeholder names of a statement in order of
// appearance (":1" gives "1", ":scn" gives "scn"), skipping string literals,
// quoted identifiers and comments.
func placeholders(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return out
			}
			i += j + 1
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out
			}
			i += j
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 3
		case c == ':':
			j := i + 1
			for j < len(s) && (isIdent(s[j])) {
				j++
			}
			if j > i+1 && (i == 0 || s[i-1] != ':') && !(j < len(s) && s[j] == '=') {
				out = append(out, s[i+1:j])
			}
			i = j - 1
		}
	}
	return out
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c == '#' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

// bindDef is a bind variable's description as the client sent it.
type bindDef struct {
	dty     byte
	flag    byte // 0x80: repeated name, no value sent
	maxLen  int
	arrayN  int64
	charset int
	form    byte
}

func (b *bindDef) isLong() bool {
	return b.dty == dtyLong || b.dty == dtyLongRaw || b.dty == dtyLongVarChr || b.dty == dtyLongVarRaw
}

// cursor is a parsed statement of a session, with its open result if any.
type cursor struct {
	id     int
	sql    string
	kind   stmtKind
	binds  []bindDef
	cols   []column
	rows   driver.Rows
	cancel context.CancelFunc
	done   bool // end of fetch reached
	count  int64
	row    []driver.Value
	peeked bool // row holds a row not yet sent

	// Previous row as encoded on the wire, for sending only changed
	// columns. The client keeps the matching values per statement.
	prev      [][]byte
	havePrev  bool
	vecActive bool // the client's bit vector is not all ones
}

// close ends the cursor's open result.
func (c *cursor) close() {
	if c.rows != nil {
		_ = c.rows.Close()
		c.rows = nil
	}
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	c.peeked = false
}

func (c *cursor) hasLOB() bool {
	for i := range c.cols {
		if c.cols[i].isLOB() && c.cols[i].define == 0 {
			return true
		}
	}
	return false
}

func readBindDef(r *rbuf) bindDef {
	var b bindDef
	b.dty = r.u8()
	b.flag = r.u8()
	r.u8() // precision
	r.u8() // scale
	b.maxLen = int(r.uc())
	b.arrayN = r.ic()
	r.ic()  // continuation flags
	r.dlc() // type OID
	r.uc()  // version
	b.charset = int(r.uc())
	b.form = r.u8()
	r.uc() // max characters
	return b
}

// readValues reads the bind values of one execution: message 7, the values
// of ordinary binds in order, then the values of LONG binds.
func (s *session) readValues(binds []bindDef) ([]driver.Value, error) {
	r := &s.r
	if code := r.u8(); code != msgRowData {
		if r.err != nil {
			return nil, r.err
		}
		return nil, fmt.Errorf("%w: expected bind values, got message %d", ErrProtocol, code)
	}
	vals := make([]driver.Value, len(binds))
	raw := make([][]byte, len(binds))
	for pass := 0; pass < 2; pass++ {
		for i := range binds {
			b := &binds[i]
			if b.flag == 0x80 || b.isLong() != (pass == 1) {
				continue
			}
			if b.arrayN > 0 || b.dty == dtyClob || b.dty == dtyBlob || b.dty == 102 {
				return nil, newOraError(oraUnsupported, "unsupported network datatype or representation (bind type %d)", b.dty)
			}
			raw[i] = r.clr()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	for i := range binds {
		if binds[i].flag == 0x80 {
			continue
		}
		v, err := decodeBind(&binds[i], raw[i])
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// namedArgs turns wire bind values into driver arguments. Names come from
// the statement's placeholders; a repeated name whose value the client did
// not send takes the value of its first occurrence.
func namedArgs(c *cursor, vals []driver.Value) []driver.NamedValue {
	names := placeholders(c.sql)
	if c.kind == kindPLSQL {
		seen := map[string]bool{}
		uniq := names[:0:0]
		for _, n := range names {
			if k := strings.ToUpper(n); !seen[k] {
				seen[k] = true
				uniq = append(uniq, n)
			}
		}
		names = uniq
	}
	if len(names) != len(vals) {
		names = nil
	}
	args := make([]driver.NamedValue, len(vals))
	for i, v := range vals {
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
		if names == nil {
			continue
		}
		if n := names[i]; n != "" && (n[0] < '0' || n[0] > '9') {
			args[i].Name = n
		}
		if c.binds[i].flag == 0x80 {
			for j := 0; j < i; j++ {
				if strings.EqualFold(names[j], names[i]) {
					args[i].Value = args[j].Value
					break
				}
			}
		}
	}
	return args
}

// execute serves the all-in-one call: parse, bind, define, execute, fetch.
func (s *session) execute() error {
	r := &s.r
	op := r.uc()
	cursorID := r.int(1 << 30)
	r.u8()
	hasSQL := r.uc() > 0
	r.u8()
	r.uc() // 13
	r.u8()
	r.u8()
	r.u8()
	prefetch := r.int(1 << 30)
	r.uc() // LOB prefetch length
	r.u8()
	nBinds := r.int(1 << 16)
	r.skip(5)
	r.u8()
	nDefines := r.int(1 << 16)
	r.skip(3) // TTC version >= 4
	var sqlText string
	if hasSQL {
		sqlText = string(r.clr())
	}
	var al8i4 [13]uint64
	for i := range al8i4 {
		al8i4[i] = r.uc()
	}
	binds := make([]bindDef, nBinds)
	for i := range binds {
		binds[i] = readBindDef(r)
	}
	defines := make([]bindDef, nDefines)
	for i := range defines {
		defines[i] = readBindDef(r)
	}
	if r.err != nil {
		return r.err
	}

	var c *cursor
	if op&opParse != 0 {
		if len(s.cursors) >= s.srv.cfg.MaxOpenCursors {
			s.r.cur = nil
			return s.sendError(newOraError(oraMaxCursors, "maximum open cursors exceeded"))
		}
		s.nextCur++
		c = &cursor{id: s.nextCur, sql: sqlText, kind: classify(sqlText)}
	} else {
		c = s.cursors[cursorID]
		if c == nil {
			s.r.cur = nil
			return s.sendError(newOraError(oraInvalidCursor, "invalid cursor"))
		}
	}
	if nBinds > 0 {
		c.binds = binds
	}
	iterations := 1
	if c.kind != kindQuery && al8i4[1] > 1 {
		iterations = int(min(al8i4[1], 1<<20))
	}
	var sets [][]driver.Value
	if nBinds > 0 && op&opDefine == 0 {
		for i := 0; i < iterations; i++ {
			vals, err := s.readValues(c.binds)
			if err != nil {
				var oe *oraError
				if errors.As(err, &oe) {
					s.r.cur = nil
					return s.sendError(oe)
				}
				return err
			}
			sets = append(sets, vals)
		}
	}
	if op&opParse != 0 {
		s.cursors[c.id] = c
	}
	if nDefines > 0 {
		for i := range defines {
			if i < len(c.cols) && c.cols[i].isLOB() {
				switch defines[i].dty {
				case dtyLongVarChr, dtyLongRaw, dtyLong, dtyLongVarRaw:
					c.cols[i].define = defines[i].dty
				}
			}
		}
	}

	if op&opExecute == 0 {
		// Define and fetch on an executed query.
		if op&opFetch != 0 && c.kind == kindQuery {
			return s.sendRows(c, int(al8i4[1]), false)
		}
		s.writeSummary(c.id, 0, nil)
		return s.send()
	}
	if c.kind == kindQuery {
		var args []driver.NamedValue
		if len(sets) > 0 {
			args = namedArgs(c, sets[0])
		}
		if err := s.openQuery(c, args); err != nil {
			return s.failCall(c, op&opParse != 0, err)
		}
		n := prefetch
		if n == 0 {
			n = int(al8i4[1])
		}
		if c.hasLOB() {
			// go-ora defines LOB columns as LONG types before it fetches them
			// inline; rows sent before that define would be misread.
			n = 0
		}
		return s.sendRows(c, n, op&opParse != 0)
	}
	return s.runExec(c, sets, op&opCommit != 0, op&opParse != 0)
}

// reexecute serves re-execution of a parsed statement with new bind values,
// with a first fetch for queries.
func (s *session) reexecute(fn byte) error {
	r := &s.r
	cursorID := r.int(1 << 30)
	count := r.int(1 << 30)
	r.uc() // execute options
	flags := r.uc()
	if r.err != nil {
		return r.err
	}
	c := s.cursors[cursorID]
	if c == nil {
		s.r.cur = nil
		return s.sendError(newOraError(oraInvalidCursor, "invalid cursor"))
	}
	iterations := 1
	if fn == fnExecuteReexec && count > 1 {
		iterations = count
	}
	var sets [][]driver.Value
	if len(c.binds) > 0 {
		for i := 0; i < iterations; i++ {
			vals, err := s.readValues(c.binds)
			if err != nil {
				var oe *oraError
				if errors.As(err, &oe) {
					s.r.cur = nil
					return s.sendError(oe)
				}
				return err
			}
			sets = append(sets, vals)
		}
	}
	if c.kind == kindQuery {
		var args []driver.NamedValue
		if len(sets) > 0 {
			args = namedArgs(c, sets[0])
		}
		if err := s.openQuery(c, args); err != nil {
			return s.failCall(c, false, err)
		}
		if fn == fnExecuteReexec {
			count = 0
		}
		return s.sendRows(c, count, false)
	}
	return s.runExec(c, sets, flags&1 != 0, false)
}

// failCall answers a failed execute. A cursor that failed to parse is
// forgotten, so the client never learns its id.
func (s *session) failCall(c *cursor, parsed bool, err error) error {
	if errors.Is(err, errInterrupted) {
		return s.breakReset()
	}
	if parsed {
		delete(s.cursors, c.id)
	}
	return s.sendError(err)
}

var errInterrupted = errors.New("call interrupted by the client")

// openQuery executes a query on the backend and describes its columns.
func (s *session) openQuery(c *cursor, args []driver.NamedValue) error {
	c.close()
	c.done, c.count = false, 0
	ctx, cancel := context.WithCancel(s.ctx)
	s.beginCall(cancel)
	var rows driver.Rows
	var err error
	if isBootstrapTZQuery(c.sql) {
		rows = systimestampRows()
	} else {
		rows, err = queryBackend(ctx, s.backend, c.sql, args)
	}
	if s.endCall() {
		if rows != nil {
			_ = rows.Close()
		}
		cancel()
		return errInterrupted
	}
	if err != nil {
		cancel()
		return err
	}
	c.rows, c.cancel = rows, cancel
	names := rows.Columns()
	cols := make([]column, len(names))
	tn, _ := rows.(driver.RowsColumnTypeDatabaseTypeName)
	tl, _ := rows.(driver.RowsColumnTypeLength)
	tp, _ := rows.(driver.RowsColumnTypePrecisionScale)
	tnull, _ := rows.(driver.RowsColumnTypeNullable)
	for i, name := range names {
		typeName := "VARCHAR2"
		if tn != nil {
			typeName = tn.ColumnTypeDatabaseTypeName(i)
		}
		var length, prec, scale int64
		var hasLen, hasPS, nullable, hasNull bool
		if tl != nil {
			length, hasLen = tl.ColumnTypeLength(i)
		}
		if tp != nil {
			prec, scale, hasPS = tp.ColumnTypePrecisionScale(i)
		}
		if tnull != nil {
			nullable, hasNull = tnull.ColumnTypeNullable(i)
		}
		cols[i] = describeColumn(name, typeName, length, hasLen, prec, scale, hasPS, nullable, hasNull)
		if i < len(c.cols) && c.cols[i].isLOB() && cols[i].isLOB() {
			cols[i].define = c.cols[i].define // a re-executed query keeps its defines
		}
	}
	c.cols = cols
	c.row = make([]driver.Value, len(cols))
	c.havePrev = false
	return nil
}

// writeDescribe appends the describe message for a query's columns.
func (s *session) writeDescribe(cols []column) {
	w := &s.w
	maxRow := 0
	for i := range cols {
		maxRow += cols[i].maxLen
	}
	w.u8(msgDescribe)
	w.u8(0)
	w.uc(uint64(maxRow))
	w.uc(uint64(len(cols)))
	if len(cols) > 0 {
		w.u8(0)
	}
	for i := range cols {
		c := &cols[i]
		w.u8(c.dty)
		w.u8(0) // flags
		w.u8(byte(c.precision))
		switch c.dty {
		case dtyNumber, dtyTimestamp, dtyTSTZ, dtyTSLTZ:
			w.ic(int64(c.scale))
		default:
			w.u8(byte(c.scale))
		}
		w.uc(uint64(c.maxLen))
		w.uc(0) // array elements
		w.uc(0) // continuation flags
		w.u8(0) // type OID
		w.uc(0) // type version
		w.uc(uint64(c.charset))
		w.u8(c.form)
		w.uc(uint64(c.maxChars))
		if c.nullable {
			w.u8(1)
		} else {
			w.u8(0)
		}
		w.u8(0) // v7 name length
		w.dlc(c.name)
		w.dlc("") // schema
		w.dlc("") // type name
		w.uc(0)   // TTC >= 3
	}
	w.u8(0)     // dlc
	w.raw(0, 0) // TTC >= 3
	w.raw(0, 0) // TTC >= 4
}

// sendRows answers with (on parse) the describe, then up to n rows, then
// the summary: return code 1403 once the result is exhausted.
func (s *session) sendRows(c *cursor, n int, describe bool) error {
	s.w.reset()
	if describe {
		s.writeDescribe(c.cols)
	}
	if c.rows == nil && !c.done {
		s.w.reset()
		s.writeSummary(0, 0, newOraError(oraFetchOutOfSeq, "fetch out of sequence"))
		return s.send()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.beginCall(func() {
		cancel()
		if c.cancel != nil {
			c.cancel()
		}
	})
	err := s.appendRows(c, n)
	if s.endCall() {
		c.close()
		c.done = true
		return s.breakReset()
	}
	_ = ctx
	if err != nil {
		c.close()
		c.done = true
		if isBadConn(err) {
			return fmt.Errorf("backend connection broken: %w", err)
		}
		s.w.reset()
		s.writeSummary(c.id, c.count, toOraError(err))
		return s.send()
	}
	var oe *oraError
	if c.done {
		oe = &oraError{code: oraNoDataFound, msg: "ORA-01403: no data found"}
	}
	s.writeSummary(c.id, c.count, oe)
	return s.send()
}

// appendRows appends up to n rows (fewer when MaxBatchBytes is reached).
func (s *session) appendRows(c *cursor, n int) error {
	if c.done || n <= 0 {
		return nil
	}
	w := &s.w
	// Row header: column count (the client needs it on re-executed
	// statements, which get no describe), no bit vector (every column of
	// every row is sent).
	w.u8(msgRowHeader)
	w.u8(0)
	w.uc(uint64(len(c.cols)))
	w.uc(0)
	w.uc(uint64(n))
	w.uc(0)
	w.u8(0)
	w.u8(0)
	c.vecActive = false // the row header resets the client's bit vector
	start := len(w.b)
	limit := s.srv.cfg.MaxBatchBytes
	for sent := 0; sent < n; sent++ {
		if !c.peeked {
			if err := c.rows.Next(c.row); err != nil {
				if errors.Is(err, io.EOF) {
					c.close()
					c.done = true
					return nil
				}
				return err
			}
		}
		c.peeked = false
		if sent > 0 && len(w.b)-start >= limit {
			c.peeked = true
			return nil
		}
		if err := s.appendRow(c); err != nil {
			return err
		}
		c.count++
	}
	return nil
}

// appendRow encodes one row. Like Oracle, it sends only the columns whose
// value differs from the previous row's, announcing the others with a bit
// vector (message 21); the client reuses its previous value for them. This
// saves the client most of its decoding work on LogMiner rows, where owner,
// table, operation, thread and flags repeat from row to row.
func (s *session) appendRow(c *cursor) error {
	w := &s.w
	if len(c.prev) != len(c.cols) {
		c.prev = make([][]byte, len(c.cols))
		c.havePrev = false
	}
	enc := &s.enc
	enc.reset()
	if cap(s.offs) < len(c.cols)+1 {
		s.offs = make([]int, len(c.cols)+1)
	}
	offs := s.offs[:len(c.cols)+1]
	for i := range c.cols {
		offs[i] = len(enc.b)
		var err error
		s.tmp, err = appendValue(enc, &c.cols[i], c.row[i], s.tmp)
		if err != nil {
			return err
		}
	}
	offs[len(c.cols)] = len(enc.b)
	nvec := (len(c.cols) + 7) / 8
	if cap(s.vec) < nvec {
		s.vec = make([]byte, nvec)
	}
	vec := s.vec[:nvec]
	clear(vec)
	sent := 0
	for i := range c.cols {
		v := enc.b[offs[i]:offs[i+1]]
		if c.havePrev && string(v) == string(c.prev[i]) {
			continue
		}
		vec[i/8] |= 1 << (i % 8)
		sent++
		c.prev[i] = append(c.prev[i][:0], v...)
	}
	c.havePrev = true
	if sent < len(c.cols) || c.vecActive {
		w.u8(msgBitVector)
		w.uc(uint64(sent))
		w.raw(vec...)
		c.vecActive = sent < len(c.cols)
	}
	w.u8(msgRowData)
	if sent == len(c.cols) {
		w.raw(enc.b...)
		return nil
	}
	for i := range c.cols {
		if vec[i/8]&(1<<(i%8)) != 0 {
			w.raw(enc.b[offs[i]:offs[i+1]]...)
		}
	}
	return nil
}

// fetch serves a fetch on an open cursor.
func (s *session) fetch() error {
	r := &s.r
	id := int(r.ic())
	n := int(r.ic())
	if r.err != nil {
		return r.err
	}
	c := s.cursors[id]
	if c == nil {
		return s.sendError(newOraError(oraInvalidCursor, "invalid cursor"))
	}
	return s.sendRows(c, n, false)
}

// runExec executes DML, PL/SQL or other statements once per bind set.
// Without the commit option DML and PL/SQL run in a backend transaction
// that stays open until the client commits or rolls back.
func (s *session) runExec(c *cursor, sets [][]driver.Value, commit, parsed bool) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.beginCall(cancel)
	affected, err := s.execSets(ctx, c, sets, commit)
	if s.endCall() {
		return s.breakReset()
	}
	if err != nil {
		if parsed {
			delete(s.cursors, c.id)
		}
		return s.sendError(err)
	}
	s.writeSummary(c.id, affected, nil)
	return s.send()
}

func (s *session) execSets(ctx context.Context, c *cursor, sets [][]driver.Value, commit bool) (int64, error) {
	if bootstrapNLSBlock(c.sql) {
		return 0, newOraError(6550, "line 1, column 7: session NLS parameters are not served by this listener")
	}
	if !commit && s.tx == nil && (c.kind == kindDML || c.kind == kindPLSQL) {
		tx, err := beginBackend(ctx, s.backend)
		if err != nil {
			return 0, err
		}
		s.tx = tx
	}
	if len(sets) == 0 {
		sets = [][]driver.Value{nil}
	}
	var affected int64
	for _, vals := range sets {
		var args []driver.NamedValue
		if vals != nil {
			args = namedArgs(c, vals)
		}
		res, err := execBackend(ctx, s.backend, c.sql, args)
		if err != nil {
			return affected, err
		}
		if res != nil {
			if n, err := res.RowsAffected(); err == nil {
				affected += n
			}
		}
	}
	if commit && s.tx != nil {
		tx := s.tx
		s.tx = nil
		if err := tx.Commit(); err != nil {
			return affected, err
		}
	}
	return affected, nil
}

// bootstrapNLSBlock recognises the PL/SQL block go-ora runs after logon to
// read NLS settings through output binds, which this listener does not
// serve; go-ora carries on when it fails.
func bootstrapNLSBlock(sqlText string) bool {
	return strings.Contains(strings.ToLower(sqlText), "nls_session_parameters") && classify(sqlText) == kindPLSQL
}

// isBootstrapTZQuery recognises go-ora's query for the server's time zone,
// which it runs while logging on. The listener answers it itself, always as
// TIMESTAMP WITH TIME ZONE in UTC: go-ora decodes the answer before it knows
// the server's zone and panics on any other column type, and UTC makes it
// return DATE and TIMESTAMP values in UTC, as the in-process driver does.
func isBootstrapTZQuery(sqlText string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(sqlText), " "), "SELECT SYSTIMESTAMP FROM DUAL")
}

// staticRows is a one-shot in-memory result.
type staticRows struct {
	names []string
	types []string
	data  [][]driver.Value
}

func systimestampRows() driver.Rows {
	return &staticRows{
		names: []string{"SYSTIMESTAMP"},
		types: []string{"TIMESTAMP WITH TIME ZONE"},
		data:  [][]driver.Value{{time.Now().UTC()}},
	}
}

func (r *staticRows) Columns() []string                       { return r.names }
func (r *staticRows) Close() error                            { return nil }
func (r *staticRows) ColumnTypeDatabaseTypeName(i int) string { return r.types[i] }
func (r *staticRows) Next(dest []driver.Value) error {
	if len(r.data) == 0 {
		return io.EOF
	}
	copy(dest, r.data[0])
	r.data = r.data[1:]
	return nil
}
